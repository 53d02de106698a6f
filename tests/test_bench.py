"""`descend bench`: the suite runs end to end in quick mode and reports what it measured.

No timing is asserted: the numbers depend on the machine, and quick mode's tiny sizes mean
nothing; these tests only check that every workload runs and is reported honestly.
"""

import importlib.util
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


def bench_without(monkeypatch, tmp_path, package: str, workload: str):
    """A quick run of one workload with ``package`` missing: its output and its rows."""
    real = peers.import_peer

    def without(module):
        return None if module.split(".")[0] == package else real(module)

    monkeypatch.setattr(peers, "import_peer", without)
    path = tmp_path / "out.json"
    result = runner.invoke(
        app, ["bench", "--quick", "--only", workload, "--repeat", "1", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    return result.stdout, json.loads(path.read_text(encoding="utf-8"))["rows"]


def test_a_missing_peer_is_skipped_with_a_note(monkeypatch, tmp_path):
    out, rows = bench_without(monkeypatch, tmp_path, "torch", "3")
    assert 'pip install "descend[bench]"' in out
    skipped = [row for row in rows if row["status"] == "SKIPPED"]
    assert len(skipped) == 1 and "PyTorch" in skipped[0]["reference"]
    assert any(row["status"] != "SKIPPED" for row in rows)  # the NumPy row still ran


def test_scaling_out_without_dask_skips_its_cluster_rows_with_the_install_hint(
    monkeypatch, tmp_path
):
    real = peers.import_peer

    def without_dask(module):
        return None if module.split(".")[0] in ("distributed", "dask_ml") else real(module)

    monkeypatch.setattr(peers, "import_peer", without_dask)
    path = tmp_path / "out.json"
    result = runner.invoke(
        app, ["bench", "--quick", "--only", "8", "--repeat", "1", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert 'pip install "descend[dask]"' in result.stdout
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    skipped = [row for row in rows if row["status"] == "SKIPPED"]
    assert len(skipped) == 3 and all("descend[dask]" in row["note"] for row in skipped)
    ran = [row for row in rows if row["status"] != "SKIPPED"]
    assert len(ran) == 1 and "memmap" in ran[0]["descend"]  # the file's row needs no Dask


def test_scaling_out_rows_in_quick_mode(quick_run):
    _, path, _ = quick_run
    data = json.loads(path.read_text(encoding="utf-8"))
    eight = next(w for w in data["workloads"] if w["number"] == 8)
    cases = [row["case"] for row in eight["rows"]]
    assert cases[0].startswith("full-batch pass on 2 workers")
    assert cases[1].startswith("full-batch epoch")
    assert any(case.startswith("dask-glm's objective within 1e-6") for case in cases)
    assert cases[-1].startswith("full-batch pass, the file")
    details = eight["details"]
    assert details["placement"]["2 workers"].count(details["placement"]["2 workers"][0]) == 4
    assert len(set(details["placement"]["1 worker"])) == 1
    if importlib.util.find_spec("dask_ml") is not None:  # else its rows say SKIPPED
        assert details["dask_ml"]["optimum_bound"] < 1e-8  # the reference optimum is certified


def test_unwritable_json_path_is_a_one_line_usage_error(tmp_path):
    result = runner.invoke(app, ["bench", "--quick", "--json", str(tmp_path / "no" / "r.json")])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("only", ["0", str(max(WORKLOADS) + 1), "x", "3-99", ""])
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


def test_time_to_accuracy_has_every_solver_with_its_iterations_and_passes(quick_run):
    _, path, _ = quick_run
    data = json.loads(path.read_text(encoding="utf-8"))
    six = next(w for w in data["workloads"] if w["number"] == 6)
    rows = {row["reference"].split(":")[0]: row for row in six["rows"]}
    for solver in ("lbfgs", "newton-cholesky", "sag", "saga"):
        row = next(
            r for name, r in rows.items() if name.startswith(f"LogisticRegression({solver}")
        )
        assert row["kind"] == "at_least" and row["target"] == (2.0 if solver == "lbfgs" else 1.0)
        assert "passes" in row["reference"] and "epochs" in row["descend"]
    assert any(name.startswith("Ridge(") for name in rows)
    assert any(row["case"].startswith("10-class") for row in six["rows"])
    for problem in ("logistic", "ridge", "multinomial"):
        contenders = six["details"][problem]["contenders"]
        assert {"iterations", "passes", "passes_counted", "reached"} <= set(contenders["descend"])
    logistic = six["details"]["logistic"]["contenders"]
    for solver in ("lbfgs", "newton-cholesky"):  # counted calls: at least one per iteration
        assert logistic[solver]["passes"] >= logistic[solver]["iterations"] >= 1
    for solver in ("sag", "saga"):  # one pass an epoch
        assert logistic[solver]["passes"] == logistic[solver]["iterations"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_passes_are_counted_and_the_loss_is_put_back():
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.linear_model._linear_loss import LinearModelLoss

    before = dict(LinearModelLoss.__dict__)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
    model, passes = peers.sklearn_loss_passes(
        lambda: LogisticRegression(solver="lbfgs", max_iter=5, tol=1e-12).fit(X, y)
    )
    # L-BFGS evaluates the loss and gradient at the start and at least once an iteration
    assert passes >= int(model.n_iter_[0]) + 1
    assert dict(LinearModelLoss.__dict__) == before


def test_time_to_accuracy_reads_n_passes_where_a_fit_has_it():
    import numpy as np

    from descend import GDRegressor

    class Counted(GDRegressor):
        def fit(self, X, y):
            super().fit(X, y)
            self.n_passes_ = 2 * self.n_iter_ + 1
            return self

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = X @ [1.0, -1.0]
    loss = lambda model: float(np.mean((model.predict(X) - y) ** 2) / 2)  # noqa: E731
    run = workloads._descend(Counted, X, y, 1e-6, loss, 0.0, "Counted()")
    assert run.fits and run.passes == 2 * run.iterations + 1
    assert run.counts() == f"{run.iterations} epochs, {run.passes} passes"


def test_gradient_backends_without_jax_skip_its_rows_with_the_install_hint(monkeypatch, tmp_path):
    out, rows = bench_without(monkeypatch, tmp_path, "jax", "9")
    assert 'pip install "descend[autodiff]"' in out
    skipped = [row for row in rows if row["status"] == "SKIPPED"]
    assert skipped and all("descend[autodiff]" in row["note"] for row in skipped)
    assert {row["descend"] for row in skipped} >= {"jax", "minimize, grad=Gradient(jax)"}
    exact = next(row for row in rows if row["descend"] == "complex-step")  # needs nothing
    assert exact["status"] == "MET" and exact["unit"] == "relative"
