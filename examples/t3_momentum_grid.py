"""
T3 · momentum: the learning-rate × momentum grid
================================================

The learning-rate × momentum grid of five-step runs on w1² + w2².

Prints the grid, then draws it into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

import descend
from descend import animate, functions, plot

w0 = np.random.RandomState(19).uniform(-10, 10, 2)
rates, momenta = (0.05, 0.2, 0.5, 0.8), (0.0, 0.5, 0.9)
runs = {}
print("start", w0)
print(f"{'η':>5} {'α':>4} {'f after 5 steps':>16}")
for lr in rates:
    for alpha in momenta:
        res = descend.minimize(
            functions.sphere, w0, learning_rate=lr, momentum=alpha, max_iter=5, tol=-1
        )
        runs[lr, alpha] = res
        print(f"{lr:5.2f} {alpha:4.1f} {res.fun:16.6f}")

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)
box = ((-10, 10), (-10, 10))

# One panel per (learning rate, momentum) pair: the five steps drawn with arrows.
fig = plot.grid(functions.sphere, w0, rates, momenta, 5, bounds=box)
fig.savefig(out / "t3-grid.png")
plt.close(fig)

# At η = 0.05, without momentum the path crawls; with momentum 0.9 it races ahead.
slow, fast = runs[0.05, 0.0], runs[0.05, 0.9]
replay = animate.contour_path(
    functions.sphere, slow, fast, bounds=box, labels=["α = 0", "α = 0.9"], interval_ms=600
)
replay.save(out / "t3-momentum.gif")
plt.close("all")
print(f"wrote t3-grid.png, t3-momentum.gif to {out}")
