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
