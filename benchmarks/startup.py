"""How long descend takes to start: ``import descend`` and the quick commands, each in fresh
processes, against their targets, with the heavy modules each one loads.

Run it from the repository's root, in the environment descend is installed in::

    python benchmarks/startup.py            # 7 runs of each
    python benchmarks/startup.py --runs 15

Each command runs ``--runs`` times in a new interpreter; the table gives the best and the
median wall time (the best is the machine's floor, the median what a user meets), their ratio
to the target (≤ 1 meets it) and, from one more run that reports ``sys.modules`` at exit, which
of scikit-learn, SciPy's special functions, Matplotlib, Numba and SymPy the command loaded.
The exit status is 1 when a median misses its target, or a command loaded a module it must not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("sklearn", "scipy.special", "matplotlib", "numba", "sympy")

# (what is measured, the command line's arguments or None for the import, the target in
# seconds, the heavy modules it may load).
IMPORT = ["-c", "import descend"]
CASES = [
    ("python -c 'import descend'", None, 0.3, ()),
    ("descend --help", ["--help"], 1.0, ()),
    ("descend functions", ["functions"], 1.0, ()),
    ("descend minimize 'x.real' (refused)", ["minimize", "x.real"], 1.0, ()),
]

# Runs the command line in this interpreter, then reports the heavy modules it loaded.
PROBE = """
import json, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if args is None:
    import descend
else:
    from descend.cli import main
    sys.argv = ["descend", *args]
    try:
        main()
    except SystemExit:
        pass
print("HEAVY " + json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)
"""


def command(args: list[str] | None) -> list[str]:
    """The process to time: the console script as a user runs it, when installed next to
    this interpreter, else ``python -m descend.cli``."""
    if args is None:
        return [sys.executable, *IMPORT]
    script = Path(sys.executable).with_name("descend")
    if script.exists() or shutil.which("descend"):
        return [str(script) if script.exists() else "descend", *args]
    return [sys.executable, "-m", "descend.cli", *args]


def wall_times(argv: list[str], runs: int) -> list[float]:
    """Seconds each of ``runs`` fresh processes of ``argv`` took, start to exit."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def heavy_modules(args: list[str] | None) -> list[str]:
    """The modules of HEAVY that ``args`` (None: ``import descend``) loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(proc.stderr.splitlines()):
        if line.startswith("HEAVY "):
            return json.loads(line[len("HEAVY ") :])
    raise RuntimeError(f"the probe of {args} failed:\n{proc.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")

    wall_times(command(["--help"]), 1)  # the first start also warms the disk cache
    print(f"{options.runs} fresh processes each; ratio = median / target (≤ 1 meets it)\n")
    header = f"{'command':38} {'best s':>7} {'median s':>9} {'target s':>9} {'ratio':>6}  loaded"
    print(header)
    print("-" * len(header))
    failed = False
    for label, args, target, allowed in CASES:
        times = wall_times(command(args), options.runs)
        best, median = min(times), statistics.median(times)
        loaded = heavy_modules(args)
        wrong = [m for m in loaded if m not in allowed]
        failed |= median > target or bool(wrong)
        print(
            f"{label:38} {best:7.3f} {median:9.3f} {target:9.1f} {median / target:6.2f}  "
            f"{', '.join(loaded) or '-'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
