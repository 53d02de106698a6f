"""The benchmark's results: one row per comparison, a Markdown table and JSON.

A row compares one thing descend did with one reference: the floor, a peer, or (for memory)
the size of X. Where the target bounds descend from above (time ≤ 1.15 × the floor, memory
≤ 1.1 × X) the ratio is descend ÷ reference; where it asks descend to be faster (≥ 3×) the
ratio is reference ÷ descend, the speed-up. Either way the row says MET or MISSED, so a miss is
never hidden; a peer that could not run says SKIPPED, a row without a target says REPORT.

>>> row = Row(1, "full-batch epoch", "kernels.epoch", 0.5, "NumPy two-pass", 2.0, "at_least", 3.0)
>>> round(row.ratio, 2), row.status
(4.0, 'MET')
"""

from __future__ import annotations

import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, field

from descend.bench.timing import format_bytes, format_seconds

__all__ = ["Row", "machine", "markdown", "to_json_data"]

#: How a row reads its target.
KINDS = ("at_most", "at_least", "report")


@dataclass
class Row:
    """One comparison of the table."""

    workload: int
    case: str
    descend: str
    descend_value: float | None
    reference: str
    reference_value: float | None
    kind: str = "at_least"
    target: float | None = None
    unit: str = "s"  # "s" (seconds), "bytes", or "relative" (an error, a plain number)
    note: str = ""
    skipped: bool = False
    error: str = ""

    @property
    def ratio(self) -> float | None:
        a, b = self.descend_value, self.reference_value
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            return None
        if self.kind == "at_most":
            return a / b if b > 0 else None
        return b / a if a > 0 else None

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.skipped:
            return "SKIPPED"
        if self.kind == "report" or self.target is None:
            return "REPORT"
        ratio = self.ratio
        if ratio is None:
            return "MISSED"
        met = ratio <= self.target if self.kind == "at_most" else ratio >= self.target
        return "MET" if met else "MISSED"

    def value(self, which: str) -> str:
        v = self.descend_value if which == "descend" else self.reference_value
        if v is None:
            return "—"
        if self.unit == "relative":  # a relative error, a plain number
            return f"{v:.2g}"
        return format_bytes(v) if self.unit == "bytes" else format_seconds(v)

    def target_text(self) -> str:
        if self.target is None or self.kind == "report":
            return "—"
        return f"{'≤' if self.kind == 'at_most' else '≥'} {self.target:g}×"

    def ratio_text(self) -> str:
        r = self.ratio
        return "—" if r is None else f"{r:.3g}×"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(ratio=self.ratio, status=self.status)
        return data


@dataclass
class Outcome:
    """What one workload produced: its rows, timings, notes and any numbers of its own."""

    number: int
    title: str
    size: str
    rows: list[Row] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "size": self.size,
            "seconds": self.seconds,
            "rows": [row.as_dict() for row in self.rows],
            "timings": {name: t.as_dict() for name, t in self.timings.items()},
            "notes": list(self.notes),
            "details": self.details,
        }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(module: str) -> str | None:
    from descend.bench.peers import import_peer

    found = import_peer(module)
    return None if found is None else str(getattr(found, "__version__", "unknown"))


def _distribution(name: str) -> str | None:
    """The installed version of a distribution, without importing it (None: not installed)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """The machine and the versions the numbers were taken with."""
    import numpy as np

    import descend

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "descend": descend.__version__,
        "numpy": np.__version__,
        "numba": _version("numba"),
        "scikit-learn": _version("sklearn"),
        "torch": _version("torch"),
        # read from the installed metadata: importing JAX would cost every run a second
        "jax": _distribution("jax"),
        "autograd": _distribution("autograd"),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0].get('internal_api')} {blas[0].get('version')}"
            info["blas_threads"] = blas[0].get("num_threads")
    except Exception:  # the BLAS line is a nicety
        pass
    numba = sys.modules.get("numba")
    if numba is not None:
        info["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def machine_line(info: dict) -> str:
    """The machine in one line, under the table."""
    versions = ", ".join(
        f"{name} {info[name] if info.get(name) else 'not installed'}"
        for name in ("numpy", "numba", "scikit-learn", "torch", "jax")
    )
    blas = f"; {info['blas']} ({info.get('blas_threads')} threads)" if info.get("blas") else ""
    return (
        f"{info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable); "
        f"Python {info['python']}, descend {info['descend']}, {versions}{blas}"
    )


HEADER = ("#", "workload", "descend", "compared with", "its result", "ratio", "target", "met")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(outcomes: list[Outcome], info: dict, *, quick: bool, repeat: int) -> str:
    """The results as a Markdown table, with the notes and the machine under it."""
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---:", ":---", "---:", ":---", "---:", "---:", ":---:", ":---:"]) + "|",
    ]
    for outcome in outcomes:
        for row in outcome.rows:
            case = f"{row.case} ({row.descend})" if row.descend else row.case
            cells = [
                str(row.workload),
                case,
                row.value("descend"),
                row.reference,
                row.value("reference"),
                row.ratio_text(),
                row.target_text(),
                row.status,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    lines.append(
        "Times are medians of "
        f"{repeat} timed repeat{'s' * (repeat != 1)} after a warm-up call, every contender of a "
        "workload timed in turn in the same process. ratio: descend ÷ reference where the "
        "target is an upper bound (≤), reference ÷ descend (the speed-up) where it is a lower "
        "bound (≥)."
    )
    if quick:
        lines.append(
            "Quick mode: tiny sizes that only check that the suite runs; these numbers say "
            "nothing about the targets."
        )
    notes = [(o.number, n) for o in outcomes for n in o.notes]
    if notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"- {number}: {text}" for number, text in notes)
    lines.append("")
    lines.append(f"Machine: {machine_line(info)}")
    return "\n".join(lines) + "\n"


def to_json_data(
    outcomes: list[Outcome], info: dict, *, quick: bool, repeat: int, started: str, seconds: float
) -> dict:
    """Everything measured, as plain JSON data."""
    return {
        "suite": "descend bench",
        "quick": quick,
        "repeat": repeat,
        "started": started,
        "seconds": seconds,
        "machine": info,
        "rows": [row.as_dict() for o in outcomes for row in o.rows],
        "workloads": [o.as_dict() for o in outcomes],
    }
