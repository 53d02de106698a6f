"""
T6 · digits 0 and 1: batch against stochastic descent
=====================================================

Digits 0 and 1 with a linear unit on ½Σ(t − o)², batch against stochastic descent.

Prints both fits, then draws them into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

from descend import GDClassifier, datasets, plot

X_train, X_test, y_train, y_test = datasets.digits01()
w0 = np.random.RandomState(19).uniform(-1, 1, 65) * 1e-6  # bias first, then 64 pixels

fits = []
for name, batch_size in (("batch", None), ("stochastic", 1)):
    clf = GDClassifier(
        loss="squared_error",  # a linear unit read with a 0.5 threshold
        reduction="sum",
        learning_rate=1e-6,
        momentum=0.7,
        max_epochs=100,
        tol=0.1,  # stop when |ΔE| <= 0.1
        batch_size=batch_size,
        random_state=0,
    )
    clf.fit(X_train, y_train, coef_init=w0[1:], intercept_init=w0[0])
    fits.append(clf)
    train_error = 100 * (1 - clf.score(X_train, y_train))
    test_error = 100 * (1 - clf.score(X_test, y_test))
    print(
        f"{name:>10}: {clf.n_iter_} epochs ({clf.stop_reason_}), E = {clf.history_.loss[-1]:.4f}, "
        f"train error {train_error:.2f} %, test error {test_error:.2f} %"
    )

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The first ten training images (8 × 8 pixels) with their labels.
fig = plot.images(X_train, labels=y_train, n=10)
fig.savefig(out / "t6-digits.png")
plt.close(fig)

# The error E = ½Σ(t − o)² against the epoch, batch and stochastic side by side.
fig = plot.loss(*fits, labels=["batch", "stochastic"], log=True).figure
fig.savefig(out / "t6-error.png")
plt.close(fig)

# The share of training images classified wrongly, against the epoch.
fig = plot.loss(*fits, labels=["batch", "stochastic"], metric="error_rate").figure
fig.savefig(out / "t6-error-rate.png")
plt.close(fig)
print(f"wrote t6-digits.png, t6-error.png, t6-error-rate.png to {out}")
