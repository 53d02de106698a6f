"""T3: the learning-rate × momentum grid of five-step runs on w1² + w2²."""

import numpy as np

import descend
from descend import functions

w0 = np.random.RandomState(19).uniform(-10, 10, 2)
print("start", w0)
print(f"{'η':>5} {'α':>4} {'f after 5 steps':>16}")
for lr in (0.05, 0.2, 0.5, 0.8):
    for alpha in (0.0, 0.5, 0.9):
        res = descend.minimize(
            functions.sphere, w0, learning_rate=lr, momentum=alpha, max_iter=5, tol=-1
        )
        print(f"{lr:5.2f} {alpha:4.1f} {res.fun:16.6f}")
