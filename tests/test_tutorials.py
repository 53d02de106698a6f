"""The tutorial experiments behind `descend demo`: every check agrees with the tutorial."""

import pytest

from descend import tutorials


@pytest.mark.parametrize("key", list(tutorials.EXPERIMENTS))
def test_every_check_matches_the_tutorial(key):
    report = tutorials.EXPERIMENTS[key]()
    assert report.key == key
    failing = [c for c in report.checks if not c.ok]
    assert not failing, failing
    assert report.checks and report.log and report.runs


def test_t1_numbers():
    report = tutorials.t1()
    res = report.runs["descent"]
    assert (round(res.x, 4), res.nit, res.reason) == (3.0483, 273, "xtol")


def test_t3_runs_the_whole_grid():
    report = tutorials.t3()
    assert len(report.runs) == 12
    assert all(len(res.history.x) == 6 for res in report.runs.values())


def test_run_selects_and_rejects_names():
    assert [r.key for r in tutorials.run(["t3", "T1"])] == ["T3", "T1"]
    with pytest.raises(ValueError, match="Unknown experiment 'T9'"):
        tutorials.run(["T9"])


def test_t4_descent_and_least_squares():
    report = tutorials.t4()
    reg = report.runs["gradient descent"]
    assert abs(reg.intercept_[0] - 1.20) <= 0.05 and abs(reg.coef_[0] - 62.81) <= 0.05
    assert len(reg.history_) == 5001  # the start and 5000 epochs


def test_t5_prints_the_tutorials_log_lines():
    report = tutorials.t5()
    assert report.log[0].startswith("[INFO] epoch #1, loss=")
    assert sum(line.startswith("activation = ") for line in report.log) == 10


def test_t6_batch_stops_by_the_threshold_after_12_epochs():
    report = tutorials.t6()
    batch, sgd = report.runs["batch"], report.runs["stochastic"]
    assert (batch.n_iter_, batch.stop_reason_) == (12, "tol")
    assert abs(batch.history_.loss[-1] - 2.9988) < 5e-5
    assert sgd.n_iter_ < batch.n_iter_
    # the momentum table: batch and stochastic at each of the three momenta
    assert sum(key.endswith("threshold 0.01") for key in report.runs) == 6


def test_t7_normal_equations_fail_and_descent_fits():
    report = tutorials.t7()
    assert report.log[0].startswith("normal equations: The normal equations")
    assert {c.quantity: c.ok for c in report.checks}["normal equations"]
