"""`descend demo --out DIR`: every picture and a report page, checked in a real browser."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from descend import report, tutorials
from descend.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
#: Frames each demo animation must have: the rows its history implies at its stride.
FRAMES = {
    "t1-descent.gif": 29,  # 274 iterates, every 10th and the last
    "t3-momentum.gif": 6,  # five steps and the start
    "t4-line.gif": 201,  # 5001 epochs, every 25th
    "t5-training.gif": 101,  # 100 epochs and the start
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """The whole demo, run as a user runs it: a process with no display, whatever backend
    the environment names."""
    out = tmp_path_factory.mktemp("demo") / "report"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "TkAgg"
    done = subprocess.run(
        [sys.executable, "-m", "descend.cli", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Every number matches the tutorial" in done.stdout
    # the console wraps long lines at its width, and the folder's path may be long
    assert f"Wrote 23 pictures and {out / 'index.html'}" in " ".join(done.stdout.split())
    return out


def test_demo_writes_every_picture_decodable_and_not_blank(demo_dir):
    pictures = sorted(p.name for p in demo_dir.iterdir() if p.suffix in (".png", ".gif"))
    assert len(pictures) == 23
    for name in ("t1-curve.png", "t3-grid.png", "t4-surface.png", "t6-digits.png", *FRAMES):
        assert name in pictures
    for name in pictures:
        image = Image.open(demo_dir / name)
        assert image.format == ("GIF" if name.endswith(".gif") else "PNG"), name
        assert min(image.size) > 200, name
        assert np.asarray(image.convert("L"), dtype=float).std() > 10, name
    for name, frames in FRAMES.items():
        assert Image.open(demo_dir / name).n_frames == frames, name
    assert not [p.name for p in demo_dir.iterdir() if "partial" in p.name]


def test_the_page_has_a_section_per_experiment_and_needs_no_network(demo_dir):
    page = (demo_dir / "index.html").read_text(encoding="utf-8")
    for key in tutorials.EXPERIMENTS:
        assert f'<section id="{key.lower()}">' in page
    assert page.count("<img ") == 23
    assert "Every number matches the tutorial." in page
    assert "closed form" in page and "3.0483" in page and "63.42" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for src in (chunk.split('"')[0] for chunk in page.split('<img src="')[1:]):
        assert (demo_dir / src).is_file(), src


def test_the_page_in_headless_chromium_loads_every_image(demo_dir, tmp_path, headless_chromium):
    browser = headless_chromium(tmp_path / "profile", (1280, 900))
    try:
        browser.get((demo_dir / "index.html").as_uri())
        assert browser.title == "descend demo: the tutorial experiments"
        images = browser.execute_script(
            "return Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(images) == 23
        for src, complete, width, height in images:
            assert complete and width > 0 and height > 0, src
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(int(height), 16000))
        artifacts = Path(os.environ.get("DESCEND_TEST_ARTIFACTS", ROOT / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        shot = artifacts / "demo-report.png"
        assert browser.save_screenshot(str(shot))
    finally:
        browser.quit()
    image = Image.open(shot)
    assert image.format == "PNG" and image.size[0] >= 1000 and image.size[1] > 2000
    assert np.asarray(image.convert("L"), dtype=float).std() > 10


def test_demo_of_named_experiments_writes_only_theirs(tmp_path):
    result = runner.invoke(app, ["demo", "T7", "T2", "t7", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        ["index.html", "t2-geometric.png", "t2-quartic.png", "t2-steps.png", "t7-cost.png",
         "t7-predictions.png"]
    )  # fmt: skip
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.index('id="t7"') < page.index('id="t2"')  # in the order asked for
    assert 'id="t1"' not in page and page.count('id="t7"') == 1


def test_demo_without_pictures_writes_nothing(tmp_path):
    out = tmp_path / "never"
    result = runner.invoke(app, ["demo", "T1", "--no-pictures", "--out", str(out)])
    assert result.exit_code == 0 and not out.exists()


def test_demo_refuses_an_out_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("mine")
    result = runner.invoke(app, ["demo", "T1", "--out", str(target)])
    assert result.exit_code == 2
    assert "exists and is not a folder" in result.output
    assert "Traceback" not in result.output and target.read_text() == "mine"


def test_the_page_escapes_what_it_shows(tmp_path):
    odd = tutorials.Report("T9", "a <b>bold</b> title", {"x < y": "&"}, log=["<script>"])
    odd.about = 'quotes " and <tags>'
    odd.checks.append(tutorials.Check("q", "<1>", "<2>", False))
    path = report.write_page([odd], {}, tmp_path)
    page = path.read_text(encoding="utf-8")
    assert "<b>bold" not in page and "&lt;b&gt;bold" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Numbers differ from the tutorial in T9." in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]
