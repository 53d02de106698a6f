"""What a new user waits for the first time: descend's demo and fits on a cold start.

    python benchmarks/first_use.py            # everything (a few minutes)
    python benchmarks/first_use.py --no-demo  # the fits only

Each figure comes from fresh processes, and "cold" means an empty Numba cache (a new folder
in ``NUMBA_CACHE_DIR``), as on a fresh clone:

- ``descend demo`` twice on one empty cache (the second run finds what the first compiled),
  with and without the pictures, against the targets of 60 s (first) and 20 s (second);
- the first ``GDClassifier().fit`` on the tutorials' sizes and on large data, cold, and the
  cold compile of the kernels a default fit needs (``DESCEND_KERNELS=compiled``), against
  30 s;
- a small fit's time per epoch with the cost model's choice (NumPy, one thread) against the
  compiled kernels forced onto every core, the choice that cost a tiny fit 20 ms an epoch.

The targets are what users feel; the script prints each figure next to its target and
exits 0 whatever it finds (a benchmark reports, the tests assert).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIT = """
import sys, time
import numpy as np
from descend import GDClassifier
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
X = rng.normal(size=(n, d)); y = (X @ rng.normal(size=d) + rng.logistic(size=n) > 0).astype(int)
start = time.perf_counter()
clf = GDClassifier().fit(X, y)
print(f"{time.perf_counter() - start:.3f} {clf.n_iter_} {'numba' in sys.modules}")
"""

EPOCHS = """
import time, warnings
import numpy as np
from sklearn.datasets import make_regression
from descend import GDRegressor
X, y = make_regression(n_samples=100, n_features=1, noise=10, random_state=2015)
GDRegressor(learning_rate=0.001, max_epochs=50, tol=None).fit(X, y)  # loads what it needs
start = time.perf_counter()
GDRegressor(learning_rate=0.001, max_epochs=2000, tol=None).fit(X, y)
print(f"{(time.perf_counter() - start) / 2000 * 1e3:.4f}")
"""


def _env(cache: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DESCEND_KERNELS"}
    env.update(NUMBA_CACHE_DIR=str(cache), **extra)
    return env


def _timed(command, env, cwd=None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def _line(what: str, seconds: float, target: float | None = None) -> None:
    mark = ""
    if target is not None:
        mark = f"  target ≤ {target:g} s: {'MET' if seconds <= target else 'MISSED'}"
    print(f"{what:<58} {seconds:8.2f} s{mark}", flush=True)


def demo(work: Path) -> None:
    descend = shutil.which("descend") or sys.exit("descend is not installed in this Python")
    for pictures in (True, False):
        cache = work / f"cache-demo-{pictures}"
        args = [descend, "demo", "--out", str(work / "demo")] + ["--no-pictures"] * (not pictures)
        label = "descend demo" + ("" if pictures else " --no-pictures")
        first, _ = _timed(args, _env(cache))
        _line(f"{label}, first run (empty cache)", first, 60.0 if pictures else None)
        second, _ = _timed(args, _env(cache))
        _line(f"{label}, second run", second, 20.0 if pictures else None)


def fits(work: Path) -> None:
    for n, d in ((569, 30), (1797, 64), (200_000, 50)):
        cache = work / f"cache-fit-{n}"
        seconds, out = _timed([sys.executable, "-c", FIT, str(n), str(d)], _env(cache))
        fit_s, epochs, numba = out.split()
        _line(f"first GDClassifier().fit, {n} × {d}, empty cache", seconds)
        print(f"{'':<4}fit {float(fit_s):.2f} s, {epochs} epochs, Numba loaded: {numba}")
    cache = work / "cache-compile"
    seconds, out = _timed(
        [sys.executable, "-c", FIT, "1000", "10"], _env(cache, DESCEND_KERNELS="compiled")
    )
    _line("compile the kernels of a default fit (empty cache)", float(out.split()[0]), 30.0)
    for label, extra in (
        ("cost model (auto)", {}),
        ("compiled, every core", {"DESCEND_KERNELS": "compiled"}),
    ):
        _, out = _timed([sys.executable, "-c", EPOCHS], _env(work / "cache-epochs", **extra))
        print(f"{'GDRegressor on 100 × 1, ms per epoch, ' + label:<58} {float(out):8.4f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="time the fits only")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="descend-first-use-") as folder:
        work = Path(folder)
        if not options.no_demo:
            demo(work)
        fits(work)


if __name__ == "__main__":
    main()
