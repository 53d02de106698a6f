"""`descend bench`: the suite runs end to end in quick mode and reports what it measured.

No timing is asserted: the numbers depend on the machine, and quick mode's tiny sizes mean
nothing; these tests only check that every workload runs and is reported honestly.
"""

import json

import pytest
from typer.testing import CliRunner

from descend.bench import WORKLOADS, peers, report, workloads
from descend.bench.timing import format_bytes, format_seconds, race
from descend.cli import app

runner = CliRunner()

STATUSES = {"MET", "MISSED", "SKIPPED", "REPORT"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    path, table = folder / "results.json", folder / "results.md"
    result = runner.invoke(
        app, ["bench", "--quick", "--repeat", "1", "--json", str(path), "--markdown", str(table)]
    )
    return result, path, table


def test_quick_run_prints_a_row_for_every_workload(quick_run):
    result, _, table = quick_run
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    header, rows = lines[0], lines[1:]
    for column in ("workload", "descend", "compared with", "ratio", "target", "met"):
        assert column in header
    numbers = {int(line.split("|")[1]) for line in rows}
    assert numbers == set(WORKLOADS)
    for line in rows:
        assert line.rstrip(" |").rsplit("|", 1)[1].strip() in STATUSES, line
    assert "Machine:" in result.stdout and "numpy" in result.stdout
    assert table.read_text(encoding="utf-8") == result.stdout


def test_quick_run_writes_json_with_every_field(quick_run):
    _, path, _ = quick_run
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["quick"] is True and data["repeat"] == 1
    for key in ("cpu", "cores", "numpy", "numba", "scikit-learn", "torch"):
        assert key in data["machine"]
    assert {w["number"] for w in data["workloads"]} == set(WORKLOADS)
    for row in data["rows"]:
        for key in ("workload", "case", "descend_value", "reference", "reference_value",
                    "ratio", "target", "kind", "status"):  # fmt: skip
            assert key in row
        assert row["status"] in STATUSES, row
    timed = [t for w in data["workloads"] for t in w["timings"].values()]
    assert timed and all({"median_s", "best_s", "times_s"} <= set(t) for t in timed)


def test_full_batch_notes_the_most_any_epoch_could_gain_over_numpy(quick_run):
    _, path, _ = quick_run
    data = json.loads(path.read_text(encoding="utf-8"))
    full = next(w for w in data["workloads"] if w["number"] == 1)
    note = next(n for n in full["notes"] if "NumPy two-pass ÷ floor" in n)
    timings = full["timings"]
    for loss, kind in [("squared_error", "float64"), ("log_loss", "float32")]:
        prefix = f"{loss} {kind}: "
        floor = min(t["median_s"] for k, t in timings.items() if k.startswith(prefix + "floor"))
        bound = timings[prefix + "NumPy two-pass"]["median_s"] / floor
        assert f"{loss.replace('_', ' ')}, {kind} {bound:.2f}×" in note


def test_a_missing_peer_is_skipped_with_a_note(monkeypatch, tmp_path):
    real = peers.import_peer

    def without_torch(module):
        return None if module.split(".")[0] == "torch" else real(module)

    monkeypatch.setattr(peers, "import_peer", without_torch)
    path = tmp_path / "out.json"
    result = runner.invoke(
        app, ["bench", "--quick", "--only", "3", "--repeat", "1", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert 'pip install "descend[bench]"' in result.stdout
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    skipped = [row for row in rows if row["status"] == "SKIPPED"]
    assert len(skipped) == 1 and "PyTorch" in skipped[0]["reference"]
    assert any(row["status"] != "SKIPPED" for row in rows)  # the NumPy row still ran


def test_unwritable_json_path_is_a_one_line_usage_error(tmp_path):
    result = runner.invoke(app, ["bench", "--quick", "--json", str(tmp_path / "no" / "r.json")])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("only", ["0", "8", "x", "3-9", ""])
def test_bad_workload_numbers_are_usage_errors(only):
    result = runner.invoke(app, ["bench", "--only", only])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_failing_workload_is_reported_and_exits_1(monkeypatch, tmp_path):
    def broken(ctx):
        raise RuntimeError("kernel exploded")

    monkeypatch.setitem(workloads.WORKLOADS, 4, ("minimize overhead", broken))
    result = runner.invoke(
        app, ["bench", "--quick", "--only", "4", "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "ERROR" in result.stdout and "kernel exploded" in result.output


def test_rows_read_their_targets_both_ways():
    faster = report.Row(1, "c", "d", 1.0, "peer", 3.5, "at_least", 3.0)
    assert faster.ratio == pytest.approx(3.5) and faster.status == "MET"
    slower = report.Row(1, "c", "d", 1.0, "peer", 2.0, "at_least", 3.0)
    assert slower.status == "MISSED"
    floor = report.Row(1, "c", "d", 1.2, "floor", 1.0, "at_most", 1.15)
    assert floor.ratio == pytest.approx(1.2) and floor.status == "MISSED"
    assert report.Row(6, "c", "d", 1.0, "peer", None, "report").status == "REPORT"


def test_race_scales_a_partial_contender():
    timings = race({"a": lambda: None, "b": lambda: None}, 2, scales={"b": (10.0, "× 10")})
    assert len(timings["a"].times) == 2 and timings["b"].scale == 10.0
    assert timings["b"].note == "× 10"
    assert format_seconds(0.0123) == "12.3 ms" and format_bytes(1.5e9) == "1.5 GB"
