"""T4: fit a line by batch gradient descent and set it beside the least-squares line."""

from descend import GDRegressor, datasets

X, y = datasets.regression()  # 100 noisy points, one feature
reg = GDRegressor(learning_rate=0.001, max_epochs=5000, tol=None, init="uniform", random_state=0)
reg.fit(X, y)
exact = datasets.least_squares(X, y, fit_intercept=True)

print(f"gradient descent: intercept {reg.intercept_[0]:.2f}, slope {reg.coef_[0]:.2f}")
print(f"least squares:    intercept {exact.intercept:.2f}, slope {exact.coef[0]:.2f}")
for epoch in (0, 10, 100, 1000, 5000):
    print(f"  epoch {epoch:4d}: cost {reg.history_.loss[epoch]:10.4f}")
