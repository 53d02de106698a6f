/* descend playground: the engine.
 *
 * descend's optimizers, its strong-Wolfe line search and its descent loop, written again in
 * JavaScript so that the page can run them itself, with no server. Each piece mirrors the
 * Python it is named after, operation for operation and in the same order, so that the
 * rounding agrees and a path drawn here is the path descend.minimize takes:
 *
 *   OPTIMIZERS      src/descend/optimizers/*.py, each optimizer's init and update
 *   wolfeSearch     src/descend/linesearch.py, Wolfe.search and its cubic interpolation
 *   wolfeStep       Wolfe.step: the search along the step at unit rate, then from a fresh state
 *   minimize        src/descend/driver.py's loop with descent.py's step of one point
 *
 * Numbers are JavaScript doubles, the same IEEE 754 doubles as NumPy's float64; + - * / and
 * Math.sqrt round alike. The two still differ in the last bit in two ways. A library may round
 * otherwise (exp, sin and pow; a BLAS dot product that fuses its multiply-adds). And the
 * functions the page gets (javascript.py) compute their gradients as SymPy derived them, not
 * as descend.functions' hand-written NumPy does: the same values, in another order of
 * operations, so Rosenbrock's gradient, for one, is bit for bit the same at only about half of
 * the points. Most paths then agree to about 1e-14; a path that magnifies last-bit differences
 * (L-BFGS on Rosenbrock from its usual start) parts from Python's by about 1e-10, relative.
 */
"use strict";

const descendEngine = (function () {
  // ------------------------------------------------------------------ small pieces of arithmetic

  // Python's max(a, b) and min(a, b): the first argument unless the second compares larger
  // (smaller). They differ from Math.max and Math.min where one is NaN, and the line search and
  // the conjugate-gradient weight rely on Python's answer.
  function pyMax(a, b) {
    return b > a ? b : a;
  }
  function pyMin(a, b) {
    return b < a ? b : a;
  }

  // math.copysign
  function copysign(magnitude, sign) {
    return sign < 0 || Object.is(sign, -0) ? -Math.abs(magnitude) : Math.abs(magnitude);
  }

  // a @ b of two vectors, summed from the first entry on
  function dot(a, b) {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
    return sum;
  }

  // np.linalg.norm of a vector: the root of its dot product with itself
  function euclid(v) {
    return Math.sqrt(dot(v, v));
  }

  function zeros(n) {
    return new Array(n).fill(0);
  }

  function allFinite(v) {
    return v.every(Number.isFinite);
  }

  // ------------------------------------------------------------------------------ optimizers
  //
  // Each optimizer is {init(h, x), update(h, g, state, x, rate) -> [step, state], stateful}:
  // h holds its hyper-parameters under their Python names, rate is the learning rate of the
  // step, and the new point is x + step. States are never changed in place.

  const OPTIMIZERS = {};

  // GD: x ← x − η ∇f
  OPTIMIZERS.gd = {
    stateful: false,
    init: () => ({}),
    update: (h, g, state, x, rate) => [g.map((gi) => -rate * gi), state],
  };

  // Momentum: Δx ← −η ∇f + α Δx
  OPTIMIZERS.momentum = {
    stateful: true,
    init: (h, x) => ({ velocity: zeros(x.length) }),
    update(h, g, state, x, rate) {
      const step = g.map((gi, i) => -rate * gi + h.momentum * state.velocity[i]);
      return [step, { velocity: step }];
    },
  };

  // Nesterov (torch's SGD rule): b ← μ_k b + ∇f, x ← x − η (∇f + μ_{k+1} b); μ_k is the
  // momentum, or the accelerated sequence (k − 1)/(k + 2); the gradient restart empties b
  // where ∇f · b < 0.
  function sequence(k) {
    return Math.max(k - 1, 0) / (k + 2);
  }
  OPTIMIZERS.nesterov = {
    stateful: true,
    init: (h, x) => ({ buffer: zeros(x.length), count: 0 }),
    update(h, g, state, x, rate) {
      let momentum = h.momentum;
      let ahead = momentum;
      let count = state.count;
      if (momentum === "sequence") {
        momentum = sequence(count);
        ahead = sequence(count + 1);
        count = count + 1;
      }
      const buffer = g.map((gi, i) => momentum * state.buffer[i] + gi);
      const step = g.map((gi, i) => -rate * (gi + ahead * buffer[i]));
      if (h.restart === "gradient" && dot(g, buffer) < 0) {
        return [g.map((gi) => -rate * gi), { buffer: zeros(g.length), count: 0 }];
      }
      return [step, { buffer, count }];
    },
  };

  // AdaGrad (torch's rule): G ← G + g², x ← x − η/(1 + (t − 1) decay) · g / (√G + ε)
  OPTIMIZERS.adagrad = {
    stateful: true,
    init: (h, x) => ({ count: 0, sumSq: new Array(x.length).fill(h.initial_accumulator_value) }),
    update(h, g, state, x, rate) {
      const count = state.count + 1;
      const decayed = rate / (1.0 + (count - 1) * h.lr_decay);
      const sumSq = g.map((gi, i) => state.sumSq[i] + gi * gi);
      const step = g.map((gi, i) => (-decayed * gi) / (Math.sqrt(sumSq[i]) + h.eps));
      return [step, { count, sumSq }];
    },
  };

  // RMSProp (torch's rule): v ← αv + (1 − α) g², d = √v + ε (centred: √(v − ḡ²) + ε),
  // b ← μb + g/d, x ← x − η b
  OPTIMIZERS.rmsprop = {
    stateful: true,
    init: (h, x) => ({
      squareAvg: zeros(x.length),
      gradAvg: h.centered ? zeros(x.length) : null,
      buffer: h.momentum > 0 ? zeros(x.length) : null,
    }),
    update(h, g, state, x, rate) {
      const a = h.alpha;
      const squareAvg = g.map((gi, i) => a * state.squareAvg[i] + (1.0 - a) * gi * gi);
      let gradAvg = null;
      let denom;
      if (h.centered) {
        // the interpolating form, which rounds like torch's lerp (as the Python does)
        gradAvg = g.map((gi, i) => state.gradAvg[i] + (1.0 - a) * (gi - state.gradAvg[i]));
        denom = squareAvg.map((v, i) => Math.sqrt(v - gradAvg[i] * gradAvg[i]) + h.eps);
      } else {
        denom = squareAvg.map((v) => Math.sqrt(v) + h.eps);
      }
      let direction = g.map((gi, i) => gi / denom[i]);
      let buffer = null;
      if (h.momentum > 0) {
        buffer = direction = direction.map((d, i) => h.momentum * state.buffer[i] + d);
      }
      const step = direction.map((d) => -rate * d);
      return [step, { squareAvg, gradAvg, buffer }];
    },
  };

  // Adam (torch's rule): m ← m + (1 − β₁)(g − m), v ← β₂v + (1 − β₂)g², v̂ = max(v̂, v) with
  // amsgrad, x ← x − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε). Adam folds its weight decay
  // into the gradient; AdamW takes it from the parameters directly.
  function adamStep(h, g, state, rate) {
    const [beta1, beta2] = h.betas;
    const count = state.count + 1;
    const mu = g.map((gi, i) => state.mu[i] + (1.0 - beta1) * (gi - state.mu[i]));
    const nu = g.map((gi, i) => beta2 * state.nu[i] + (1.0 - beta2) * gi * gi);
    const nuMax = h.amsgrad ? nu.map((v, i) => Math.max(state.nuMax[i], v)) : null;
    const second = nuMax === null ? nu : nuMax;
    const denom = second.map((v) => Math.sqrt(v) / Math.sqrt(1.0 - beta2 ** count) + h.eps);
    const step = mu.map((m, i) => (-(rate / (1.0 - beta1 ** count)) * m) / denom[i]);
    return [step, { count, mu, nu, nuMax }];
  }
  function adamInit(h, x) {
    const n = x.length;
    return { count: 0, mu: zeros(n), nu: zeros(n), nuMax: h.amsgrad ? zeros(n) : null };
  }
  OPTIMIZERS.adam = {
    stateful: true,
    init: adamInit,
    update(h, g, state, x, rate) {
      if (h.weight_decay > 0) g = g.map((gi, i) => gi + h.weight_decay * x[i]);
      return adamStep(h, g, state, rate);
    },
  };
  OPTIMIZERS.adamw = {
    stateful: true,
    init: adamInit,
    update(h, g, state, x, rate) {
      const [step, next] = adamStep(h, g, state, rate);
      return [step.map((s, i) => s - rate * h.weight_decay * x[i]), next];
    },
  };

  // L-BFGS: x ← x − η H ∇f, H from the last `memory` pairs (s, y) by the two-loop recursion
  // on H⁰ = (s·y / y·y) I of the newest pair. A pair with too little curvature is not kept;
  // a direction that does not descend is replaced by the unit steepest-descent one, which
  // also forgets the pairs.
  let CURVATURE = 1e-10; // set from descend's own constant by configure()

  function unitDescent(g) {
    const norm = euclid(g);
    return norm > 0 && Number.isFinite(norm) ? g.map((gi) => -gi / norm) : g.map((gi) => -gi);
  }

  function inverseHessian(g, pairs) {
    if (!pairs.length) return g.slice();
    const q = g.slice();
    const alphas = new Array(pairs.length);
    for (let i = pairs.length - 1; i >= 0; i--) {
      alphas[i] = pairs[i].rho * dot(pairs[i].s, q);
      for (let j = 0; j < q.length; j++) q[j] -= alphas[i] * pairs[i].y[j];
    }
    const newest = pairs[pairs.length - 1];
    const gamma = dot(newest.s, newest.y) / dot(newest.y, newest.y);
    const r = q.map((qj) => qj * gamma);
    for (let i = 0; i < pairs.length; i++) {
      const c = alphas[i] - pairs[i].rho * dot(pairs[i].y, r);
      for (let j = 0; j < r.length; j++) r[j] += pairs[i].s[j] * c;
    }
    return r;
  }

  OPTIMIZERS.lbfgs = {
    stateful: true,
    init: (h, x) => ({ count: 0, pairs: [], xPrev: zeros(x.length), gPrev: zeros(x.length) }),
    update(h, g, state, x, rate) {
      let pairs = state.pairs;
      if (state.count) {
        const s = x.map((xi, i) => xi - state.xPrev[i]);
        const y = g.map((gi, i) => gi - state.gPrev[i]);
        const sy = dot(s, y);
        const yy = dot(y, y);
        const usable = yy > 0.0 && sy > CURVATURE * yy;
        if (usable && Number.isFinite(1.0 / sy) && Number.isFinite(sy / yy)) {
          const keep = Math.min(pairs.length, h.memory - 1); // the oldest leaves when full
          pairs = pairs.slice(pairs.length - keep).concat([{ s, y, rho: 1.0 / sy }]);
        }
      }
      let direction = inverseHessian(g, pairs).map((v) => -v);
      if (pairs.length === 0 || !(dot(g, direction) < 0.0)) {
        direction = unitDescent(g);
        pairs = [];
      }
      const next = { count: state.count + 1, pairs, xPrev: x.slice(), gPrev: g.slice() };
      return [direction.map((d) => rate * d), next];
    },
  };

  // Nonlinear conjugate gradients: d ← −∇f + β d (β by the variant), restarted every
  // `restart` steps (the dimension by default), on Powell's test and when d does not descend;
  // under a line search the step is scaled so that a unit rate repeats the last step's
  // first-order decrease (unit length at first).
  function cgBeta(variant, g, gPrev, dPrev) {
    const change = g.map((gi, i) => gi - gPrev[i]);
    if (variant === "PR+") return pyMax(0.0, dot(g, change) / dot(gPrev, gPrev));
    if (variant === "FR") return dot(g, g) / dot(gPrev, gPrev);
    if (variant === "HS") return pyMax(0.0, dot(g, change) / dot(dPrev, change));
    return dot(g, g) / dot(dPrev, change); // DY
  }

  OPTIMIZERS.cg = {
    stateful: true,
    init: (h, x) => {
      const n = x.length;
      return { count: 0, direction: zeros(n), gPrev: zeros(n), xPrev: zeros(n) };
    },
    update(h, g, state, x, rate) {
      let count = state.count;
      const dPrev = state.direction;
      const gPrev = state.gPrev;
      const period = h.restart === null ? g.length : h.restart;
      let fresh = count % period === 0 || Math.abs(dot(g, gPrev)) >= 0.2 * dot(g, g);
      let direction = g.map((gi) => -gi);
      if (!fresh) {
        const beta = cgBeta(h.variant, g, gPrev, dPrev);
        direction = g.map((gi, i) => -gi + beta * dPrev[i]);
        if (!(Number.isFinite(beta) && dot(g, direction) < 0.0)) {
          direction = g.map((gi) => -gi);
          fresh = true;
        }
      }
      // the last step's rate times its scale, read off the step itself, then the rate that
      // would repeat its first-order decrease (a zero divisor gives inf or nan, refused below)
      const moved = x.map((xi, i) => xi - state.xPrev[i]);
      const taken = dot(moved, dPrev) / dot(dPrev, dPrev);
      let scale = (taken * dot(gPrev, dPrev)) / dot(g, direction);
      if (fresh) count = 0;
      if (!h.searched) {
        scale = 1.0;
      } else if (!(state.count && Number.isFinite(scale) && scale > 0.0)) {
        const norm = euclid(g); // at first: a step of unit length
        scale = norm > 0 && Number.isFinite(norm) ? 1.0 / norm : 1.0;
      }
      const next = { count: count + 1, direction, gPrev: g.slice(), xPrev: x.slice() };
      return [direction.map((d) => rate * scale * d), next];
    },
  };

  // ---------------------------------------------------------------------------- line search
  //
  // The strong Wolfe conditions along direction d from x, φ(t) = f(x + t d):
  //   φ(t) ≤ φ(0) + c₁ t φ'(0)   and   |φ'(t)| ≤ c₂ |φ'(0)|.
  // Bracketing grows t until an acceptable rate lies between the last two trials; zooming
  // narrows that interval by safeguarded cubic interpolation. ls = {c1, c2, initial, max_trials}.

  // Where the cubic through the values and slopes at a and b has its local minimum (the
  // quadratic through a's value and slope and b's value, where b has no slope); inf if none.
  function cubicMinimum(a, aProbe, b, bProbe) {
    const fa = aProbe.value;
    const da = aProbe.slope;
    const fb = bProbe.value;
    const db = bProbe.slope;
    const width = b - a;
    if (!Number.isFinite(fb)) return Infinity;
    if (!Number.isFinite(db)) {
      const curve = fb - fa - da * width;
      return curve > 0.0 ? a - (da * width * width) / (2.0 * curve) : Infinity;
    }
    const d1 = da + db - (3.0 * (fa - fb)) / (a - b);
    const root = d1 * d1 - da * db;
    if (root < 0.0) return Infinity;
    const d2 = copysign(Math.sqrt(root), width);
    const denominator = db - da + 2.0 * d2;
    return denominator !== 0.0 ? b - (width * (db + d2 - d1)) / denominator : Infinity;
  }

  // The next trial between a and b: the cubic's minimum, at least a thousandth of the
  // interval from either end; the midpoint where there is none inside, or when asked to bisect.
  function cubicStep(a, aProbe, b, bProbe, bisect) {
    const width = b - a;
    const t = bisect ? NaN : cubicMinimum(a, aProbe, b, bProbe);
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    if (!(low < t && t < high)) return a + 0.5 * width;
    const margin = 1e-3 * Math.abs(width);
    return pyMin(pyMax(t, low + margin), high - margin);
  }

  // Wolfe.search: {rate, x, f, g} or null when d does not descend or no trial decreased f.
  function wolfeSearch(ls, problem, x, f, g, direction, scale) {
    const slope0 = dot(g, direction);
    if (!(slope0 < 0.0)) return null;
    const decrease = ls.c1 * slope0;
    const curvature = ls.c2 * Math.abs(slope0);
    let used = 0;

    function probe(t) {
      used += 1;
      const point = x.map((xi, i) => xi + t * direction[i]);
      const value = problem.value(point);
      if (!Number.isFinite(value)) return { point, value: Infinity, gradient: null, slope: NaN };
      // the gradient is worth its cost only where the point may be accepted
      const gradient = value <= f + t * decrease ? problem.grad(point) : null;
      const slope = gradient === null ? NaN : dot(gradient, direction);
      return { point, value, gradient, slope };
    }
    const found = (t, trial) => ({ rate: t, x: trial.point, f: trial.value, g: trial.gradient });

    // Bracketing: grow the rate until a trial fails the decrease test, rises above the last
    // one, or slopes upward.
    let lo = 0.0;
    let loProbe = { point: x, value: f, gradient: g, slope: slope0 };
    let t = ls.initial * scale;
    let hi = null;
    let hiProbe = null;
    while (used < ls.max_trials) {
      const trial = probe(t);
      if (trial.gradient === null || (trial.value >= loProbe.value && lo > 0.0)) {
        hi = t;
        hiProbe = trial;
        break;
      }
      if (Math.abs(trial.slope) <= curvature) return found(t, trial);
      if (trial.slope >= 0.0) {
        [hi, hiProbe, lo, loProbe] = [lo, loProbe, t, trial];
        break;
      }
      // still steeply downhill: on to the cubic's minimum, kept between 1.1 and 4 strides on
      const ahead = cubicMinimum(lo, loProbe, t, trial);
      const stride = t - lo;
      lo = t;
      loProbe = trial;
      t = pyMin(pyMax(ahead, t + 1.1 * stride), t + 4.0 * stride);
    }
    // Zooming: lo satisfies the decrease test and has the lowest value found; an interval
    // that has not halved in two trials is bisected.
    const widths = [Infinity, Infinity];
    while (hi !== null && used < ls.max_trials) {
      const width = Math.abs(hi - lo);
      t = cubicStep(lo, loProbe, hi, hiProbe, width > 0.5 * widths[widths.length - 2]);
      widths.push(width);
      if (!(Math.abs(t - lo) > 1e-12 * pyMax(Math.abs(lo), Math.abs(hi))) || t === hi) break;
      const trial = probe(t);
      if (trial.gradient === null || trial.value >= loProbe.value) {
        hi = t;
        hiProbe = trial;
        continue;
      }
      if (Math.abs(trial.slope) <= curvature) return found(t, trial);
      if (trial.slope * (hi - lo) >= 0.0) {
        hi = lo;
        hiProbe = loProbe;
      }
      lo = t;
      loProbe = trial;
    }
    if (lo > 0.0 && loProbe.value < f) return found(lo, loProbe); // decrease, short of curvature
    return null;
  }

  // Wolfe.step: the search along the optimizer's step at unit rate from its state, and once
  // more from a fresh state when that fails (a stale memory may point uphill).
  function wolfeStep(ls, problem, opt, h, x, f, g, state, scale) {
    const along = (from) => {
      const [unit, next] = opt.update(h, g, from, x, 1.0);
      const found = wolfeSearch(ls, problem, x, f, g, unit, scale);
      return found === null ? null : { ...found, state: next };
    };
    let found = along(state);
    if (found === null && opt.stateful) found = along(opt.init(h, x));
    return found;
  }

  // ------------------------------------------------------------------------------- the loop

  let DIVERGENCE_FACTOR = 1e12; // set from descend's own constant by configure()
  let MESSAGES = {}; // descend.stopping.MESSAGES, set by configure()

  // Python's format(value, ".6g") (and "g"), for the messages
  function formatG(value, precision = 6) {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    if (value === 0) return Object.is(value, -0) ? "-0" : "0";
    const [mantissa, exp] = value.toExponential(precision - 1).split("e");
    const exponent = Number(exp);
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (exponent < -4 || exponent >= precision) {
      const digits = String(Math.abs(exponent)).padStart(2, "0");
      return `${strip(mantissa)}e${exponent < 0 ? "-" : "+"}${digits}`;
    }
    return strip(value.toFixed(precision - 1 - exponent));
  }

  // Python's str() of a float, for "f is inf"
  function pyFloat(value) {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return Number.isInteger(value) ? value.toFixed(1) : String(value);
  }

  // descend.stopping.message: the sentence of a reason, its {fields} filled in
  function message(reason, fields) {
    const all = { watched: "f", unit: "iteration", ...fields };
    return (MESSAGES[reason] || reason).replace(/\{(\w+)(?::([.\d]*)g)?\}/g, (_, name, spec) => {
      const value = all[name];
      if (spec === undefined) return String(value);
      return formatG(value, spec ? Number(spec.slice(1)) : 6);
    });
  }

  // driver.divergence_reason: why a new value means divergence, or null
  function divergenceReason(fNew, limit) {
    if (!Number.isFinite(fNew)) return `f is ${pyFloat(fNew)}`;
    if (fNew > limit) {
      return `f = ${formatG(fNew)} ran past the divergence limit ${formatG(limit)}`;
    }
    return null;
  }

  /* Minimise problem = {value(p), grad(p)} from x0 as descend.minimize does with
   *   optimizer=<name>, its hyper-parameters h, max_iter=maxIter, gtol=gtol
   * (gtol null: no gradient rule), stopping at the last finite point on divergence.
   * ls is the Wolfe line search's settings for the optimizers that run with one, else null.
   *
   * Returns {x: [points], f: [values], gradNorm: [...], rate: [...], nit, reason, message},
   * or {error} when the start is unusable (where descend.minimize raises).
   */
  function minimize(problem, x0, name, hyper, ls, maxIter, gtol) {
    const opt = OPTIMIZERS[name];
    if (opt === undefined) return { error: `Unknown optimizer: ${name}` };
    const h = { ...hyper, searched: ls !== null }; // conjugate gradients scale searched steps
    let x = x0.slice();
    let f = problem.value(x);
    if (!Number.isFinite(f)) return { error: `fun(x0) is not finite: ${pyFloat(f)}` };
    let g = problem.grad(x);
    if (!allFinite(g)) {
      return { error: `The gradient at x0 is not finite: [${g.map(pyFloat).join(", ")}]` };
    }
    const limit = DIVERGENCE_FACTOR * (Math.abs(f) + 1.0);
    let gradNorm = Math.hypot(...g);
    let state = opt.init(h, x);
    let nit = 0;
    const record = { x: [x], f: [f], gradNorm: [gradNorm], rate: [NaN] };
    let reason;
    let fields = {};
    for (;;) {
      // the rules, in descend's order: the gradient's first, max_iter last
      if (gtol !== null && gradNorm <= gtol) {
        reason = "gtol";
        fields = { gtol };
        break;
      }
      if (nit >= maxIter) {
        reason = "max_iter";
        fields = { max_iter: maxIter };
        break;
      }
      // one step: at the fixed rate, or the rate the line search finds
      let xNew;
      let fNew;
      let gNew = null;
      let next;
      let rate;
      if (ls !== null) {
        const found = wolfeStep(ls, problem, opt, h, x, f, g, state, 1.0);
        if (found === null) {
          reason = "line_search";
          break;
        }
        ({ rate, x: xNew, f: fNew, g: gNew, state: next } = found);
      } else {
        rate = 1.0 * h.learning_rate;
        let step;
        [step, next] = opt.update(h, g, state, x, rate);
        xNew = x.map((xi, i) => xi + step[i]);
        fNew = problem.value(xNew);
      }
      let why;
      let normNew = NaN;
      if (-Infinity < fNew && fNew <= limit) {
        if (gNew === null) gNew = problem.grad(xNew);
        normNew = Math.hypot(...gNew);
        if (!Number.isFinite(normNew)) why = "the gradient is not finite";
        else if (!allFinite(xNew)) why = "x is not finite";
        else why = null;
      } else {
        why = divergenceReason(fNew, limit);
      }
      if (why !== null) {
        reason = "diverged";
        fields = { iteration: nit + 1, why };
        break;
      }
      [x, f, g, gradNorm, state, nit] = [xNew, fNew, gNew, normNew, next, nit + 1];
      record.x.push(x);
      record.f.push(f);
      record.gradNorm.push(gradNorm);
      record.rate.push(rate);
    }
    return { ...record, nit, reason, message: message(reason, fields) };
  }

  // Take descend's constants and sentences (the page's data) instead of the copies above.
  function configure(data) {
    DIVERGENCE_FACTOR = data.divergence_factor;
    CURVATURE = data.curvature;
    MESSAGES = data.messages;
  }

  return { OPTIMIZERS, minimize, configure, formatG };
})();
