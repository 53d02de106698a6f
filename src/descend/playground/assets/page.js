/* descend playground: the page.
 *
 * The state (function, start, racers and their settings, steps) lives in one object, is
 * written to the address's hash after every change and read back from it on load, so that a
 * link reproduces a run. Every change recomputes the racers' whole runs with the engine
 * (engine.js); the animation only reveals them, iteration by iteration. Drawing is by hand on
 * two canvases: the contour map with the paths, and the loss curves.
 *
 * window.descendPlayground is the page's interface: the scripts of the functions call its
 * addFunction, the local server's answers its addFunction or formulaError, and tests drive
 * the engine through run() and read the page through state(), runs() and python().
 */
"use strict";

const descendPlayground = (function () {
  const engine = descendEngine;
  // Okabe–Ito colours, in the order descend's pictures draw runs
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  // viridis, descend's colour map of landscapes, at nine evenly spaced stops
  const VIRIDIS = [
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
  ];

  // How each setting is shown, by its Python name. Settings without a control here keep their
  // descend default (they can still be set through a link or run()).
  const CONTROLS = {
    learning_rate: { label: "learning rate η", kind: "log", min: 1e-5, max: 10 },
    momentum: { label: "momentum", kind: "linear", min: 0, max: 0.99, step: 0.01 },
    beta1: { label: "β₁", kind: "linear", min: 0, max: 0.99, step: 0.01 },
    beta2: { label: "β₂", kind: "oneMinusLog", min: 1e-4, max: 0.1 },
    alpha: { label: "α (smoothing)", kind: "oneMinusLog", min: 1e-3, max: 0.5 },
    weight_decay: { label: "weight decay λ", kind: "linear", min: 0, max: 0.5, step: 0.005 },
    memory: { label: "memory (pairs)", kind: "linear", min: 1, max: 20, step: 1 },
    centered: { label: "centred", kind: "check" },
    amsgrad: { label: "AMSGrad", kind: "check" },
    variant: { label: "β formula", kind: "select", options: ["PR+", "FR", "HS", "DY"] },
    restart: { label: "gradient restart", kind: "check", on: "gradient", off: null },
    sequence: { label: "accelerated sequence", kind: "check" },
  };
  const SHOWN = {
    gd: ["learning_rate"],
    momentum: ["learning_rate", "momentum"],
    nesterov: ["learning_rate", "momentum", "sequence", "restart"],
    adagrad: ["learning_rate"],
    rmsprop: ["learning_rate", "alpha", "momentum", "centered"],
    adam: ["learning_rate", "beta1", "beta2", "amsgrad"],
    adamw: ["learning_rate", "beta1", "beta2", "weight_decay"],
    lbfgs: ["memory"],
    cg: ["variant"],
  };
  const LABELS = {
    gd: "gradient descent", momentum: "momentum", nesterov: "Nesterov", adagrad: "AdaGrad",
    rmsprop: "RMSProp", adam: "Adam", adamw: "AdamW", lbfgs: "L-BFGS", cg: "conjugate gradients",
  };
  // Settings whose Python value is a whole number
  const WHOLE = new Set(["memory", "restart", "max_iter"]);
  // The most iterations a race may ask for: the page computes every run at once, so a link
  // asking for a billion would freeze the tab.
  const MAX_STEPS = 100000;
  // What the page starts with, where the link says nothing
  const DEFAULT_RACERS = [
    { optimizer: "gd", settings: { learning_rate: 0.001 } },
    { optimizer: "momentum", settings: { learning_rate: 0.001, momentum: 0.9 } },
    { optimizer: "adam", settings: { learning_rate: 0.05 } },
    { optimizer: "lbfgs", settings: {} },
  ];

  const functions = new Map(); // key -> {meta, value, grad}
  let DATA = null; // the page's data: descend's optimizers, defaults and sentences
  let state = null; // {fn, x0, steps, gtol, racers: [{optimizer, settings}]}
  let runs = []; // the engine's result for each racer
  let frame = 0; // the iteration shown
  let playing = false;
  let speed = 30; // iterations per second
  let lastTime = null;
  let pendingFormula = null; // {text, restart}: the formula asked of the server, if any
  let landscape = null; // the map's picture of the current function
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------------ functions

  function addFunction(meta, value, grad) {
    const entry = { meta, value, grad };
    functions.set(meta.key, entry);
    if (DATA !== null) {
      fillFunctionMenu();
      if (pendingFormula !== null && meta.key === `formula:${pendingFormula.text}`) {
        const { restart } = pendingFormula;
        pendingFormula = null;
        showFormulaMessage("");
        $("formula").value = "";
        chooseFunction(meta.key, restart);
      }
    }
    return entry;
  }

  function formulaError(text, message) {
    if (pendingFormula !== null && pendingFormula.text === text) pendingFormula = null;
    showFormulaMessage(message, true);
  }

  function problemOf(key) {
    const fn = functions.get(key);
    return { value: (p) => fn.value(p[0], p[1]), grad: (p) => fn.grad(p[0], p[1]) };
  }

  // -------------------------------------------------------------------------- settings

  // An optimizer's hyper-parameters: descend's defaults, then those given.
  function hyper(name, settings) {
    return { ...DATA.optimizers[name].defaults, ...settings };
  }

  // The checks descend makes of each setting up front, as a test of the value and what was
  // expected (the optimizer's name decides between Nesterov's and other momenta, and
  // between Nesterov's restart rule and conjugate gradients' restart period).
  const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
  // Math.min and Math.max of an array of any length: spread into arguments, a run's 100 000
  // values would overflow the call stack.
  const least = (values) => values.reduce((a, b) => Math.min(a, b), Infinity);
  const most = (values) => values.reduce((a, b) => Math.max(a, b), -Infinity);
  const inUnit = (v) => isNumber(v) && v >= 0 && v < 1;
  const CHECKS = {
    learning_rate: [(v) => isNumber(v) && v > 0, "a positive number"],
    momentum: [
      (v, name) => inUnit(v) || (name === "nesterov" && v === "sequence"),
      "a number in [0, 1)",
    ],
    alpha: [inUnit, "a number in [0, 1)"],
    betas: [(v) => Array.isArray(v) && v.length === 2 && v.every(inUnit), "two numbers in [0, 1)"],
    eps: [(v) => isNumber(v) && v >= 0, "a number ≥ 0"],
    weight_decay: [(v) => isNumber(v) && v >= 0, "a number ≥ 0"],
    lr_decay: [(v) => isNumber(v) && v >= 0, "a number ≥ 0"],
    initial_accumulator_value: [(v) => isNumber(v) && v >= 0, "a number ≥ 0"],
    centered: [(v) => typeof v === "boolean", "true or false"],
    amsgrad: [(v) => typeof v === "boolean", "true or false"],
    memory: [(v) => Number.isInteger(v) && v >= 1, "a whole number ≥ 1"],
    variant: [(v) => ["PR+", "FR", "HS", "DY"].includes(v), "PR+, FR, HS or DY"],
    restart: [
      (v, name) =>
        v === null || (name === "nesterov" ? v === "gradient" : Number.isInteger(v) && v >= 1),
      'null, "gradient" (nesterov) or a count ≥ 1 (cg)',
    ],
  };

  // Why a racer's settings cannot run, or null.
  function settingsProblem(name, settings) {
    const spec = DATA.optimizers[name];
    if (spec === undefined) return `Unknown optimizer: ${JSON.stringify(name)}`;
    for (const [key, value] of Object.entries(settings)) {
      if (!(key in spec.defaults)) return `${name} has no setting ${key}`;
      const [valid, expected] = CHECKS[key] || [() => true, ""];
      if (!valid(value, name)) {
        return `Invalid ${key}: ${JSON.stringify(value)}; expected ${expected}`;
      }
    }
    return null;
  }

  /* One run, as descend.minimize(f, x0, optimizer=..., max_iter=steps, gtol=gtol) takes it:
   * spec = {function, x0, optimizer, settings (Python names), steps (500), gtol (descend's
   * default; null for none)}. Returns the engine's record, or {error} for bad arguments. */
  function run(spec) {
    const { optimizer, settings = {} } = spec;
    const problem = settingsProblem(optimizer, settings);
    if (problem !== null) return { error: problem };
    if (!functions.has(spec.function)) return { error: `Unknown function: ${spec.function}` };
    if (!(Array.isArray(spec.x0) && spec.x0.length === 2 && spec.x0.every(isNumber))) {
      return { error: `Invalid x0: ${JSON.stringify(spec.x0)}; expected two finite numbers` };
    }
    const steps = spec.steps === undefined ? 500 : spec.steps;
    if (!(Number.isInteger(steps) && steps >= 0)) return { error: `Invalid max_iter: ${steps}` };
    const gtol = spec.gtol === undefined ? DATA.default_gtol : spec.gtol;
    if (!(gtol === null || (isNumber(gtol) && gtol >= 0))) return { error: `Invalid gtol: ${gtol}` };
    return engine.minimize(
      problemOf(spec.function), spec.x0.map(Number), optimizer, hyper(optimizer, settings),
      DATA.optimizers[optimizer].line_search, steps, gtol,
    );
  }

  function recompute() {
    const { fn, x0, steps, gtol } = state;
    runs = state.racers.map(({ optimizer, settings }) =>
      run({ function: fn, x0, optimizer, settings, steps, gtol }),
    );
    frame = Math.min(frame, longest());
  }

  function longest() {
    return Math.max(1, ...runs.map((r) => (r.error ? 0 : r.nit)));
  }

  // ----------------------------------------------------------------------- the address

  // Python's repr of a float: the shortest digits that read back as the same double, in
  // exponent form below 1e-4 and from 1e16 on (JavaScript's String() switches elsewhere).
  function pyRepr(value) {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
    const sign = value < 0 || Object.is(value, -0) ? "-" : "";
    const [mantissa, e] = Math.abs(value).toExponential().split("e");
    const exp = Number(e);
    const digits = mantissa.replace(".", "");
    if (exp < -4 || exp >= 16) {
      const shown = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
      return `${sign}${shown}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
    }
    if (exp >= digits.length - 1) return `${sign}${digits}${"0".repeat(exp - digits.length + 1)}.0`;
    if (exp >= 0) return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  }

  // A value of a setting as the link writes it: numbers as Python writes them, pairs joined
  // by "/".
  function linkValue(value) {
    if (Array.isArray(value)) return value.map(linkValue).join("/");
    return typeof value === "number" && !Number.isInteger(value) ? pyRepr(value) : String(value);
  }

  function readLinkValue(text) {
    if (text.includes("/")) return text.split("/").map(readLinkValue);
    if (text === "true" || text === "false") return text === "true";
    if (text === "null") return null;
    const number = Number(text);
    return text !== "" && Number.isFinite(number) ? number : text;
  }

  function toHash() {
    const params = new URLSearchParams();
    params.set("f", state.fn);
    params.set("x0", state.x0.join(","));
    params.set("steps", String(state.steps));
    params.set("gtol", linkValue(state.gtol));
    for (const racer of state.racers) {
      const items = Object.entries(racer.settings).map(([k, v]) => `${k}=${linkValue(v)}`);
      params.append("r", `${racer.optimizer}(${items.join(",")})`);
    }
    return params.toString();
  }

  // The state a hash describes, and the problems found in it.
  function fromHash(hash) {
    const params = new URLSearchParams(hash.replace(/^#/, ""));
    const problems = [];
    const next = { fn: null, x0: null, steps: 500, gtol: DATA.default_gtol, racers: [] };
    if (params.has("f")) next.fn = params.get("f");
    if (params.has("x0")) {
      const x0 = params.get("x0").split(",").map(Number);
      if (x0.length === 2 && x0.every(Number.isFinite)) next.x0 = x0;
      else problems.push(`x0 ${params.get("x0")} is not two numbers`);
    }
    if (params.has("steps")) {
      const steps = Number(params.get("steps"));
      if (!(Number.isInteger(steps) && steps >= 0)) {
        problems.push(`steps ${params.get("steps")} is not a whole number`);
      } else if (steps > MAX_STEPS) {
        problems.push(`steps ${params.get("steps")} is more than the page runs (${MAX_STEPS})`);
      } else {
        next.steps = steps;
      }
    }
    if (params.has("gtol")) {
      // finite only: gtol=Infinity would stop every run at once, and "Copy as Python" would
      // have to write inf, which Python does not know by that name
      const gtol = Number(params.get("gtol"));
      if (params.get("gtol") !== "" && Number.isFinite(gtol) && gtol >= 0) next.gtol = gtol;
      else problems.push(`gtol ${params.get("gtol")} is not a finite number ≥ 0`);
    }
    for (const text of params.getAll("r")) {
      const match = /^(\w+)\((.*)\)$/.exec(text);
      if (!match) {
        problems.push(`optimizer ${text} is not name(settings)`);
        continue;
      }
      const settings = {};
      for (const item of match[2].split(",").filter(Boolean)) {
        const [key, value] = item.split("=");
        settings[key] = readLinkValue(value === undefined ? "" : value);
      }
      const problem = settingsProblem(match[1], settings);
      if (problem === null) next.racers.push({ optimizer: match[1], settings });
      else problems.push(problem);
    }
    return { next, problems };
  }

  function writeHash() {
    const hash = `#${toHash()}`;
    try {
      history.replaceState(null, "", hash);
    } catch (error) {
      // a page shown from a string (a notebook's frame) has no address to write to
    }
  }

  // ------------------------------------------------------------------------ the Python

  function pyValue(key, value) {
    if (value === null) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (typeof value === "string") return JSON.stringify(value);
    if (Array.isArray(value)) return `(${value.map((v) => pyValue("", v)).join(", ")})`;
    if (Number.isInteger(value) && WHOLE.has(key)) return String(value);
    return pyRepr(value);
  }

  // The arguments of descend.minimize that take the racer's path, in three parts (the start,
  // the optimizer, the stopping rules): the optimizer by name, with its learning rate and
  // momentum, where every other setting has its default; else the optimizer object with the
  // settings that differ.
  function pythonArguments(racer) {
    const spec = DATA.optimizers[racer.optimizer];
    const h = hyper(racer.optimizer, racer.settings);
    const byName = ["learning_rate", "momentum"];
    const differs = (k) => JSON.stringify(h[k]) !== JSON.stringify(spec.defaults[k]);
    const other = Object.keys(spec.defaults).filter((k) => !byName.includes(k) && differs(k));
    const optimizer = [];
    if (other.length === 0 && typeof h.momentum !== "string") {
      optimizer.push(`optimizer=${JSON.stringify(racer.optimizer)}`);
      for (const key of byName) {
        if (!(key in spec.defaults)) continue;
        if (key === "momentum" && racer.optimizer === "rmsprop" && h.momentum === 0) continue;
        optimizer.push(`${key}=${pyValue(key, h[key])}`);
      }
    } else {
      const fields = Object.keys(spec.defaults)
        .filter((k) => k === "learning_rate" || differs(k))
        .map((k) => `${k}=${pyValue(k, h[k])}`);
      optimizer.push(`optimizer=descend.optimizers.${spec.class}(${fields.join(", ")})`);
    }
    const rules = `max_iter=${state.steps}, gtol=${pyValue("gtol", state.gtol)}`;
    return ["f, x0", optimizer.join(", "), rules];
  }

  function racerLabels() {
    const seen = {};
    return state.racers.map((racer) => {
      const name = racer.optimizer;
      seen[name] = (seen[name] || 0) + 1;
      return seen[name] === 1 ? name : `${name} ${seen[name]}`;
    });
  }

  function python() {
    const meta = functions.get(state.fn).meta;
    const labels = racerLabels();
    const lines = [
      "import descend",
      "",
      meta.key.startsWith("formula:") ? `f = ${meta.python}` : `f = ${meta.python}  # ${meta.formula}`,
      `x0 = [${state.x0.map((v) => pyValue("x0", v)).join(", ")}]`,
      "",
      "runs = {",
      ...state.racers.flatMap((racer, i) => {
        const args = pythonArguments(racer);
        const line = `    ${JSON.stringify(labels[i])}: descend.minimize(${args.join(", ")}),`;
        if (line.length <= 99) return [line];
        // a long call: the start, the optimizer and the stopping rules on lines of their own
        const lines = args.map((a) => `        ${a},`);
        return [`    ${JSON.stringify(labels[i])}: descend.minimize(`, ...lines, "    ),"];
      }),
      "}",
      "for label, res in runs.items():",
      '    print(f"{label:12} {res.reason:12} {res.nit:5} iterations  f = {res.fun:.6g}")',
    ];
    return `${lines.join("\n")}\n`;
  }

  // ------------------------------------------------------------------------ drawing

  function setupCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, width, height };
  }

  function viridis(t) {
    const s = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(s));
    const u = s - i;
    return VIRIDIS[i].map((c, k) => Math.round(c + (VIRIDIS[i + 1][k] - c) * u));
  }

  // Round numbers for an axis from lo to hi, about `count` of them.
  function ticks(lo, hi, count) {
    const raw = (hi - lo) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Number(v.toPrecision(12)));
    }
    return out;
  }

  const MAP_MARGIN = { left: 44, right: 12, top: 12, bottom: 36 };
  const GRID = 160;

  // The function over the box: a shaded picture of log(f − least + δ) and its contour lines,
  // made once per function (and per size of the map).
  function makeLandscape(key, width, height) {
    const fn = functions.get(key);
    const [[x0, x1], [y0, y1]] = fn.meta.bounds;
    const n = GRID;
    const values = new Float64Array(n * n);
    let least = Infinity;
    let most = -Infinity;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const v = fn.value(x0 + ((x1 - x0) * i) / (n - 1), y0 + ((y1 - y0) * j) / (n - 1));
        values[j * n + i] = v;
        if (Number.isFinite(v)) {
          least = Math.min(least, v);
          most = Math.max(most, v);
        }
      }
    }
    const delta = Math.max((most - least) * 1e-4, 1e-12);
    const level = (v) => Math.log(v - least + delta);
    const lo = level(least);
    const hi = level(most);
    const shade = document.createElement("canvas");
    shade.width = n;
    shade.height = n;
    const sctx = shade.getContext("2d");
    const image = sctx.createImageData(n, n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const v = values[j * n + i];
        const at = ((n - 1 - j) * n + i) * 4; // rows from the top: y grows upwards
        if (!Number.isFinite(v)) {
          image.data.set([200, 200, 200, 255], at);
          continue;
        }
        const [r, g, b] = viridis((level(v) - lo) / (hi - lo || 1));
        image.data.set([r, g, b, 255], at);
      }
    }
    sctx.putImageData(image, 0, 0);
    // contour lines by marching squares, at levels evenly spaced in log(f − least + δ)
    const segments = [];
    const count = 14;
    for (let c = 1; c < count; c++) {
      const target = lo + ((hi - lo) * c) / count;
      for (let j = 0; j < n - 1; j++) {
        for (let i = 0; i < n - 1; i++) {
          const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]].map(([a, b]) => {
            const v = values[b * n + a];
            return { a, b, z: Number.isFinite(v) ? level(v) : NaN };
          });
          if (corners.some((p) => Number.isNaN(p.z))) continue;
          const crossings = [];
          for (let e = 0; e < 4; e++) {
            const p = corners[e];
            const q = corners[(e + 1) % 4];
            if ((p.z < target) !== (q.z < target)) {
              const u = (target - p.z) / (q.z - p.z);
              crossings.push([p.a + (q.a - p.a) * u, p.b + (q.b - p.b) * u]);
            }
          }
          if (crossings.length === 2) segments.push(crossings);
          else if (crossings.length === 4) {
            segments.push([crossings[0], crossings[1]], [crossings[2], crossings[3]]);
          }
        }
      }
    }
    return { key, width, height, shade, segments, n };
  }

  function mapTransform(width, height) {
    const [[x0, x1], [y0, y1]] = functions.get(state.fn).meta.bounds;
    const w = width - MAP_MARGIN.left - MAP_MARGIN.right;
    const h = height - MAP_MARGIN.top - MAP_MARGIN.bottom;
    return {
      w, h, x0, x1, y0, y1,
      px: (x) => MAP_MARGIN.left + ((x - x0) / (x1 - x0)) * w,
      py: (y) => MAP_MARGIN.top + (1 - (y - y0) / (y1 - y0)) * h,
      fromPixel: (u, v) => [
        x0 + ((u - MAP_MARGIN.left) / w) * (x1 - x0),
        y0 + (1 - (v - MAP_MARGIN.top) / h) * (y1 - y0),
      ],
    };
  }

  function drawMap() {
    const { ctx, width, height } = setupCanvas($("map"));
    const same = landscape !== null && landscape.key === state.fn;
    if (!(same && landscape.width === width && landscape.height === height)) {
      landscape = makeLandscape(state.fn, width, height);
    }
    const t = mapTransform(width, height);
    const meta = functions.get(state.fn).meta;
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(landscape.shade, MAP_MARGIN.left, MAP_MARGIN.top, t.w, t.h);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MAP_MARGIN.left, MAP_MARGIN.top, t.w, t.h);
    ctx.clip();
    // contours
    const n = landscape.n;
    const gx = (a) => MAP_MARGIN.left + (a / (n - 1)) * t.w;
    const gy = (b) => MAP_MARGIN.top + (1 - b / (n - 1)) * t.h;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.45)";
    ctx.lineWidth = 0.8;
    ctx.beginPath();
    for (const [[a0, b0], [a1, b1]] of landscape.segments) {
      ctx.moveTo(gx(a0), gy(b0));
      ctx.lineTo(gx(a1), gy(b1));
    }
    ctx.stroke();
    // known minimisers: white stars
    for (const m of meta.minimizers) star(ctx, t.px(m[0]), t.py(m[1]), 8);
    // the racers' paths, up to the iteration shown
    runs.forEach((r, i) => {
      if (r.error) return;
      const last = Math.min(Math.floor(frame), r.nit);
      const colour = PALETTE[i % PALETTE.length];
      const points = r.x.slice(0, last + 1).map(([x, y]) => [t.px(x), t.py(y)]);
      for (const [style, lineWidth] of [["rgba(255, 255, 255, 0.85)", 4.5], [colour, 2]]) {
        ctx.strokeStyle = style;
        ctx.lineWidth = lineWidth;
        ctx.lineJoin = "round";
        ctx.beginPath();
        points.forEach(([u, v], k) => (k ? ctx.lineTo(u, v) : ctx.moveTo(u, v)));
        ctx.stroke();
      }
      if (points.length < 150) {
        ctx.fillStyle = colour;
        for (const [u, v] of points) {
          ctx.beginPath();
          ctx.arc(u, v, 2, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      const [u, v] = points[points.length - 1];
      ctx.beginPath();
      ctx.arc(u, v, 5.5, 0, 2 * Math.PI);
      ctx.fillStyle = colour;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "white";
      ctx.stroke();
    });
    // the start
    ctx.beginPath();
    ctx.arc(t.px(state.x0[0]), t.py(state.x0[1]), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "white";
    ctx.stroke();
    ctx.restore();
    // axes
    ctx.fillStyle = "#333";
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    ctx.strokeRect(MAP_MARGIN.left, MAP_MARGIN.top, t.w, t.h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of ticks(t.x0, t.x1, 6)) {
      ctx.fillText(formatTick(v), t.px(v), height - MAP_MARGIN.bottom + 5);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(t.y0, t.y1, 6)) ctx.fillText(formatTick(v), MAP_MARGIN.left - 5, t.py(v));
    ctx.font = "italic 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(meta.variables[0], MAP_MARGIN.left + t.w / 2, height - 2);
    ctx.save();
    ctx.translate(12, MAP_MARGIN.top + t.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(meta.variables[1], 0, 0);
    ctx.restore();
  }

  function star(ctx, u, v, radius) {
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const r = k % 2 ? radius * 0.45 : radius;
      const a = -Math.PI / 2 + (k * Math.PI) / 5;
      ctx.lineTo(u + r * Math.cos(a), v + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fillStyle = "white";
    ctx.fill();
    ctx.strokeStyle = "black";
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  function formatTick(v) {
    return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(v);
  }

  const LOSS_MARGIN = { left: 56, right: 12, top: 30, bottom: 36 };

  // The loss curves on a log scale: f − f* where the least value f* is known, else f less
  // the least value any run reached (or f itself where every value is positive).
  function drawLoss() {
    const { ctx, width, height } = setupCanvas($("loss"));
    const meta = functions.get(state.fn).meta;
    const good = runs.filter((r) => !r.error);
    const lowest = least(good.flatMap((r) => r.f));
    let offset = meta.minimum;
    let label = "f − f*";
    if (offset === null) {
      offset = lowest > 0 ? 0 : lowest;
      label = lowest > 0 ? "f" : "f − least f";
    }
    const gaps = good.map((r) => r.f.map((v) => v - offset));
    const positive = gaps.flat().filter((v) => v > 0 && Number.isFinite(v));
    const top = positive.length ? Math.log10(most(positive)) : 1;
    const floor = positive.length ? Math.log10(least(positive)) : -1;
    const ylo = Math.floor(Math.max(floor, top - 30));
    const yhi = Math.max(Math.ceil(top), ylo + 1);
    const xhi = longest();
    const w = width - LOSS_MARGIN.left - LOSS_MARGIN.right;
    const h = height - LOSS_MARGIN.top - LOSS_MARGIN.bottom;
    const px = (k) => LOSS_MARGIN.left + (k / xhi) * w;
    const py = (v) => {
      const decades = Math.log10(Math.max(v, 10 ** ylo)) - ylo;
      return LOSS_MARGIN.top + (1 - decades / (yhi - ylo)) * h;
    };
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "white";
    ctx.fillRect(LOSS_MARGIN.left, LOSS_MARGIN.top, w, h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#333";
    ctx.strokeStyle = "#e4e4e4";
    ctx.lineWidth = 1;
    const every = Math.max(1, Math.ceil((yhi - ylo) / 8));
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let e = ylo; e <= yhi; e += every) {
      const v = py(10 ** e);
      ctx.beginPath();
      ctx.moveTo(LOSS_MARGIN.left, v);
      ctx.lineTo(LOSS_MARGIN.left + w, v);
      ctx.stroke();
      ctx.fillText(`1e${e}`, LOSS_MARGIN.left - 5, v);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const k of ticks(0, xhi, 6)) {
      if (!Number.isInteger(k)) continue;
      ctx.beginPath();
      ctx.moveTo(px(k), LOSS_MARGIN.top);
      ctx.lineTo(px(k), LOSS_MARGIN.top + h);
      ctx.stroke();
      ctx.fillText(String(k), px(k), LOSS_MARGIN.top + h + 5);
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(LOSS_MARGIN.left, LOSS_MARGIN.top, w, h);
    ctx.font = "13px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    ctx.fillText("iteration", LOSS_MARGIN.left + w / 2, height - 2);
    ctx.save();
    ctx.translate(13, LOSS_MARGIN.top + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(`${label} (log scale)`, 0, 0);
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(LOSS_MARGIN.left, LOSS_MARGIN.top, w, h);
    ctx.clip();
    runs.forEach((r, i) => {
      if (r.error) return;
      const last = Math.min(Math.floor(frame), r.nit);
      ctx.strokeStyle = PALETTE[i % PALETTE.length];
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (let k = 0; k <= last; k++) {
        const v = r.f[k] - offset;
        if (k) ctx.lineTo(px(k), py(v));
        else ctx.moveTo(px(k), py(v));
      }
      ctx.stroke();
    });
    ctx.restore();
    // the legend, in a row above the plot
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    let lx = LOSS_MARGIN.left;
    racerLabels().forEach((label, i) => {
      ctx.fillStyle = PALETTE[i % PALETTE.length];
      ctx.fillRect(lx, 13, 16, 3);
      ctx.fillStyle = "#222";
      ctx.fillText(label, lx + 21, 15);
      lx += 21 + ctx.measureText(label).width + 16;
    });
  }

  // ------------------------------------------------------------------------ the controls

  function fillFunctionMenu() {
    const menu = $("function");
    const chosen = state === null ? null : state.fn;
    menu.replaceChildren();
    const isFormula = (k) => k.startsWith("formula:");
    const groups = [["built-in functions", (k) => !isFormula(k)], ["formulas", isFormula]];
    for (const [name, belongs] of groups) {
      const keys = [...functions.keys()].filter(belongs);
      if (!keys.length) continue;
      const group = document.createElement("optgroup");
      group.label = name;
      for (const key of keys) group.append(new Option(functions.get(key).meta.label, key));
      menu.append(group);
    }
    if (chosen !== null) menu.value = chosen;
  }

  function showFormulaMessage(text, isError = false) {
    const box = $("formula-message");
    box.textContent = text;
    box.hidden = text === "";
    box.classList.toggle("error", isError);
  }

  // A slider's position (0…1000) and the setting's value, both ways
  const SLIDER = 1000;
  // (a log slider runs over log₁₀ of the value, a one-minus-log slider over log₁₀(1 − value)
  // from its max down to its min; both round to two significant digits, as a person would)
  const lg = Math.log10;
  function sliderValue(control, position) {
    const u = position / SLIDER;
    const { min, max } = control;
    if (control.kind === "log") return Number((10 ** (lg(min) + u * (lg(max) - lg(min)))).toPrecision(2));
    if (control.kind === "oneMinusLog") {
      const q = 10 ** (lg(max) + u * (lg(min) - lg(max)));
      return Number((1 - Number(q.toPrecision(2))).toPrecision(12));
    }
    const v = min + u * (max - min);
    return Number((Math.round(v / control.step) * control.step).toPrecision(12));
  }
  function sliderPosition(control, value) {
    const { min, max } = control;
    let u = (value - min) / (max - min);
    if (control.kind === "log") u = (lg(value) - lg(min)) / (lg(max) - lg(min));
    if (control.kind === "oneMinusLog") u = (lg(1 - value) - lg(max)) / (lg(min) - lg(max));
    return Math.round(Math.min(1, Math.max(0, Number.isFinite(u) ? u : 0)) * SLIDER);
  }

  // A setting's current value, and a change of it, by the control's name (β₁ and β₂ are the
  // two halves of betas; the sequence is Nesterov's momentum="sequence").
  function getSetting(racer, name) {
    const h = hyper(racer.optimizer, racer.settings);
    if (name === "beta1") return h.betas[0];
    if (name === "beta2") return h.betas[1];
    if (name === "sequence") return h.momentum === "sequence";
    return h[name];
  }
  function setSetting(racer, name, value) {
    const h = hyper(racer.optimizer, racer.settings);
    if (name === "beta1") racer.settings.betas = [value, h.betas[1]];
    else if (name === "beta2") racer.settings.betas = [h.betas[0], value];
    else if (name === "sequence") {
      racer.settings.momentum = value ? "sequence" : DATA.optimizers.nesterov.defaults.momentum;
    }
    else racer.settings[name] = value;
  }

  function buildRacers() {
    const box = $("racers");
    box.replaceChildren();
    state.racers.forEach((racer, i) => {
      const card = document.createElement("div");
      card.className = "racer";
      card.style.setProperty("--colour", PALETTE[i % PALETTE.length]);
      const head = document.createElement("div");
      head.className = "racer-head";
      const menu = document.createElement("select");
      menu.setAttribute("aria-label", "optimizer");
      for (const name of Object.keys(DATA.optimizers)) {
        menu.append(new Option(LABELS[name] || name, name));
      }
      menu.value = racer.optimizer;
      menu.addEventListener("change", () => {
        // a new optimizer keeps the learning rate where it has one
        const rate = racer.settings.learning_rate;
        racer.optimizer = menu.value;
        racer.settings = {};
        if (rate !== undefined && "learning_rate" in DATA.optimizers[menu.value].defaults) {
          racer.settings.learning_rate = rate;
        }
        changed(true);
      });
      const remove = document.createElement("button");
      remove.className = "remove";
      remove.textContent = "×";
      remove.title = "Remove this optimizer";
      remove.disabled = state.racers.length === 1;
      remove.addEventListener("click", () => {
        state.racers.splice(i, 1);
        changed(true);
      });
      head.append(menu, remove);
      card.append(head);
      for (const name of SHOWN[racer.optimizer] || []) card.append(controlFor(racer, name));
      if (DATA.optimizers[racer.optimizer].line_search) {
        const note = document.createElement("p");
        note.className = "note";
        const ls = DATA.optimizers[racer.optimizer].line_search;
        note.textContent = `rate from a strong-Wolfe line search (c₁ = ${ls.c1}, c₂ = ${ls.c2})`;
        card.append(note);
      }
      const status = document.createElement("p");
      status.className = "status";
      card.append(status);
      box.append(card);
    });
    $("add-racer").disabled = state.racers.length >= PALETTE.length;
  }

  function controlFor(racer, name) {
    const control = CONTROLS[name];
    const row = document.createElement("label");
    row.className = "setting";
    const title = document.createElement("span");
    title.textContent = control.label;
    const shown = document.createElement("output");
    let input;
    const value = getSetting(racer, name);
    if (control.kind === "check") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = control.on === undefined ? Boolean(value) : value === control.on;
      input.addEventListener("change", () => {
        const on = control.on === undefined ? true : control.on;
        const off = control.on === undefined ? false : control.off;
        setSetting(racer, name, input.checked ? on : off);
        changed(true);
      });
      row.classList.add("check");
      row.append(input, title);
      return row;
    }
    if (control.kind === "select") {
      input = document.createElement("select");
      for (const option of control.options) input.append(new Option(option, option));
      input.value = value;
      input.addEventListener("change", () => {
        setSetting(racer, name, input.value);
        changed(false);
      });
      row.append(title, input);
      return row;
    }
    input = document.createElement("input");
    input.type = "range";
    input.min = "0";
    input.max = String(SLIDER);
    input.dataset.setting = name;
    const sequenced = name === "momentum" && value === "sequence";
    input.disabled = sequenced;
    input.value = String(sliderPosition(control, sequenced ? 0 : value));
    shown.textContent = sequenced ? "seq." : String(value);
    if (sequenced) shown.title = "μₖ = (k − 1)/(k + 2)";
    input.addEventListener("input", () => {
      const v = sliderValue(control, Number(input.value));
      setSetting(racer, name, v);
      shown.textContent = String(v);
      changed(false);
    });
    row.append(title, input, shown);
    return row;
  }

  function updateStatus() {
    const cards = $("racers").children;
    runs.forEach((r, i) => {
      const status = cards[i] && cards[i].querySelector(".status");
      if (!status) return;
      if (r.error) {
        status.textContent = r.error;
        status.className = "status bad";
        return;
      }
      const shown = Math.min(Math.floor(frame), r.nit);
      const [x, y] = r.x[shown];
      const g = engine.formatG;
      const where = `iteration ${shown}: f = ${g(r.f[shown])} at (${g(x)}, ${g(y)})`;
      if (shown < r.nit) {
        status.textContent = where;
        status.className = "status";
      } else {
        status.textContent = `${where}. Stopped: ${r.reason}. ${r.message}`;
        const tone = { gtol: "good", max_iter: "" }[r.reason];
        status.className = `status ${tone === undefined ? "bad" : tone}`;
      }
    });
    $("iteration").textContent = `iteration ${Math.floor(frame)} of ${longest()}`;
    $("play").textContent = playing ? "Pause" : "Play";
  }

  function render() {
    drawMap();
    drawLoss();
    updateStatus();
  }

  // After every change of the state: the runs again, the address, the Python, the picture.
  function changed(rebuild) {
    recompute();
    if (rebuild) buildRacers();
    writeHash();
    $("python").textContent = python();
    render();
  }

  function chooseFunction(key, restart) {
    state.fn = key;
    const meta = functions.get(key).meta;
    const [[x0, x1], [y0, y1]] = meta.bounds;
    if (restart || !(state.x0[0] >= x0 && state.x0[0] <= x1 && state.x0[1] >= y0 && state.x0[1] <= y1)) {
      state.x0 = meta.x0.slice();
    }
    $("function").value = key;
    $("formula-line").textContent = `f(${meta.variables.join(", ")}) = ${meta.formula}`;
    frame = 0;
    changed(false);
    play();
  }

  // Start where the map is clicked, rounded to a thousandth of the box.
  function clickMap(event) {
    const rect = $("map").getBoundingClientRect();
    const t = mapTransform(rect.width, rect.height);
    const [x, y] = t.fromPixel(event.clientX - rect.left, event.clientY - rect.top);
    if (!(x >= t.x0 && x <= t.x1 && y >= t.y0 && y <= t.y1)) return;
    const grain = 10 ** Math.floor(Math.log10((t.x1 - t.x0) / 1000));
    const round = (v) => Number((Math.round(v / grain) * grain).toPrecision(12));
    state.x0 = [round(x), round(y)];
    frame = 0;
    changed(false);
    play();
  }

  function hoverMap(event) {
    const rect = $("map").getBoundingClientRect();
    const t = mapTransform(rect.width, rect.height);
    const [x, y] = t.fromPixel(event.clientX - rect.left, event.clientY - rect.top);
    const inside = x >= t.x0 && x <= t.x1 && y >= t.y0 && y <= t.y1;
    const meta = functions.get(state.fn).meta;
    const [a, b] = meta.variables;
    const f = inside ? engine.formatG(functions.get(state.fn).value(x, y)) : "";
    $("readout").textContent = inside ? `${a} = ${x.toFixed(3)}, ${b} = ${y.toFixed(3)}, f = ${f}` : "";
  }

  // ------------------------------------------------------------------------ the animation

  function tick(time) {
    if (!playing) return;
    if (lastTime !== null) frame = Math.min(longest(), frame + ((time - lastTime) / 1000) * speed);
    lastTime = time;
    render();
    if (frame >= longest()) {
      playing = false;
      updateStatus();
      return;
    }
    requestAnimationFrame(tick);
  }

  function play() {
    if (playing) return;
    if (frame >= longest()) frame = 0;
    playing = true;
    lastTime = null;
    requestAnimationFrame(tick);
  }

  function pause() {
    playing = false;
    updateStatus();
  }

  function stepOnce() {
    pause();
    frame = Math.min(longest(), Math.floor(frame) + 1);
    render();
  }

  function reset() {
    pause();
    frame = 0;
    render();
  }

  async function copyText(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      flash(button, "Copied");
    } catch (error) {
      // a page opened from a file may not reach the clipboard: select the text instead
      const range = document.createRange();
      range.selectNodeContents($("python"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      flash(button, "Selected: press Ctrl+C");
    }
  }

  function flash(button, text) {
    const was = button.dataset.label || button.textContent;
    button.dataset.label = was;
    button.textContent = text;
    setTimeout(() => (button.textContent = was), 1500);
  }

  // A formula typed in the box: the served page asks the local server for its script (the
  // server parses it with descend.formula and answers with addFunction or formulaError); a
  // page opened from a file cannot, and says how to bake formulas in.
  function askFormula(text, restart = true) {
    text = text.trim();
    if (!text) return;
    if (functions.has(`formula:${text}`)) {
      chooseFunction(`formula:${text}`, true);
      return;
    }
    if (!DATA.served) {
      showFormulaMessage(
        "Typed formulas need the served page: run `descend playground` and type it there, or " +
          `write this page again with it: descend playground --formula "${text}" --out page.html`,
        true,
      );
      return;
    }
    pendingFormula = { text, restart };
    showFormulaMessage("Reading the formula…");
    const script = document.createElement("script");
    script.src = `formula.js?text=${encodeURIComponent(text)}`;
    script.onerror = () =>
      formulaError(text, "The local server did not answer: is `descend playground` still running?");
    script.onload = () => script.remove();
    document.head.append(script);
  }

  // ------------------------------------------------------------------------ start

  function start(data) {
    DATA = data;
    engine.configure(data);
    const { next, problems } = fromHash(location.hash);
    let fn = next.fn || data.initial;
    if (!functions.has(fn)) {
      if (fn.startsWith("formula:") && data.served) {
        askFormula(fn.slice("formula:".length), false); // shown once the server answers
      } else {
        problems.push(
          fn.startsWith("formula:")
            ? `the link's formula ${fn.slice(8)} is not in this page: open the link in the page ` +
                "`descend playground` serves, or write the page with --formula"
            : `unknown function ${fn}`,
        );
      }
      fn = data.initial;
    }
    state = {
      fn,
      x0: next.x0 || functions.get(fn).meta.x0.slice(),
      steps: next.steps,
      gtol: next.gtol,
      racers: next.racers.length ? next.racers : JSON.parse(JSON.stringify(DEFAULT_RACERS)),
    };
    if (problems.length) {
      showFormulaMessage(`The link was not read whole: ${problems.join("; ")}.`, true);
    }
    fillFunctionMenu();
    $("function").addEventListener("change", () => chooseFunction($("function").value, true));
    $("formula-form").addEventListener("submit", (event) => {
      event.preventDefault();
      askFormula($("formula").value);
    });
    $("formula").placeholder = data.served
      ? "type a formula of two variables, e.g. x^2 + 3*y^2 + x*y"
      : "typed formulas need the served page: descend playground";
    $("map").addEventListener("click", clickMap);
    $("map").addEventListener("mousemove", hoverMap);
    $("map").addEventListener("mouseleave", () => ($("readout").textContent = ""));
    $("play").addEventListener("click", () => (playing ? pause() : play()));
    $("step").addEventListener("click", stepOnce);
    $("reset").addEventListener("click", reset);
    $("speed").addEventListener("input", () => {
      speed = Math.round(10 ** (Number($("speed").value) / 250));
      $("speed-shown").textContent = `${speed}/s`;
    });
    $("steps").value = String(state.steps);
    $("steps").addEventListener("change", () => {
      const steps = Number($("steps").value);
      if (Number.isInteger(steps) && steps >= 1 && steps <= MAX_STEPS) state.steps = steps;
      $("steps").value = String(state.steps);
      changed(false);
    });
    $("gtol").value = pyRepr(state.gtol);
    $("gtol").addEventListener("change", () => {
      const gtol = Number($("gtol").value);
      if ($("gtol").value.trim() !== "" && Number.isFinite(gtol) && gtol >= 0) state.gtol = gtol;
      $("gtol").value = pyRepr(state.gtol);
      changed(false);
    });
    $("add-racer").addEventListener("click", () => {
      const used = new Set(state.racers.map((r) => r.optimizer));
      const name = Object.keys(data.optimizers).find((n) => !used.has(n)) || "gd";
      state.racers.push({ optimizer: name, settings: {} });
      changed(true);
    });
    $("copy-python").addEventListener("click", (event) => copyText(python(), event.target));
    $("copy-link").addEventListener("click", (event) => copyText(location.href, event.target));
    window.addEventListener("resize", () => render());
    buildRacers();
    chooseFunction(fn, false);
  }

  return {
    addFunction,
    formulaError,
    start,
    run,
    // the page as it stands, for tests and for the curious
    state: () => JSON.parse(JSON.stringify(state)),
    runs: () => runs.map((r, i) => ({ label: racerLabels()[i], ...r })),
    python,
    link: () => `#${toHash()}`,
    functions: () => [...functions.keys()],
    optimizers: () => Object.keys(engine.OPTIMIZERS),
    evaluate: (key, points) => {
      const fn = functions.get(key);
      return points.map(([x, y]) => [fn.value(x, y), ...fn.grad(x, y)]);
    },
    // the animation, for tests: show iteration k (or the end) now
    show(k) {
      pause();
      frame = Math.min(longest(), k === undefined ? longest() : k);
      render();
    },
    playing: () => playing,
  };
})();

window.descendPlayground = descendPlayground;
