"""
T1 · a parabola, one step at a time
===================================

Walk down the parabola x² − 6x + 5 from x = 15 with a fixed step of 0.01.

Prints the run, then draws it into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

import descend
from descend import animate, functions, plot

res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
print(f"local minimum at x = {res.x:.2f} after {res.nit} steps ({res.message})")
for k in range(0, res.nit + 1, 50):
    print(
        f"  step {k:3d}: x = {res.history.x[k]:.4f}, (3 - x)² = {(3 - res.history.x[k]) ** 2:.6f}"
    )

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The parabola with every 10th iterate on it and the minimum at x = 3 marked.
fig = plot.curve(functions.quadratic, res, every=10).figure
fig.savefig(out / "t1-curve.png")
plt.close(fig)

# The squared distance to the minimum shrinks by the same factor every step,
# so on a log scale it falls along a straight line.
ax = plot.loss(res, metric=lambda x: (3 - x) ** 2, log=True)
ax.set_ylabel("(3 − x)²")
ax.figure.savefig(out / "t1-distance.png")
plt.close(ax.figure)

# The same walk as an animation, one frame every 10 steps.
animate.descent_on_curve(functions.quadratic, res, every=10).save(out / "t1-descent.gif")
plt.close("all")
print(f"wrote t1-curve.png, t1-distance.png, t1-descent.gif to {out}")
