"""
T2 · w², a fixed number of steps
================================

Descent on w² from w = 20 with learning rate 0.1, for 30 and for 100 steps; then w1² + w2⁴.

Prints the runs, then draws them into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

import descend
from descend import functions, plot

runs = {}
for steps in (30, 100):
    runs[steps] = descend.minimize(functions.square, 20.0, learning_rate=0.1, max_iter=steps)
    print(f"after {steps:3d} steps: w = {runs[steps].x:.6g}")

quartic = descend.minimize(functions.quartic, [1.5, 1.5], learning_rate=0.1, gtol=1e-6)
print(f"w1² + w2⁴: w = {quartic.x} after {quartic.nit} steps ({quartic.reason})")

# Gradient ascent is the same walk with the sign flipped.
res = descend.maximize(
    lambda w: -(w**2), 20.0, grad=lambda w: -2 * w, learning_rate=0.1, max_iter=30
)
print(f"ascent on -w²: w = {res.x:.6g}, maximum {res.fun:.3g}")

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The first 30 iterates on w²: each step lands at 0.8 times the last w.
fig = plot.curve(functions.square, runs[30], bounds=(-22, 22)).figure
fig.savefig(out / "t2-steps.png")
plt.close(fig)

# |w| over 100 steps on a log scale: a straight line, the geometric rate 0.8ᵏ.
ax = plot.loss(runs[100], metric=abs, log=True)
ax.set_ylabel("|w|")
ax.figure.savefig(out / "t2-geometric.png")
plt.close(ax.figure)

# w1² + w2⁴ seen from above: w1 vanishes quickly, w2 crawls along the flat floor.
fig = plot.contour(functions.quartic, quartic, bounds=((-2, 2), (-2, 2)), arrows=False).figure
fig.savefig(out / "t2-quartic.png")
plt.close(fig)
print(f"wrote t2-steps.png, t2-geometric.png, t2-quartic.png to {out}")
