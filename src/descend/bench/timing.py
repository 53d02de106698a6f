"""Timing contenders side by side: a warm-up call each, then repeats taken in turn.

Every contender of a workload is timed in the same process, one after the other within each
round, so that a slow patch of the machine (another program, the CPU clocking down) falls on
all of them alike rather than on whichever happened to run during it. Each call is timed with
:func:`time.perf_counter` with the garbage collector paused (it runs once before the rounds,
not before each call, as a full collection can take longer than a small call). The first call
of each contender is a warm-up and is not counted (it pays for compilation, page faults on
fresh buffers, thread pools starting up).

Before each timed call the process sleeps :data:`SETTLE_S`: a BLAS or PyTorch call leaves its
worker threads spinning on the cores for a while after it returns, and a parallel call made
in that window waits for them (20 ms lost by a 0.1 ms pass was seen here). Letting them go to
sleep first gives every contender the same quiet machine, whoever ran before it.

A contender that is too slow to run in full (a per-sample Python loop over a million rows) can
run on a part of the work and be scaled: its :class:`Timing` then carries the factor and says
so.

>>> from descend.bench.timing import race
>>> timings = race({"sum": lambda: sum(range(1000))}, repeat=3)
>>> len(timings["sum"].times), timings["sum"].median > 0
(3, True)
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["SETTLE_S", "Timing", "format_bytes", "format_seconds", "race", "time_once"]

#: Seconds slept before each timed call (not counted); :func:`descend.bench.run` sets it, to
#: 0 in quick mode, where the numbers say nothing anyway.
SETTLE_S = 0.25


@dataclass
class Timing:
    """Seconds taken by the repeats of one contender (scaled to the whole work)."""

    times: list[float]
    #: What the measured times were multiplied by (1 when the whole work ran).
    scale: float = 1.0
    #: How the scaling was done, for the report.
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def best(self) -> float:
        return min(self.times) if self.times else math.nan

    def as_dict(self) -> dict:
        return {
            "median_s": self.median,
            "best_s": self.best,
            "times_s": list(self.times),
            "scale": self.scale,
            "note": self.note,
            **self.extra,
        }


def time_once(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes, with the garbage collector paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def race(
    contenders: dict[str, Callable[[], object]],
    repeat: int,
    *,
    warmup: int = 1,
    scales: dict[str, tuple[float, str]] | None = None,
) -> dict[str, Timing]:
    """Time each contender ``repeat`` times after ``warmup`` calls, taking turns.

    ``scales`` maps a contender to ``(factor, note)`` when it runs only a part of the work:
    its times are multiplied by ``factor``, and ``note`` says what was done.
    """
    scales = scales or {}
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    gc.collect()  # once: with large libraries loaded a full collection takes a good 0.1 s
    for _ in range(max(1, repeat)):
        for name, fn in contenders.items():
            factor = scales.get(name, (1.0, ""))[0]
            if SETTLE_S:
                time.sleep(SETTLE_S)
            times[name].append(time_once(fn) * factor)
    return {name: Timing(times[name], *scales.get(name, (1.0, ""))) for name in contenders}


def format_seconds(seconds: float | None) -> str:
    """``0.0123`` as ``12.3 ms``: three significant digits in a unit that suits."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 0:  # a difference of two times can be negative
        return "−" + format_seconds(-seconds)
    for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_bytes(size: float | None) -> str:
    """``1_024_000_000`` as ``1.02 GB`` (powers of 1000)."""
    if size is None or not math.isfinite(size):
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(size) >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} B"
