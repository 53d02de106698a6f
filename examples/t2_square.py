"""T2: w² from w = 20 with learning rate 0.1, for 30 and for 100 steps; then w1² + w2⁴."""

import descend
from descend import functions

for steps in (30, 100):
    res = descend.minimize(functions.square, 20.0, learning_rate=0.1, max_iter=steps)
    print(f"after {steps:3d} steps: w = {res.x:.6g}")

res = descend.minimize(functions.quartic, [1.5, 1.5], learning_rate=0.1, gtol=1e-6)
print(f"w1² + w2⁴: w = {res.x} after {res.nit} steps ({res.reason})")

# Gradient ascent is the same walk with the sign flipped.
res = descend.maximize(
    lambda w: -(w**2), 20.0, grad=lambda w: -2 * w, learning_rate=0.1, max_iter=30
)
print(f"ascent on -w²: w = {res.x:.6g}, maximum {res.fun:.3g}")
