"""`descend playground`: the page's engine against descend.minimize in a real browser, the page
offline (no request at all), its link and its Python, the served page's formulas, the
command and the notebook object."""

import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import descend
from descend import functions
from descend.cli import app
from descend.formula import parse
from descend.optimizers import OPTIMIZERS
from descend.playground import Playground, page
from descend.playground.javascript import (
    BUILTINS,
    compile_formula,
    plane_functions,
    script_json,
)
from descend.playground.server import FormulaWorker, PlaygroundServer

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: A formula baked into the page under test.
FORMULA = "x^2 + 3*y^2 + x*y - 2*x"

#: Settings of each optimizer under which its paths are smooth on the functions below (none
#: chaotic: a difference in the last bit of a gradient stays in the last bits of the path).
SETTINGS = {
    "gd": {"learning_rate": 1e-3},
    "momentum": {"learning_rate": 1e-3, "momentum": 0.9},
    "nesterov": {"learning_rate": 1e-3, "momentum": 0.9},
    "adagrad": {"learning_rate": 0.5},
    "rmsprop": {"learning_rate": 0.01},
    "adam": {"learning_rate": 0.05},
    "adamw": {"learning_rate": 0.05},
    "lbfgs": {},
    "cg": {},
}
#: Six functions on which every optimizer is compared in the quick suite.
SIX = ["booth", "matyas", "himmelblau", "three_hump_camel", "six_hump_camel", "styblinski_tang"]
#: The rest the slow suite adds (rosenbrock's and goldstein_price's L-BFGS and CG paths from
#: their usual starts amplify last-bit differences, as any change of BLAS would).
MORE = ["sphere", "quartic", "beale", "rastrigin", "ackley"]
#: Settings beyond the defaults, to reach every branch of the updates.
VARIANTS = [
    ("nesterov", {"learning_rate": 1e-3, "momentum": "sequence", "restart": "gradient"}),
    ("nesterov", {"learning_rate": 1e-3, "momentum": 0.5, "restart": "gradient"}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("adam", {"learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.01, "eps": 1e-6}),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0.1, "betas": [0.8, 0.99]}),
    ("adagrad", {"learning_rate": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("lbfgs", {"memory": 3}),
    ("cg", {"variant": "FR"}),
    ("cg", {"variant": "HS"}),
    ("cg", {"variant": "DY"}),
    ("cg", {"variant": "PR+", "restart": 5}),
    ("momentum", {"learning_rate": 1e-3, "momentum": 0.5}),
]


def case(function, optimizer, settings, *, x0=None, steps=500, gtol=1e-5):
    if x0 is None:
        x0 = [float(v) for v in functions.FUNCTIONS[function].x0]
    return dict(function=function, optimizer=optimizer, settings=settings, x0=x0, steps=steps,
                gtol=gtol)  # fmt: skip


def python_run(c):
    """descend.minimize's run of a case."""
    fn = functions.FUNCTIONS[c["function"]]
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in c["settings"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", descend.DivergenceWarning)
        return descend.minimize(
            fn, c["x0"], optimizer=OPTIMIZERS[c["optimizer"]](**settings), max_iter=c["steps"],
            gtol=c["gtol"],
        )  # fmt: skip


def assert_same_path(page_path, res, where, rtol=1e-12):
    """The page's iterates are descend's, to ``rtol`` relative to the size of descend's path:
    max_k |p_k − q_k|∞ ≤ rtol · max_k |q_k|∞. (Relative to each iterate alone the test would
    be meaningless where a path reaches a minimum at 0 to within rounding.)"""
    p, q = np.asarray(page_path, dtype=float), res.history.x
    assert p.shape == q.shape, f"{where}: {len(p) - 1} iterations in the page, {res.nit} here"
    difference = float(np.max(np.abs(p - q)))
    assert difference <= rtol * float(np.max(np.abs(q))), f"{where}: {difference:.3g} apart"


def assert_same_runs(browser, cases, rtol=1e-12):
    ours = browser.execute_script(
        "return JSON.stringify(arguments[0].map((c) => descendPlayground.run(c)))", cases
    )
    for c, mine in zip(cases, json.loads(ours), strict=True):
        res = python_run(c)
        where = f"{c['optimizer']} {c['settings']} on {c['function']} from {c['x0']}"
        assert "error" not in mine, f"{where}: {mine.get('error')}"
        assert (mine["nit"], mine["reason"]) == (res.nit, res.reason), where
        assert mine["message"] == res.message, where
        assert_same_path(mine["x"], res, where, rtol)
        scale = np.max(np.abs(res.history.f))
        assert np.max(np.abs(np.array(mine["f"]) - res.history.f)) <= 1e-11 * scale, where


# -------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("playground") / "playground.html"
    Playground("himmelblau", [FORMULA]).save(path)
    return path


@pytest.fixture(scope="module")
def browser(page_file, tmp_path_factory, headless_chromium):
    """One headless Chromium for the module, on the page, recording its network traffic."""
    profile = tmp_path_factory.mktemp("profile")
    driver = headless_chromium(profile, (1400, 1000), network_log=True)
    try:
        driver.get(page_file.as_uri())
        yield driver
    finally:
        driver.quit()


def open_page(browser, url):
    """Load ``url`` afresh (a new hash alone would not reload the page)."""
    browser.get("about:blank")
    browser.get(url)
    browser.execute_script("descendPlayground.show()")  # the whole runs, without waiting


def test_the_engine_takes_descend_minimize_paths_for_every_optimizer_on_six_functions(browser):
    assert browser.execute_script("return descendPlayground.optimizers()") == list(OPTIMIZERS)
    cases = [case(f, name, SETTINGS[name]) for f in SIX for name in OPTIMIZERS]
    cases += [case("himmelblau", name, settings) for name, settings in VARIANTS]
    assert_same_runs(browser, cases)


@pytest.mark.slow
def test_the_engine_takes_descend_minimize_paths_everywhere(browser):
    cases = [case(f, name, SETTINGS[name]) for f in MORE for name in OPTIMIZERS]
    for f in SIX + MORE:
        # centred RMSProp with α = 0.9 is chaotic on Beale's plateau (its denominator cancels)
        cases += [case(f, n, s) for n, s in VARIANTS if (f, s.get("centered")) != ("beale", True)]
    cases += [case(f, name, SETTINGS[name], x0=[0.5, 0.5]) for f in SIX for name in OPTIMIZERS]
    assert_same_runs(browser, cases)


@pytest.mark.slow
def test_paths_that_magnify_last_bit_differences_still_end_alike(browser):
    # The page's gradients are SymPy's derivatives, rounded otherwise than descend.functions'
    # NumPy in the last bit; these paths magnify that (L-BFGS on Rosenbrock to about 3e-10,
    # as the module's docstring says) but stop at the same iteration for the same reason.
    cases = [
        case(f, name, {}) for f in ("rosenbrock", "goldstein_price") for name in ("lbfgs", "cg")
    ]
    assert_same_runs(browser, cases, rtol=1e-9)


def test_the_page_stops_where_descend_stops_and_says_why(browser):
    cases = [
        case("booth", "gd", {"learning_rate": 0.3}),  # diverges at iteration 9
        case("rosenbrock", "momentum", {"learning_rate": 0.01, "momentum": 0.9}),
        case("himmelblau", "adagrad", {"learning_rate": 0.5}),  # gtol at 140
        # at the minimum itself no step decreases f: the line search finds none at once
        case("sphere", "lbfgs", {}, x0=[0.0, 0.0], gtol=None),
        case("sphere", "cg", {}, x0=[0.0, 0.0], gtol=None),
        # Ackley's gradient is 0 at the origin in both, not 0/0, and CG goes through it
        case("ackley", "adam", SETTINGS["adam"], x0=[0.0, 0.0]),  # gtol at once
        case("ackley", "cg", {}, x0=[1.0, 1.0]),  # gtol at 19
    ]
    assert_same_runs(browser, cases)
    reasons = [python_run(c).reason for c in cases]
    # what descend refuses up front, the page refuses with the value in the message
    bad = [
        case("booth", "gd", {"learning_rate": -1}),
        case("booth", "adam", {"betas": [0.9, 1.0]}),
        case("booth", "cg", {"restart": "gradient"}),
        case("booth", "gd", {"momentum": 0.5}),
        case("booth", "gd", {}, x0=[1.0]),
    ]
    errors = [r.get("error") for r in browser.execute_script(
        "return arguments[0].map((c) => descendPlayground.run(c))", bad
    )]  # fmt: skip
    assert errors == [
        "Invalid learning_rate: -1; expected a positive number",
        "Invalid betas: [0.9,1]; expected two numbers in [0, 1)",
        'Invalid restart: "gradient"; expected null, "gradient" (nesterov) or a count ≥ 1 (cg)',
        "gd has no setting momentum",
        "Invalid x0: [1]; expected two finite numbers",
    ]
    assert reasons == ["diverged", "diverged", "gtol", "line_search", "line_search"] + ["gtol"] * 2
    assert [python_run(c).nit for c in cases[-2:]] == [0, 19]


def test_the_functions_in_the_page_agree_with_descend_functions(browser):
    rng = np.random.default_rng(7)
    for name in plane_functions():
        fn = functions.FUNCTIONS[name]
        (x0, x1), (y0, y1) = fn.bounds
        points = np.column_stack([rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)])
        # and the minimizers, where a derivative may be 0/0 as written (Ackley's origin)
        points = np.vstack([points, np.reshape(fn.minimizers, (-1, 2))])
        ask = "return descendPlayground.evaluate(arguments[0], arguments[1])"
        ours = np.array(browser.execute_script(ask, name, points.tolist()))
        value, grad = fn(points), fn.grad(points)
        # relative to the function's scale over the box: the two are written differently
        assert np.max(np.abs(ours[:, 0] - value)) <= 1e-12 * np.max(np.abs(value)), name
        assert np.max(np.abs(ours[:, 1:] - grad)) <= 1e-12 * np.max(np.abs(grad)), name


def test_the_page_makes_no_request_while_it_loads_and_runs(browser, page_file):
    browser.get_log("performance")  # empty the record so far
    browser.get("about:blank")
    browser.get(page_file.as_uri())
    # a click on the map right of and above its centre starts the runs there
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).move_to_element_with_offset(
        browser.find_element("id", "map"), 60, -40
    ).click().perform()
    x0 = browser.execute_script("return descendPlayground.state().x0")
    assert x0[0] > 0.3 and x0[1] > 0.3, x0  # himmelblau's box is centred on (0, 0)
    first = browser.execute_script("return descendPlayground.runs()[0].x[0]")
    assert first == x0
    browser.find_element("id", "reset").click()
    browser.find_element("id", "play").click()
    time.sleep(0.25)
    assert browser.execute_script("return descendPlayground.playing()")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    requests = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert page_file.as_uri() in requests
    others = {url for url in requests if url != page_file.as_uri() and url != "about:blank"}
    assert not {url for url in others if not url.startswith("data:")}, others


def test_a_link_reproduces_the_runs_and_the_python_takes_the_same_paths(browser, page_file):
    link = (
        "#f=six_hump_camel&x0=1.5,-1.2&steps=300&gtol=1e-06"
        "&r=adam(learning_rate=0.02,betas=0.8/0.99)&r=nesterov(learning_rate=0.001,momentum=0.5)"
        "&r=rmsprop(learning_rate=0.01,momentum=0.3)&r=lbfgs(memory=4)&r=cg(variant=FR)"
    )
    open_page(browser, page_file.as_uri() + link + "&r=gd(learning_rate=fast)")
    said = browser.find_element("id", "formula-message").text
    assert said.startswith('The link was not read whole: Invalid learning_rate: "fast"; expected')

    state = browser.execute_script("return descendPlayground.state()")
    assert state["fn"] == "six_hump_camel" and state["x0"] == [1.5, -1.2]
    assert (state["steps"], state["gtol"]) == (300, 1e-6)
    assert [r["optimizer"] for r in state["racers"]] == [
        "adam",
        "nesterov",
        "rmsprop",
        "lbfgs",
        "cg",
    ]
    assert state["racers"][0]["settings"] == {"learning_rate": 0.02, "betas": [0.8, 0.99]}
    # the page writes the same state back into its address (the bad racer left out)
    again = browser.execute_script("return descendPlayground.link()")
    assert urllib.parse.parse_qs(again[1:]) == urllib.parse.parse_qs(link[1:])
    code = browser.execute_script("return descendPlayground.python()")
    runs = json.loads(browser.execute_script("return JSON.stringify(descendPlayground.runs())"))
    scope = {}
    exec(compile(code, "copied.py", "exec"), scope)  # the page's code, as a user pastes it
    assert list(scope["runs"]) == [r["label"] for r in runs]
    for mine in runs:
        res = scope["runs"][mine["label"]]
        assert (mine["nit"], mine["reason"]) == (res.nit, res.reason), mine["label"]
        assert_same_path(mine["x"], res, mine["label"])
    assert "optimizer=descend.optimizers.Adam(learning_rate=0.02, betas=(0.8, 0.99))" in code
    assert 'optimizer="lbfgs"' not in code and "LBFGS(memory=4)" in code


def test_a_link_asking_for_too_many_steps_or_an_infinite_gtol_is_refused(browser, page_file):
    # a billion steps would freeze the tab; gtol=inf would be written as Python's unknown inf
    open_page(browser, page_file.as_uri() + "#f=booth&steps=1000000000&gtol=Infinity")
    said = browser.find_element("id", "formula-message").text
    assert said == (
        "The link was not read whole: steps 1000000000 is more than the page runs (100000); "
        "gtol Infinity is not a finite number ≥ 0."
    )
    state = browser.execute_script("return descendPlayground.state()")
    assert (state["steps"], state["gtol"]) == (500, 1e-5)
    open_page(browser, page_file.as_uri() + "#f=booth&steps=100000&gtol=0")
    state = browser.execute_script("return descendPlayground.state()")
    assert (state["steps"], state["gtol"]) == (100000, 0)


def test_the_python_of_a_formula_parses_it(browser, page_file):
    link = f"#f={urllib.parse.quote('formula:' + FORMULA)}&x0=1,1&steps=50&r=gd(learning_rate=0.1)"
    open_page(browser, page_file.as_uri() + link)
    code = browser.execute_script("return descendPlayground.python()")
    assert f"f = descend.formula.parse({json.dumps(FORMULA)}).objective()" in code
    scope = {}
    exec(code, scope)
    (mine,) = json.loads(browser.execute_script("return JSON.stringify(descendPlayground.runs())"))
    res = scope["runs"]["gd"]
    assert (mine["nit"], mine["reason"]) == (res.nit, res.reason) == (50, "max_iter")
    assert_same_path(mine["x"], res, FORMULA)


def test_a_typed_formula_in_the_offline_page_says_what_to_do(browser, page_file):
    open_page(browser, page_file.as_uri())
    box = browser.find_element("id", "formula")
    box.send_keys("sin(x)*cos(y)")
    box.submit()
    message = browser.find_element("id", "formula-message").text
    assert "descend playground" in message and "--formula" in message


def test_the_page_looks_right(browser, page_file):
    open_page(browser, page_file.as_uri() + "#f=rosenbrock")
    browser.execute_script("descendPlayground.show(400)")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, int(height) + 120)
    artifacts = Path(os.environ.get("DESCEND_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "playground.png"
    assert browser.save_screenshot(str(shot))
    browser.set_window_size(1400, 1000)
    from PIL import Image

    image = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert image.shape[1] >= 1400 and image.std() > 20
    # four racers, each with its card, and a status saying where it stands
    cards = browser.find_elements("css selector", ".racer")
    assert len(cards) == 4
    assert all(
        c.find_element("css selector", ".status").text.startswith("iteration") for c in cards
    )
    assert browser.find_elements("css selector", '.racer input[type="range"]')


# ------------------------------------------------------------- the served page


@pytest.fixture(scope="module")
def server():
    serving = PlaygroundServer(port=0, function="booth", formulas=[FORMULA])
    thread = threading.Thread(target=serving.serve_forever, daemon=True)
    thread.start()
    yield serving
    serving.shutdown()
    serving.server_close()
    thread.join(timeout=5)


def fetch(url, host=None):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read().decode("utf-8")


def test_the_server_answers_the_page_and_typed_formulas(server):
    assert server.url.startswith("http://127.0.0.1:")
    status, kind, text = fetch(server.url)
    assert status == 200 and kind.startswith("text/html")
    assert '"served": true' in text and '"initial": "booth"' in text
    ask = server.url + "formula.js?text=" + urllib.parse.quote("exp(-x^2) * cos(y) + y^2/10")
    status, kind, text = fetch(ask)
    assert kind.startswith("text/javascript")
    assert text.startswith("descendPlayground.addFunction(")
    assert (
        '"python": "descend.formula.parse(\\"exp(-x^2) * cos(y) + y^2/10\\").objective()"' in text
    )
    _, _, text = fetch(server.url + "formula.js?text=" + urllib.parse.quote("x + y + z"))
    assert text.startswith('descendPlayground.formulaError("x + y + z", ')
    assert "two variables" in text
    _, _, text = fetch(server.url + "formula.js?text=" + urllib.parse.quote("__import__('os')"))
    assert "formulaError" in text and "addFunction" not in text
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(server.url + "elsewhere")
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as foreign:  # a name pointed at 127.0.0.1
        fetch(server.url, host="example.com")
    assert foreign.value.code == 403
    # another site's page loading a formula as a script: the browser says it is cross-site
    request = urllib.request.Request(ask, headers={"Sec-Fetch-Site": "cross-site"})
    with pytest.raises(urllib.error.HTTPError) as other_site:
        urllib.request.urlopen(request, timeout=30)
    assert other_site.value.code == 403


def wait_for(browser, script, expected, what):
    deadline = time.monotonic() + 20
    while browser.execute_script(script) != expected:
        assert time.monotonic() < deadline, browser.find_element("id", what).text
        time.sleep(0.05)


def test_the_served_page_takes_typed_formulas_and_links_to_them(browser, server):
    # a link to a formula the page does not hold: the served page asks for it, keeps the start
    linked = "(x - 1)^2 + 4*(y + 2)^2"
    link = f"#f={urllib.parse.quote('formula:' + linked)}&x0=0.5,0.25&r=adam(learning_rate=0.1)"
    open_page(browser, server.url + link)
    wait_for(
        browser, "return descendPlayground.state().fn", f"formula:{linked}", "formula-message"
    )
    assert browser.execute_script("return descendPlayground.state().x0") == [0.5, 0.25]
    (run,) = json.loads(browser.execute_script("return JSON.stringify(descendPlayground.runs())"))
    assert run["reason"] == "gtol" and np.allclose(run["x"][-1], [1, -2], atol=1e-4)
    # a formula typed into the box, then one the parser refuses
    box = browser.find_element("id", "formula")
    box.send_keys("x^4 + y^2 - x*y")
    box.submit()
    wait_for(
        browser,
        "return descendPlayground.state().fn",
        "formula:x^4 + y^2 - x*y",
        "formula-message",
    )
    box.send_keys("x.real + y")
    box.submit()
    first_line = "return document.getElementById('formula-message').textContent.split('\\n')[0]"
    wait_for(browser, first_line, "attribute access is not allowed: '.real'", "formula-message")


def test_a_formula_past_the_time_limit_is_stopped_with_its_worker():
    worker = FormulaWorker(limit=0.05)  # less than the worker takes to start and load SymPy
    try:
        answer = worker.script("x*y")
        assert answer.startswith('descendPlayground.formulaError("x*y", ')
        assert "took longer than 0.05 s" in answer
        assert worker._process is None  # stopped; the next formula starts a new one
    finally:
        worker.close()


# ------------------------------------------------------------------ Python side


def test_every_function_of_the_plane_is_written_as_a_formula_that_agrees_with_numpy():
    assert list(BUILTINS) == plane_functions()
    assert len(plane_functions()) >= 6
    rng = np.random.default_rng(3)
    for name in plane_functions():
        fn = functions.FUNCTIONS[name]
        formula = parse(BUILTINS[name], variables=("x", "y"))
        (x0, x1), (y0, y1) = fn.bounds
        points = np.column_stack([rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)])
        value, grad = fn(points), fn.grad(points)
        assert np.max(np.abs(formula(points) - value)) <= 1e-12 * np.max(np.abs(value)), name
        assert np.max(np.abs(formula.grad(points) - grad)) <= 1e-12 * np.max(np.abs(grad)), name


def test_the_page_holds_everything_and_refers_to_nothing_outside():
    text = page("rastrigin", [FORMULA, "sin(x) + cos(y)"])
    assert not re.search(r"https?://|\bsrc=|<link|@import|url\(", text)
    data = json.loads(re.search(r"descendPlayground\.start\((.*)\);", text).group(1))
    assert list(data["optimizers"]) == list(OPTIMIZERS)
    assert data["initial"] == "rastrigin" and data["served"] is False
    assert text.count("descendPlayground.addFunction(") == len(plane_functions()) + 2


def test_a_formula_is_written_safely_into_the_page():
    # whatever a formula's variables are called, the code names them x and y only
    entry = compile_formula("Math^2 + constructor*Math")
    assert entry.variables == ("constructor", "Math")
    assert entry.value == "x*y + Math.pow(y, 2)" and entry.grad == ("y", "x + 2*y")
    # data written into a script cannot end it, nor open a comment, whatever it holds
    assert script_json({"text": "</script><!--\u2028"}) == (
        '{"text": "\\u003c/script\\u003e\\u003c!--\\u2028"}'
    )


def test_a_notebook_shows_the_page_in_a_frame_and_saves_it(tmp_path):
    board = descend.playground("booth", formulas=[FORMULA])
    shown = board._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and shown.endswith("</iframe>")
    srcdoc = re.match(r'<iframe srcdoc="([^"]*)"', shown).group(1)
    assert "<" not in srcdoc and html.unescape(srcdoc) == board.html
    path = board.save(tmp_path / "board.html")
    assert path.read_text(encoding="utf-8") == board.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.html"]  # no partial file
    assert descend.playground.page is page  # the module, callable, and its functions


def test_the_assets_ship_with_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["descend.playground"]
    folder = ROOT / "src" / "descend" / "playground"
    assets = sorted(p.relative_to(folder) for p in (folder / "assets").iterdir())
    assert assets and all(any(a.match(p) for p in patterns) for a in assets)


@pytest.mark.slow  # builds a wheel
def test_a_built_wheel_holds_the_page(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    done = subprocess.run(
        [*pip, "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("descend-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = ROOT / "src" / "descend" / "playground" / "assets"
    assert {f"descend/playground/assets/{p.name}" for p in folder.iterdir()} <= names


# ---------------------------------------------------------------------- command


def test_the_command_writes_one_page(tmp_path):
    out = tmp_path / "race.html"
    result = runner.invoke(app, ["playground", "--out", str(out), "-f", "himmelblau",
                                 "--formula", FORMULA])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    text = out.read_text(encoding="utf-8")
    assert '"initial": "himmelblau"' in text and f'"key": "formula:{FORMULA}"' in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.html"]


def test_the_function_names_a_formula_however_it_is_spaced(tmp_path):
    out = tmp_path / "race.html"
    args = ["playground", "--out", str(out), "-f", " x^2+y**2 ", "--formula", "x^2 + y^2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"initial": "formula:x^2 + y^2"' in out.read_text(encoding="utf-8")
    # another formula is not one of them, however close
    result = runner.invoke(app, [*args[:4], "x^2+y^3", *args[5:]])
    assert result.exit_code == 2 and "Unknown function 'x^2+y^3'" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-f", "rosenbrok"], "Unknown function 'rosenbrok'"),
        (["-f", "quadratic"], "Unknown function 'quadratic'"),
        (["--formula", "x^2 + y^2 + z^2"], "two variables"),
        (["--formula", "x.real"], "attribute access is not allowed"),
        (["--formula", "x^2"], "two variables; 'x^2' has 1 (x)"),
        (["--out", "page.txt"], "must end in .html"),
        (["--port", "70000"], "--port 70000"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path, args, says):
    if "--out" not in args and "--port" not in args:
        args = [*args, "--out", str(tmp_path / "page.html")]
    result = runner.invoke(app, ["playground", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "page.html").exists()


def test_a_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["playground", "--no-browser", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: --port {port}: cannot listen on 127.0.0.1")
    assert len(result.output.strip().splitlines()) == 1


def serve_in_a_group():
    """``descend playground`` served in a process group of its own, as a terminal runs it, so
    that a test can signal the whole group as Ctrl-C does; SIGINT is reset to its default
    there, which a shell running the tests in the background may have set to ignored. Returns
    the process once its formula worker has answered (and so is running)."""
    # SIGINT is reset by the new interpreter itself before it runs the command: a preexec_fn
    # would run Python between fork and exec, unsafe in a test process that has threads
    reset = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = ['descend'] + sys.argv[1:]; "
        "runpy.run_module('descend.cli', run_name='__main__')"
    )
    command = [sys.executable, "-c", reset, "playground", "--no-browser", "-f", "booth"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
    assert '"initial": "booth"' in fetch(url)[2]
    assert "addFunction" in fetch(url + "formula.js?text=x*y")[2]
    return proc


def group_is_gone(group):
    """Whether no process of ``group`` is left, waiting a few seconds for one to end."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow  # processes of their own, which take a second to start
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX's")
def test_the_served_command_stops_cleanly_on_ctrl_c():
    proc = serve_in_a_group()
    try:
        os.killpg(proc.pid, signal.SIGINT)  # the server and its formula worker, as Ctrl-C does
        out, err = proc.communicate(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    assert "stopped" in out and err == ""  # no traceback from the worker either
    assert group_is_gone(proc.pid)  # the server reaped its worker


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX's")
def test_the_formula_worker_ends_quietly_when_the_server_is_killed():
    proc = serve_in_a_group()
    try:
        proc.terminate()  # the server alone dies, with no chance to stop its worker
        # the worker shares the server's stderr: communicate returns once it has ended too
        err = proc.communicate(timeout=20)[1]
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the group
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGTERM
    assert err == "", err


@pytest.mark.slow  # a process of its own
def test_a_script_may_serve_the_playground_without_a_main_guard(tmp_path):
    # the formula worker is a fresh interpreter, which does not import the script again
    program = tmp_path / "serve.py"
    program.write_text(
        "from descend.playground.server import PlaygroundServer\n"
        "server = PlaygroundServer()\n"
        "print(server.worker.script('x*y')[:30])\n"
        "server.server_close()\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, str(program)], capture_output=True, text=True, timeout=60, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "descendPlayground.addFunction(\n" and done.stderr == ""
