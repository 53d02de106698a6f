"""
T5 · a sigmoid classifier on two blobs
======================================

A sigmoid classifier on two blobs, trained on the log loss, watched by Σ(σ − y)².

Prints the fit, then draws it into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

from descend import GDClassifier, animate, datasets, plot

X, y = datasets.blobs()  # 250 points, two classes
clf = GDClassifier(
    loss="log_loss",
    learning_rate=0.01,
    max_epochs=100,
    tol=None,
    init="uniform",
    random_state=0,
    record_weights=True,  # keep the weights of every epoch, for the animation
)
clf.fit(X, y)

for epoch in (1, 10, 50, 100):
    print(f"[INFO] epoch #{epoch}, loss={clf.history_.sse[epoch]:.7f}")
print(f"training accuracy {clf.score(X, y):.0%}")
rows = np.random.default_rng(0).choice(len(X), 10, replace=False)
for p, predicted, true in zip(
    clf.predict_proba(X[rows])[:, 1], clf.predict(X[rows]), y[rows], strict=True
):
    print(f"activation = {p:.4f}; predicted = {predicted}, true = {true}")

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The two blobs by class and the line the classifier draws between them.
fig = plot.decision_boundary(clf, X, y).figure
fig.savefig(out / "t5-boundary.png")
plt.close(fig)

# The tutorial's monitor, Σ(σ(w·x + b) − y)², against the epoch.
fig = plot.loss(clf, metric="sse").figure
fig.savefig(out / "t5-loss.png")
plt.close(fig)

# The boundary moving into place, one frame every 5 epochs.
animate.decision_boundary(clf, X, y, every=5).save(out / "t5-training.gif")
plt.close("all")
print(f"wrote t5-boundary.png, t5-loss.png, t5-training.gif to {out}")
