"""descend's benchmark suite: the same numbers ``descend bench`` and ``benchmarks/run.py`` give.

Nine workloads (:mod:`descend.bench.workloads`) each time descend against the floor or its
peers (:mod:`descend.bench.peers`) in one process, warmed up and repeated
(:mod:`descend.bench.timing`), and turn the medians into rows with a ratio, a target and
MET / MISSED (:mod:`descend.bench.report`).

>>> from descend.bench import WORKLOADS
>>> sorted(WORKLOADS)
[1, 2, 3, 4, 5, 6, 7, 8, 9]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from descend.bench import timing
from descend.bench.report import Outcome, machine, markdown, to_json_data
from descend.bench.workloads import WORKLOADS, Context, run_workload

__all__ = ["WORKLOADS", "Suite", "run"]


@dataclass
class Suite:
    """The outcome of a run of the suite."""

    outcomes: list[Outcome]
    machine: dict
    quick: bool
    repeat: int
    started: str
    seconds: float

    def markdown(self) -> str:
        return markdown(self.outcomes, self.machine, quick=self.quick, repeat=self.repeat)

    def json_data(self) -> dict:
        return to_json_data(
            self.outcomes, self.machine, quick=self.quick, repeat=self.repeat,
            started=self.started, seconds=self.seconds,
        )  # fmt: skip

    @property
    def errors(self) -> list[str]:
        return [row.error for o in self.outcomes for row in o.rows if row.error]


def run(
    only: Iterable[int] | None = None,
    *,
    quick: bool = False,
    repeat: int = 5,
    progress: Callable[[str], None] | None = None,
) -> Suite:
    """Run the chosen workloads (all by default) and collect their outcomes."""
    numbers = sorted(set(WORKLOADS if only is None else only))
    unknown = [n for n in numbers if n not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload {unknown[0]}; the workloads are 1 to {len(WORKLOADS)}")
    ctx = Context(quick=quick, repeat=repeat, progress=progress or (lambda text: None))
    timing.SETTLE_S = 0.0 if quick else 0.25
    started = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    outcomes = []
    for number in numbers:
        ctx.progress(f"workload {number}: {WORKLOADS[number][0]}")
        outcomes.append(run_workload(number, ctx))
    return Suite(outcomes, machine(), quick, repeat, started, time.perf_counter() - start)
