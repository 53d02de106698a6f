"""Run descend's benchmark suite: the same as ``descend bench``, with the same options.

    python benchmarks/run.py                      # the full suite (minutes)
    python benchmarks/run.py --quick              # tiny sizes: checks that it runs
    python benchmarks/run.py --only 1,3 --repeat 3 --markdown table.md

The suite itself lives in the package (:mod:`descend.bench`), so an installed descend can run
it too; this script only makes it work from a checkout that is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import descend  # noqa: F401
except ImportError:  # a checkout that was not pip-installed: use its src/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from descend.cli import app

if __name__ == "__main__":
    app(["bench", *sys.argv[1:]], prog_name="benchmarks/run.py")
