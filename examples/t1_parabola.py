"""T1: walk down the parabola x² − 6x + 5 from x = 15 with a fixed step of 0.01."""

import descend
from descend import functions

res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
print(f"local minimum at x = {res.x:.2f} after {res.nit} steps ({res.message})")
for k in range(0, res.nit + 1, 50):
    print(
        f"  step {k:3d}: x = {res.history.x[k]:.4f}, (3 - x)² = {(3 - res.history.x[k]) ** 2:.6f}"
    )
