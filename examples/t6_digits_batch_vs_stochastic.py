"""T6: digits 0 and 1 with a linear unit on ½Σ(t − o)², batch against stochastic descent."""

import numpy as np

from descend import GDClassifier, datasets

X_train, X_test, y_train, y_test = datasets.digits01()
w0 = np.random.RandomState(19).uniform(-1, 1, 65) * 1e-6  # bias first, then 64 pixels

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
    train_error = 100 * (1 - clf.score(X_train, y_train))
    test_error = 100 * (1 - clf.score(X_test, y_test))
    print(
        f"{name:>10}: {clf.n_iter_} epochs ({clf.stop_reason_}), E = {clf.history_.loss[-1]:.4f}, "
        f"train error {train_error:.2f} %, test error {test_error:.2f} %"
    )
