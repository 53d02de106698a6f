"""descend.animate (the module descend.plot.animate): replays have the frames the history
implies, show the recorded rows, and save as complete GIF files (or say clearly why an MP4
cannot be written)."""

import shutil

import numpy as np
import pytest
from matplotlib import animation
from PIL import Image, ImageChops

import descend
from descend import GDClassifier, GDRegressor, animate, datasets, functions
from descend.plot._records import frame_rows


@pytest.fixture(scope="module")
def t1():
    return descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)


@pytest.fixture(scope="module")
def blobs_fit():
    X, y = datasets.blobs()
    clf = GDClassifier(loss="log_loss", learning_rate=0.01, max_epochs=20, tol=None,
                       init="uniform", random_state=0, record_weights=True)  # fmt: skip
    return clf.fit(X, y), X, y


@pytest.fixture(scope="module")
def line_fit():
    X, y = datasets.regression()
    reg = GDRegressor(learning_rate=0.001, max_epochs=5000, tol=None, init="uniform",
                      random_state=0, record_weights=True)  # fmt: skip
    return reg.fit(X, y), X, y


@pytest.mark.parametrize(
    ("n_rows", "every", "expected"),
    [(274, 10, [*range(0, 274, 10), 273]), (5001, 25, list(range(0, 5001, 25))), (1, 5, [0]),
     (6, 1, [0, 1, 2, 3, 4, 5]), (6, 100, [0, 5])],
)  # fmt: skip
def test_frame_rows_stride_and_always_end_on_the_last_row(n_rows, every, expected):
    np.testing.assert_array_equal(frame_rows(n_rows, every), expected)


def test_descend_animate_is_the_plot_packages_module():
    import descend.plot.animate as moved

    assert animate is moved
    assert descend.animate is moved
    assert descend.plot.animate is moved
    assert animate.Replay.__module__ == "descend.plot.animate"


def test_descent_on_curve_frames_follow_the_iterates(t1):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=10)
    assert replay.n_frames == 29
    trail, head = replay.figure.axes[0].lines[1:]
    for i in (0, 5, 28):
        replay._update(i)
        row = replay.rows[i]
        assert head.get_xdata()[0] == t1.history.x[row]
        assert head.get_ydata()[0] == t1.history.f[row]
        assert len(trail.get_xdata()) == i + 1
    assert replay.figure.axes[0].get_title().startswith("iteration 273: x = 3.0483")


def test_contour_path_replays_runs_of_different_lengths():
    long = descend.minimize(functions.sphere, [-8.0, 5.0], learning_rate=0.05, max_iter=12)
    short = descend.minimize(functions.sphere, [6.0, 6.0], learning_rate=0.4, max_iter=4)
    replay = animate.contour_path(functions.sphere, long, short, every=2)
    assert replay.n_frames == 7  # rows 0, 2, …, 12 of the longer run
    ax = replay.figure.axes[0]
    replay._update(6)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), long.history.x[:, 0])
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), short.history.x[:, 0])  # stays put


def test_decision_boundary_replay_draws_each_epochs_line(blobs_fit):
    clf, X, y = blobs_fit
    replay = animate.decision_boundary(clf, X, y)
    assert replay.n_frames == len(clf.history_) == 21
    line = replay.figure.axes[0].lines[0]
    for i in (5, 20):
        replay._update(i)
        w, b = clf.history_.coef[i][0], clf.history_.intercept[i][0]
        points = np.c_[line.get_xdata(), line.get_ydata()]
        assert len(points) == 2
        np.testing.assert_allclose(points @ w + b, 0.0, atol=1e-9)
    accuracy = clf.history_.accuracy[20]
    assert replay.figure.axes[0].get_title() == f"epoch 20: training accuracy {accuracy:.0%}"


def test_decision_boundary_replay_for_three_classes_shades_the_argmax():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=90, centers=3, random_state=1)
    clf = GDClassifier(loss="log_loss", max_epochs=10, tol=None, record_weights=True).fit(X, y)
    replay = animate.decision_boundary(clf, X, y, every=3, resolution=40)
    assert replay.n_frames == 5  # epochs 0, 3, 6, 9 and 10
    replay._update(4)
    shown = replay.figure.axes[0].images[0].get_array()
    assert set(np.unique(shown)) <= {0, 1, 2} and len(np.unique(shown)) == 3


def test_line_fit_replay_follows_the_recorded_weights(line_fit):
    reg, X, y = line_fit
    replay = animate.line_fit(reg, X, y, every=25, reference=True)
    assert replay.n_frames == 201
    line = replay.figure.axes[0].lines[-1]
    replay._update(200)
    xs = line.get_xdata()
    b, w = reg.history_.intercept[5000][0], reg.history_.coef[5000][0]
    np.testing.assert_allclose(line.get_ydata(), b + w * xs)


def test_a_saved_gif_has_every_frame_at_the_figure_size(t1, tmp_path):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=30)
    path = tmp_path / "t1.gif"
    replay.save(path, dpi=40)
    image = Image.open(path)
    assert image.format == "GIF"
    assert image.n_frames == replay.n_frames == 11
    width, height = replay.figure.get_size_inches() * 40
    assert image.size == (round(width), round(height))
    first = image.convert("RGB")
    assert np.asarray(first.convert("L"), dtype=float).std() > 10
    image.seek(image.n_frames - 1)
    last = image.convert("RGB")
    assert ImageChops.difference(first, last).getbbox() is not None  # the point moved
    assert not list(tmp_path.glob(".*partial*"))


def _frames(path):
    image = Image.open(path)
    frames = []
    for k in range(image.n_frames):
        image.seek(k)
        frames.append(np.asarray(image.convert("RGB"), dtype=float))
    return frames


@pytest.mark.parametrize("kind", ["curve", "contour", "boundary", "line"])
def test_a_gif_drawn_by_its_moving_parts_shows_what_full_draws_show(
    kind, t1, blobs_fit, line_fit, tmp_path
):  # fmt: skip
    def replay():
        if kind == "curve":
            return animate.descent_on_curve(functions.quadratic, t1, every=40)
        if kind == "contour":
            runs = [descend.minimize(functions.sphere, [-8.0, 5.2], learning_rate=rate,
                                     max_iter=6, tol=-1) for rate in (0.05, 0.3)]  # fmt: skip
            return animate.contour_path(functions.sphere, *runs)
        if kind == "boundary":
            return animate.decision_boundary(*blobs_fit, every=5)
        return animate.line_fit(*line_fit, every=1000, reference=True)

    fast, full = tmp_path / "fast.gif", tmp_path / "full.gif"
    replay().save(fast, dpi=50)  # our own GIF writer: the still parts drawn once
    made = replay()
    made.save(full, writer=animation.PillowWriter(fps=1000 / made._interval), dpi=50)
    a, b = _frames(fast), _frames(full)
    assert len(a) == len(b) == made.n_frames
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x.shape == y.shape
        # the same picture: at most a few edge pixels differ by palette rounding
        assert np.mean(np.abs(x - y) > 40) < 0.002, (kind, k)
    assert Image.open(fast).info["duration"] == Image.open(full).info["duration"]


def test_saving_is_all_or_nothing(t1, tmp_path):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=50)
    path = tmp_path / "broken.gif"
    path.write_bytes(b"an older file stays intact")
    draw = replay._update

    def failing(i):
        if i == 3:
            raise RuntimeError("interrupted at frame 3")
        return draw(i)

    replay._update = failing
    with pytest.raises(RuntimeError, match="frame 3"):
        replay.save(path, dpi=30)
    assert path.read_bytes() == b"an older file stays intact"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.gif"]


def test_save_says_what_it_needs(t1, tmp_path, monkeypatch):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=100)
    with pytest.raises(ValueError, match=r"saves as \.gif or \.mp4"):
        replay.save(tmp_path / "run.avi")
    with pytest.raises(FileNotFoundError, match="No folder"):
        replay.save(tmp_path / "missing" / "run.gif")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        replay.save(tmp_path)
    with pytest.raises(ValueError, match="fps"):
        replay.save(tmp_path / "run.gif", fps=0)
    with pytest.raises(ValueError, match="Unknown or unavailable writer 'quicktime'"):
        replay.save(tmp_path / "run.gif", writer="quicktime")
    with pytest.raises(ValueError, match="interval_ms"):
        animate.descent_on_curve(functions.quadratic, t1, interval_ms=0)
    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match="needs ffmpeg, which is not installed.*save as .gif"):
        replay.save(tmp_path / "run.mp4")
    assert not (tmp_path / "run.mp4").exists()


def test_save_takes_the_usual_animation_arguments(t1, tmp_path):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=100)
    seen = []
    replay.save(tmp_path / "run.gif", writer="pillow", fps=4, dpi=30,
                savefig_kwargs={"facecolor": "black"},
                progress_callback=lambda i, n: seen.append((i, n)))  # fmt: skip
    assert seen == [(i, 4) for i in range(4)]
    image = Image.open(tmp_path / "run.gif")
    assert image.n_frames == 4 and image.info["duration"] == 250
    assert image.convert("RGB").getpixel((0, 0)) == (0, 0, 0)  # the black face


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_mp4_when_ffmpeg_is_present(t1, tmp_path):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=100)
    replay.save(tmp_path / "run.mp4", dpi=40)
    assert (tmp_path / "run.mp4").read_bytes()[4:8] == b"ftyp"  # an MP4 container


def test_jupyter_shows_a_replay_inline(t1):
    replay = animate.descent_on_curve(functions.quadratic, t1, every=100)
    html = replay._repr_html_()
    assert "<script" in html and html.count("data:image/png;base64") == replay.n_frames


def test_replays_refuse_runs_they_cannot_show(t1, blobs_fit, line_fit):
    _, X, y = blobs_fit
    sphere = descend.minimize(functions.sphere, [1.0, 1.0], learning_rate=0.1, max_iter=3)
    with pytest.raises(ValueError, match="one-variable run; this one has 2"):
        animate.descent_on_curve(functions.sphere, sphere)
    with pytest.raises(ValueError, match="two-variable runs; run 1 has 1"):
        animate.contour_path(functions.quadratic, t1)
    plain = GDClassifier(max_epochs=3, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="record_weights=True"):
        animate.decision_boundary(plain, X, y)
    X4 = np.c_[X, X]
    wide = GDClassifier(max_epochs=3, tol=None, record_weights=True).fit(X4, y)
    with pytest.raises(ValueError, match="two features; this one was fitted on 4"):
        animate.decision_boundary(wide, X, y)
    with pytest.raises(ValueError, match="GDRegressor has no classes_"):
        animate.decision_boundary(line_fit[0], X, y)
    reg, Xr, yr = line_fit
    with pytest.raises(ValueError, match="one feature"):
        animate.line_fit(reg, np.c_[Xr, Xr], yr)
    with pytest.raises(ValueError, match="every"):
        animate.line_fit(reg, Xr, yr, every=0)
