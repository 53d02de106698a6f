"""T7: the dummy-variable trap. The normal equations fail; gradient descent still fits."""

from descend import GDRegressor, datasets

X, y = datasets.dummy_trap()  # ones, and two indicator columns that add up to them
try:
    datasets.least_squares(X, y)
except datasets.SingularNormalEquationsError as err:
    print(err)

reg = GDRegressor(
    fit_intercept=False,
    reduction="sum",  # w <- w - lr * X^T (Xw - y)
    learning_rate=0.001,
    max_epochs=1000,
    init="normal",
    tol=None,
    random_state=0,
)
reg.fit(X, y)
print("\npredictions:", reg.predict(X).round(4))
print("targets:    ", y)
