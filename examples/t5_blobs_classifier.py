"""T5: a sigmoid classifier on two blobs, trained on the log loss, watched by Σ(σ − y)²."""

import numpy as np

from descend import GDClassifier, datasets

X, y = datasets.blobs()  # 250 points, two classes
clf = GDClassifier(
    loss="log_loss", learning_rate=0.01, max_epochs=100, tol=None, init="uniform", random_state=0
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
