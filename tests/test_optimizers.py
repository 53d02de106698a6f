"""descend.optimizers: one table of cases run through shared checks.

In the manner of PyTorch's ``OptimizerInfo`` and optax's alias tests, every optimizer and every
flag appears once in :data:`CASES`, and each check below runs over the whole table:

1. it goes downhill on a convex quadratic;
2. it matches :func:`reference_run`, a step-by-step loop over plain Python floats written from
   the documented algorithms (the tutorial's momentum, and torch.optim's SGD/Nesterov, Adagrad,
   RMSprop, Adam and AdamW; Nesterov's accelerated sequence and gradient restart), never
   calling descend;
3. ``update`` is pure and its state is a ``NamedTuple``;
4. the learning rate may come per call, or as a schedule on the object;
5. it follows torch.optim itself to rounding (skipped where torch is not installed, and for
   the variants torch.optim does not have).

Then: bad constructor arguments, :func:`descend.optimizers.make`, the hand-computed steps of
the docstrings, and Nesterov's sequence and restart against the classic two-sequence form.

L-BFGS and conjugate gradients are in the table at fixed rates too, with their own reference
rules (the two-loop recursion; the β formulas, restarts and step scale of their docstring).
They are meant to run with a line search, so they are also checked at the rates one picks,
where conjugate gradients stop restarting at every step and the β formulas come into play.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest

from descend import functions, schedules
from descend.descent import minimize
from descend.linesearch import Wolfe
from descend.optimizers import (
    GD,
    LBFGS,
    OPTIMIZERS,
    AdaGrad,
    AdaGradState,
    Adam,
    AdamState,
    AdamW,
    CGState,
    CompiledForm,
    ConjugateGradient,
    EmptyState,
    LBFGSState,
    Momentum,
    MomentumState,
    Nesterov,
    NesterovState,
    RMSProp,
    RMSPropState,
    make,
)

# --------------------------------------------------------------------------- the table


class Case(NamedTuple):
    """One optimizer with one set of hyper-parameters, and a learning rate that suits the tests."""

    id: str
    cls: type
    hp: dict[str, Any]
    lr: float

    def build(self, learning_rate=None):
        """The descend optimizer of this case (at ``learning_rate`` if given)."""
        return self.cls(
            learning_rate=self.lr if learning_rate is None else learning_rate, **self.hp
        )


CASES = [
    Case("gd", GD, {}, 5e-4),
    Case("momentum-0", Momentum, {"momentum": 0.0}, 5e-4),
    Case("momentum-0.5", Momentum, {"momentum": 0.5}, 5e-4),
    Case("momentum-0.9", Momentum, {"momentum": 0.9}, 2e-4),
    Case("nesterov-0.5", Nesterov, {"momentum": 0.5}, 5e-4),
    Case("nesterov-0.9", Nesterov, {"momentum": 0.9}, 2e-4),
    Case("nesterov-sequence", Nesterov, {"momentum": "sequence"}, 2e-4),
    Case("nesterov-0.9-restart", Nesterov, {"momentum": 0.9, "restart": "gradient"}, 2e-4),
    Case(
        "nesterov-sequence-restart",
        Nesterov,
        {"momentum": "sequence", "restart": "gradient"},
        5e-4,
    ),
    Case("adagrad", AdaGrad, {}, 0.1),
    Case("adagrad-lr_decay", AdaGrad, {"lr_decay": 0.05}, 0.1),
    Case("adagrad-initial_acc", AdaGrad, {"initial_accumulator_value": 0.5}, 0.1),
    Case(
        "adagrad-all",
        AdaGrad,
        {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-3},
        0.1,
    ),
    Case("rmsprop", RMSProp, {}, 0.01),
    Case("rmsprop-alpha-eps", RMSProp, {"alpha": 0.9, "eps": 1e-3}, 0.01),
    Case("rmsprop-centered", RMSProp, {"centered": True}, 0.01),
    Case("rmsprop-momentum", RMSProp, {"momentum": 0.9}, 1e-3),
    Case(
        "rmsprop-centered-momentum",
        RMSProp,
        {"centered": True, "momentum": 0.5, "alpha": 0.9},
        1e-3,
    ),
    Case("adam", Adam, {}, 0.05),
    Case("adam-eps", Adam, {"eps": 1e-2, "betas": (0.8, 0.99)}, 0.05),
    Case("adam-weight_decay", Adam, {"weight_decay": 0.1}, 0.05),
    Case("adam-amsgrad", Adam, {"amsgrad": True}, 0.05),
    Case(
        "adam-weight_decay-amsgrad",
        Adam,
        {"weight_decay": 0.1, "amsgrad": True, "betas": (0.8, 0.99)},
        0.05,
    ),
    Case("adamw", AdamW, {}, 0.05),
    Case("adamw-weight_decay-0.1", AdamW, {"weight_decay": 0.1}, 0.05),
    Case("adamw-amsgrad", AdamW, {"amsgrad": True}, 0.05),
    Case(
        "adamw-weight_decay-amsgrad",
        AdamW,
        {"weight_decay": 0.1, "amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-4},
        0.05,
    ),
]

# L-BFGS and conjugate gradients at fixed rates. A fixed rate compounds in conjugate gradients'
# step scale (each step's first-order decrease is the rate times the last one's), so their
# rate sits where 50 steps neither vanish below rounding nor climb: at such rates successive
# gradients stay far from orthogonal and every step restarts (Powell's test), which the
# line-search checks further down make up for.
QUASI_NEWTON_CASES = [
    Case("lbfgs-memory-2", LBFGS, {"memory": 2}, 0.05),
    Case("lbfgs-memory-5", LBFGS, {"memory": 5}, 0.1),
    Case("cg-PR+", ConjugateGradient, {"variant": "PR+"}, 5e-4),
    Case("cg-FR", ConjugateGradient, {"variant": "FR"}, 5e-4),
    Case("cg-HS", ConjugateGradient, {"variant": "HS"}, 5e-4),
    Case("cg-DY", ConjugateGradient, {"variant": "DY"}, 5e-4),
    Case("cg-PR+-restart-2", ConjugateGradient, {"variant": "PR+", "restart": 2}, 5e-4),
]
CASES += QUASI_NEWTON_CASES

cases = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


def test_the_table_covers_every_optimizer_and_flag():
    assert {c.cls for c in CASES} == set(OPTIMIZERS.values())
    assert {c.hp.get("momentum") for c in CASES if c.cls is Momentum} >= {0.0, 0.5, 0.9}
    flags = {(c.cls, key) for c in CASES for key, value in c.hp.items() if value}
    for expected in [
        (AdaGrad, "lr_decay"),
        (AdaGrad, "initial_accumulator_value"),
        (RMSProp, "centered"),
        (RMSProp, "momentum"),
        (Adam, "weight_decay"),
        (Adam, "amsgrad"),
        (AdamW, "amsgrad"),
        (AdamW, "weight_decay"),
        (Nesterov, "restart"),
    ]:
        assert expected in flags
    assert {c.hp.get("momentum") for c in CASES if c.cls is Nesterov} >= {0.5, 0.9, "sequence"}
    assert any(c.hp.get("centered") and c.hp.get("momentum") for c in CASES)
    assert any(c.cls is Adam and not c.hp.get("weight_decay") for c in CASES)


# --------------------------------------------------------------------------- test problems

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])  # symmetric positive definite
B = np.array([1.0, -1.0, 0.5])
X0_QUADRATIC = np.array([2.0, -1.0, 1.5])


def quadratic(x):
    return 0.5 * x @ A @ x - B @ x


def quadratic_grad(x):
    return A @ x - B


def rosenbrock_grad(x):
    """Gradient of sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, as a list of floats."""
    x = [float(v) for v in x]
    g = [0.0] * len(x)
    for i in range(len(x) - 1):
        r = x[i + 1] - x[i] * x[i]
        g[i] += -400.0 * x[i] * r - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * r
    return g


X0_ROSENBROCK = [-1.2, 1.0, 0.8]


def descend_run(opt, x0, grad, lrs=None, steps=50):
    """Positions after each step of ``opt`` (rates from ``lrs`` per call if given)."""
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    path = []
    for t in range(steps if lrs is None else len(lrs)):
        rate = None if lrs is None else lrs[t]
        step, state = opt.update(np.asarray(grad(x), dtype=float), state, x, learning_rate=rate)
        x = x + step
        path.append(x)
    return np.array(path)


# --------------------------------------------------------------------------- the reference


def reference_run(case, x0, grad, lrs):
    """Positions after each step, from the formulas, one coordinate at a time in floats.

    ``lrs[t - 1]`` is the learning rate of step ``t``. The rules are the tutorial's momentum and
    PyTorch's documented algorithms (SGD with nesterov=True and dampening 0, Adagrad, RMSprop,
    Adam, AdamW), written here independently of descend.
    """
    if case.cls.name in QUASI_NEWTON_REFERENCES:  # directions from the whole gradient
        return np.array(QUASI_NEWTON_REFERENCES[case.cls.name](case.hp, x0, grad, lrs))
    kind, hp = case.cls.name, case.hp
    n = len(x0)
    x = [float(v) for v in x0]
    zero = [0.0] * n
    m, v, vmax, buf = list(zero), list(zero), list(zero), list(zero)
    acc = [hp.get("initial_accumulator_value", 0.0)] * n
    k = 0  # Nesterov's steps since the start or the last restart
    path = []
    for t, lr in enumerate(lrs, start=1):
        g = [float(gi) for gi in grad(np.array(x))]
        if kind == "nesterov" and (hp.get("restart") or hp["momentum"] == "sequence"):
            # torch's rule with a momentum mu_k that may change from step to step:
            # b <- mu_k b + g; x <- x - lr (g + mu_{k+1} b); the sequence is
            # mu_k = (k - 1) / (k + 2) from k = 1 (mu_0 = 0). The gradient restart takes a
            # plain step, empties b and counts from 0 again where g . b < 0 (b the new b).
            if hp["momentum"] == "sequence":
                mu_now, mu_next = max(k - 1, 0) / (k + 2), k / (k + 3)
            else:
                mu_now = mu_next = hp["momentum"]
            new = [mu_now * buf[i] + g[i] for i in range(n)]
            if hp.get("restart") == "gradient" and sum(g[i] * new[i] for i in range(n)) < 0:
                x = [x[i] - lr * g[i] for i in range(n)]
                buf, k = list(zero), 0
            else:
                x = [x[i] - lr * (g[i] + mu_next * new[i]) for i in range(n)]
                buf, k = new, k + 1
            path.append(list(x))
            continue
        for i in range(n):
            if kind == "gd":
                x[i] -= lr * g[i]
            elif kind == "momentum":  # Δw ← −η∇f(w) + αΔw ; w ← w + Δw
                buf[i] = -lr * g[i] + hp["momentum"] * buf[i]
                x[i] += buf[i]
            elif kind == "nesterov":
                mu = hp["momentum"]
                buf[i] = g[i] if t == 1 else mu * buf[i] + g[i]
                x[i] -= lr * (g[i] + mu * buf[i])
            elif kind == "adagrad":
                eps = hp.get("eps", 1e-10)
                clr = lr / (1.0 + (t - 1) * hp.get("lr_decay", 0.0))
                acc[i] += g[i] * g[i]
                x[i] -= clr * g[i] / (math.sqrt(acc[i]) + eps)
            elif kind == "rmsprop":
                alpha, eps, mu = hp.get("alpha", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0)
                v[i] = alpha * v[i] + (1.0 - alpha) * g[i] * g[i]
                vt = v[i]
                if hp.get("centered", False):
                    m[i] = alpha * m[i] + (1.0 - alpha) * g[i]
                    vt = vt - m[i] * m[i]
                if mu > 0:
                    buf[i] = mu * buf[i] + g[i] / (math.sqrt(vt) + eps)
                    x[i] -= lr * buf[i]
                else:
                    x[i] -= lr * g[i] / (math.sqrt(vt) + eps)
            elif kind in ("adam", "adamw"):
                beta1, beta2 = hp.get("betas", (0.9, 0.999))
                eps = hp.get("eps", 1e-8)
                wd = hp.get("weight_decay", 0.0 if kind == "adam" else 1e-2)
                gi = g[i]
                if kind == "adamw":
                    x[i] -= lr * wd * x[i]
                elif wd:
                    gi = gi + wd * x[i]
                m[i] = beta1 * m[i] + (1.0 - beta1) * gi
                v[i] = beta2 * v[i] + (1.0 - beta2) * gi * gi
                m_hat = m[i] / (1.0 - beta1**t)
                if hp.get("amsgrad", False):
                    vmax[i] = max(vmax[i], v[i])
                    v_hat = vmax[i] / (1.0 - beta2**t)
                else:
                    v_hat = v[i] / (1.0 - beta2**t)
                x[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
            else:  # pragma: no cover - a new optimizer needs its rule here
                raise AssertionError(f"no reference rule for {kind!r}")
        path.append(list(x))
    return np.array(path)


def _dot(a, b):
    return sum(ai * bi for ai, bi in zip(a, b, strict=True))


def lbfgs_reference(hp, x0, grad, lrs, log=None):
    """L-BFGS at the rates ``lrs``, in floats, from the two-loop recursion.

    The pairs are s = x_new - x, y = g_new - g, kept (oldest dropped past ``memory``) when
    s·y > 1e-10 y·y; H⁰ = (s·y / y·y) I of the newest pair. The first step, and a step whose
    direction does not descend, is -g / |g| and forgets the pairs. ``log`` collects what
    happened: "skipped" (a pair without curvature), "forgot" (the oldest pair dropped),
    "uphill".
    """
    memory = hp.get("memory", 10)
    x = [float(v) for v in x0]
    pairs = []  # (s, y, 1 / s·y), oldest first
    x_prev = g_prev = None
    path = []
    for lr in lrs:
        g = [float(v) for v in grad(np.array(x))]
        if x_prev is not None:
            s = [a - b for a, b in zip(x, x_prev, strict=True)]
            y = [a - b for a, b in zip(g, g_prev, strict=True)]
            if _dot(s, y) > 1e-10 * _dot(y, y):
                pairs.append((s, y, 1.0 / _dot(s, y)))
                if len(pairs) > memory:
                    pairs.pop(0)
                    if log is not None:
                        log.append("forgot")
            elif log is not None:
                log.append("skipped")
        d = None
        if pairs:
            q, alphas = list(g), []
            for s, y, rho in reversed(pairs):  # newest first
                a = rho * _dot(s, q)
                q = [qi - a * yi for qi, yi in zip(q, y, strict=True)]
                alphas.append(a)
            s, y, _ = pairs[-1]
            r = [_dot(s, y) / _dot(y, y) * qi for qi in q]
            for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):  # oldest first
                b = rho * _dot(y, r)
                r = [ri + (a - b) * si for ri, si in zip(r, s, strict=True)]
            d = [-ri for ri in r]
            if not _dot(g, d) < 0.0:
                d = None
                if log is not None:
                    log.append("uphill")
        if d is None:
            norm = math.sqrt(_dot(g, g))
            d, pairs = [-gi / norm for gi in g], []
        x_prev, g_prev = x, g
        x = [xi + lr * di for xi, di in zip(x, d, strict=True)]
        path.append(x)
    return path


def cg_reference(hp, x0, grad, lrs, log=None, searched=False):
    """Nonlinear conjugate gradients at the rates ``lrs``, in floats, from the docstring.

    d = -g + β d_prev by the variant's β, or -g: at the first step, after ``restart`` steps
    (default n) since the last restart, when |g·g_prev| >= 0.2 g·g, and when -g + β d_prev
    does not descend. The step is η_t α_t d: under a line search (``searched``) with
    α_0 = 1 / |g_0| and α_t = η_{t-1} α_{t-1} (g_prev·d_prev) / (g·d), else α_t = 1.
    ``log`` collects how each direction came: "first", "period", "powell", "beta" or
    "uphill".
    """
    variant, period = hp.get("variant", "PR+"), hp.get("restart") or len(x0)
    x = [float(v) for v in x0]
    d_prev = g_prev = taken = None  # taken: η_{t-1} α_{t-1}
    since = 0  # steps since the direction last restarted
    path = []
    for lr in lrs:
        g = [float(v) for v in grad(np.array(x))]
        d = [-gi for gi in g]
        if g_prev is None:
            why = "first"
        elif since % period == 0:
            why = "period"
        elif abs(_dot(g, g_prev)) >= 0.2 * _dot(g, g):
            why = "powell"
        else:
            dg = [a - b for a, b in zip(g, g_prev, strict=True)]
            if variant == "PR+":
                beta = max(0.0, _dot(g, dg) / _dot(g_prev, g_prev))
            elif variant == "FR":
                beta = _dot(g, g) / _dot(g_prev, g_prev)
            elif variant == "HS":
                beta = max(0.0, _dot(g, dg) / _dot(d_prev, dg))
            else:  # DY
                beta = _dot(g, g) / _dot(d_prev, dg)
            d = [-gi + beta * di for gi, di in zip(g, d_prev, strict=True)]
            why = "beta"
            if not _dot(g, d) < 0.0:
                d, why = [-gi for gi in g], "uphill"
        if log is not None:
            log.append(why)
        since = since + 1 if why == "beta" else 1
        if not searched:
            alpha = 1.0
        elif taken is None:
            alpha = 1.0 / math.sqrt(_dot(g, g))
        else:
            alpha = taken * _dot(g_prev, d_prev) / _dot(g, d)
        d_prev, g_prev, taken = d, g, lr * alpha
        x = [xi + lr * alpha * di for xi, di in zip(x, d, strict=True)]
        path.append(x)
    return path


QUASI_NEWTON_REFERENCES = {"lbfgs": lbfgs_reference, "cg": cg_reference}


# --------------------------------------------------------------------------- 1. downhill


@cases
def test_goes_downhill_on_a_convex_quadratic(case):
    path = descend_run(case.build(), X0_QUADRATIC, quadratic_grad, steps=40)
    assert np.all(np.isfinite(path))
    f0, f_end = quadratic(X0_QUADRATIC), quadratic(path[-1])
    assert f_end < f0 - 1e-3 * abs(f0)


# --------------------------------------------------------------------------- 2. the reference


@cases
def test_matches_the_reference_loop_on_rosenbrock(case):
    steps = 50
    ours = descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, steps=steps)
    expected = reference_run(case, X0_ROSENBROCK, rosenbrock_grad, [case.lr] * steps)
    assert np.all(np.isfinite(expected))
    assert not np.allclose(expected[-1], X0_ROSENBROCK, rtol=0, atol=1e-3)  # it did move
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


def test_the_reference_tells_the_optimizers_apart():
    """The reference check has teeth: neighbouring settings give different trajectories."""
    lrs = [0.05] * 50

    def run(cls, **hp):
        return reference_run(Case("", cls, hp, 0.05), X0_ROSENBROCK, rosenbrock_grad, lrs)[-1]

    pairs = [
        (run(Adam, weight_decay=0.1), run(AdamW, weight_decay=0.1)),
        (run(Adam), run(Adam, amsgrad=True)),
        (run(Adam, eps=1e-2), run(Adam, eps=1e-3)),
        (run(RMSProp), run(RMSProp, centered=True)),
        (run(Momentum, momentum=0.5), run(Nesterov, momentum=0.5)),
    ]
    for a, b in pairs:
        assert not np.allclose(a, b, rtol=1e-6)


# --------------------------------------------------------------------------- 3. purity


def _copy_state(state):
    return type(state)(*(np.copy(a) if isinstance(a, np.ndarray) else a for a in state))


def _assert_same_state(a, b):
    assert type(a) is type(b)
    for name, x, y in zip(a._fields, a, b, strict=True):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert x == y, name


@cases
def test_update_is_pure_and_state_is_a_named_tuple(case):
    opt = case.build()
    x = np.array(X0_ROSENBROCK)
    state = opt.init(x)
    assert isinstance(state, tuple) and hasattr(state, "_fields")
    for _ in range(3):  # a state with something in it
        step, state = opt.update(np.array(rosenbrock_grad(x)), state, x)
        x = x + step
    assert isinstance(state, tuple) and hasattr(state, "_fields")
    assert type(state) is type(opt.init(x))

    grad = np.array(rosenbrock_grad(x))
    grad_copy, x_copy, state_copy = grad.copy(), x.copy(), _copy_state(state)
    step1, state1 = opt.update(grad, state, x)
    np.testing.assert_array_equal(grad, grad_copy)
    np.testing.assert_array_equal(x, x_copy)
    _assert_same_state(state, state_copy)

    step2, state2 = opt.update(grad, state, x)
    np.testing.assert_array_equal(step1, step2)
    _assert_same_state(state1, state2)
    assert step1.shape == x.shape and step1.dtype == np.float64
    assert not np.shares_memory(step1, grad) and not np.shares_memory(step1, x)


@pytest.mark.parametrize(
    ("opt", "state_type"),
    [
        (GD(), EmptyState),
        (Momentum(), MomentumState),
        (Nesterov(), NesterovState),
        (Nesterov(momentum="sequence", restart="gradient"), NesterovState),
        (AdaGrad(), AdaGradState),
        (RMSProp(), RMSPropState),
        (Adam(), AdamState),
        (AdamW(), AdamState),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, type) else v.__name__,
)
def test_state_types(opt, state_type):
    x = np.array([1.0, 2.0])
    state = opt.init(x)
    assert type(state) is state_type
    _, new = opt.update(np.array([0.5, -0.5]), state, x)
    assert type(new) is state_type
    for a in state:
        if isinstance(a, np.ndarray):
            assert a.shape == x.shape and not np.shares_memory(a, x)


def test_optional_state_entries_follow_the_flags():
    x = np.zeros(2)
    assert RMSProp().init(x).grad_avg is None and RMSProp().init(x).buffer is None
    assert RMSProp(centered=True, momentum=0.5).init(x).grad_avg is not None
    assert RMSProp(centered=True, momentum=0.5).init(x).buffer is not None
    assert Adam().init(x).nu_max is None and Adam(amsgrad=True).init(x).nu_max is not None
    np.testing.assert_array_equal(AdaGrad(initial_accumulator_value=0.3).init(x).sum_sq, 0.3)


@pytest.mark.parametrize(
    "opt", [Momentum(), Adam(), AdamW(), RMSProp(), GD()], ids=lambda o: type(o).__name__
)
def test_optimizers_are_frozen(opt):
    with pytest.raises(AttributeError):
        opt.learning_rate = 1.0


# --------------------------------------------------------------------------- 4. learning rates


@cases
def test_per_call_learning_rate_overrides_the_fixed_one(case):
    other = 0.5 * case.lr
    called = descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, lrs=[other] * 20)
    built = descend_run(case.build(other), X0_ROSENBROCK, rosenbrock_grad, steps=20)
    np.testing.assert_array_equal(called, built)


@cases
def test_schedule_on_the_object(case):
    schedule = schedules.inverse_scaling(case.lr, power=0.5, decay_steps=10.0)
    opt = case.build(schedule)
    assert opt.learning_rate is schedule
    x = np.array(X0_ROSENBROCK)
    with pytest.raises(TypeError, match="learning_rate"):
        opt.update(np.array(rosenbrock_grad(x)), opt.init(x), x)

    lrs = [schedule(t) for t in range(30)]
    ours = descend_run(opt, X0_ROSENBROCK, rosenbrock_grad, lrs=lrs)
    expected = reference_run(case, X0_ROSENBROCK, rosenbrock_grad, lrs)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rate", [lambda t: 0.1, "backtracking"], ids=["lambda", "backtracking"])
@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()), ids=lambda c: c.__name__)
def test_update_without_a_number_needs_the_rate_per_call(cls, rate):
    opt = cls(learning_rate=rate)
    x = np.array([1.0, -1.0])
    with pytest.raises(TypeError, match=rf"{cls.__name__} has learning_rate=.*not a number"):
        opt.update(2 * x, opt.init(x), x)
    step, _ = opt.update(2 * x, opt.init(x), x, learning_rate=0.1)
    assert np.all(np.isfinite(step))


# --------------------------------------------------------------------------- 5. torch


TORCH_EQUIVALENT = {
    GD: ("SGD", {}),
    Momentum: ("SGD", {}),
    Nesterov: ("SGD", {"nesterov": True, "dampening": 0.0}),
    AdaGrad: ("Adagrad", {}),
    RMSProp: ("RMSprop", {}),
    Adam: ("Adam", {}),
    AdamW: ("AdamW", {}),
}


def torch_run(case, x0, grad, lrs):
    """Positions after each step of the torch.optim counterpart of ``case``, in float64."""
    if case.cls is Nesterov and (case.hp.get("restart") or case.hp["momentum"] == "sequence"):
        pytest.skip("torch.optim.SGD has neither the accelerated sequence nor the restart")
    torch = pytest.importorskip("torch")
    if case.cls not in TORCH_EQUIVALENT:
        pytest.skip(f"torch.optim has no step-by-step counterpart of {case.cls.__name__}")
    name, extra = TORCH_EQUIVALENT[case.cls]
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, name)([p], lr=lrs[0], foreach=False, **case.hp, **extra)
    path = []
    for lr in lrs:
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = torch.tensor(grad(p.detach().numpy()), dtype=torch.float64)
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@cases
def test_matches_torch_optim(case):
    pytest.importorskip("torch")
    lrs = [case.lr] * 100
    ours = descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, lrs=lrs)
    theirs = torch_run(case, X0_ROSENBROCK, rosenbrock_grad, lrs)
    np.testing.assert_allclose(ours, theirs, rtol=_torch_rtol(case), atol=1e-12)


def _torch_rtol(case):
    # Every case agrees with torch to ~1e-14. Centred RMSProp divides by sqrt(v - gbar^2),
    # which cancels badly when the gradient changes slowly, so a last-bit difference in gbar
    # would grow to ~1e-10 within 60 steps; descend updates gbar in torch's lerp form,
    # gbar + (1 - alpha)(g - gbar), to stay on the same trajectory.
    return 1e-10


@cases
def test_matches_torch_optim_with_a_changing_learning_rate(case):
    if case.cls is Momentum and case.hp["momentum"] > 0:
        pytest.skip("the tutorial's momentum keeps past rates in the step; torch's does not")
    pytest.importorskip("torch")
    lrs = [case.lr * (1.0 + 0.5 * math.cos(t)) for t in range(60)]
    ours = descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, lrs=lrs)
    theirs = torch_run(case, X0_ROSENBROCK, rosenbrock_grad, lrs)
    np.testing.assert_allclose(ours, theirs, rtol=_torch_rtol(case), atol=1e-12)


def test_the_tutorial_momentum_differs_from_torch_only_under_a_changing_rate():
    """With a constant rate Δw = −η·buf, so the two forms agree; changing η tells them apart."""
    case = Case("momentum-0.9", Momentum, {"momentum": 0.9}, 2e-4)
    lrs = [case.lr * (1.0 + 0.5 * math.cos(t)) for t in range(30)]
    ours = descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, lrs=lrs)
    np.testing.assert_allclose(
        ours, reference_run(case, X0_ROSENBROCK, rosenbrock_grad, lrs), rtol=1e-12
    )
    theirs = torch_run(case, X0_ROSENBROCK, rosenbrock_grad, lrs)
    assert not np.allclose(ours[-1], theirs[-1], rtol=1e-8)


# --------------------------------------------------------------------------- bad arguments

BAD_ARGUMENTS = [
    (GD, {"learning_rate": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    (GD, {"learning_rate": 0}, ValueError, "Invalid learning rate: 0"),
    (GD, {"learning_rate": math.inf}, ValueError, "Invalid learning rate: inf"),
    (GD, {"learning_rate": math.nan}, ValueError, "Invalid learning rate: nan"),
    (GD, {"learning_rate": "fast"}, ValueError, "Invalid learning rate: 'fast'"),
    (GD, {"learning_rate": True}, TypeError, "Invalid learning rate: True"),
    (GD, {"learning_rate": None}, TypeError, "Invalid learning rate: None"),
    (GD, {"learning_rate": [0.1]}, TypeError, "Invalid learning rate: [0.1]"),
    (Momentum, {"momentum": 1.0}, ValueError, "Invalid momentum: 1.0"),
    (Momentum, {"momentum": -0.1}, ValueError, "Invalid momentum: -0.1"),
    (Momentum, {"momentum": "0.9"}, TypeError, "Invalid momentum: '0.9'"),
    (Momentum, {"learning_rate": -0.5}, ValueError, "Invalid learning rate: -0.5"),
    (Nesterov, {"momentum": 1.5}, ValueError, "Invalid momentum: 1.5"),
    (Nesterov, {"momentum": math.nan}, ValueError, "Invalid momentum: nan"),
    (Nesterov, {"momentum": "Sequence"}, ValueError, "Invalid momentum: 'Sequence'; expected"),
    (Nesterov, {"momentum": [0.9]}, TypeError, "Invalid momentum: [0.9]; expected"),
    (Nesterov, {"restart": "function"}, ValueError, "Invalid restart: 'function'; the function"),
    (Nesterov, {"restart": "always"}, ValueError, "Invalid restart: 'always'; expected None"),
    (Nesterov, {"restart": True}, TypeError, "Invalid restart: True; expected None"),
    (AdaGrad, {"learning_rate": -0.01}, ValueError, "Invalid learning rate: -0.01"),
    (AdaGrad, {"lr_decay": -0.1}, ValueError, "Invalid lr_decay: -0.1"),
    (AdaGrad, {"eps": -1e-10}, ValueError, "Invalid eps: -1e-10"),
    (AdaGrad, {"eps": math.nan}, ValueError, "Invalid eps: nan"),
    (AdaGrad, {"initial_accumulator_value": -1.0}, ValueError, "initial_accumulator_value: -1.0"),
    (AdaGrad, {"lr_decay": "slow"}, TypeError, "Invalid lr_decay: 'slow'"),
    (RMSProp, {"alpha": 1.0}, ValueError, "Invalid alpha: 1.0"),
    (RMSProp, {"alpha": -0.5}, ValueError, "Invalid alpha: -0.5"),
    (RMSProp, {"eps": -1.0}, ValueError, "Invalid eps: -1.0"),
    (RMSProp, {"momentum": 1.0}, ValueError, "Invalid momentum: 1.0"),
    (RMSProp, {"momentum": -0.2}, ValueError, "Invalid momentum: -0.2"),
    (Adam, {"learning_rate": -1e-3}, ValueError, "Invalid learning rate: -0.001"),
    (Adam, {"betas": (1.0, 0.999)}, ValueError, "Invalid beta1: 1.0"),
    (Adam, {"betas": (-0.1, 0.999)}, ValueError, "Invalid beta1: -0.1"),
    (Adam, {"betas": (0.9, 1.0)}, ValueError, "Invalid beta2: 1.0"),
    (Adam, {"betas": (0.9, 1.5)}, ValueError, "Invalid beta2: 1.5"),
    (Adam, {"betas": (0.9,)}, ValueError, "Invalid betas: (0.9,)"),
    (Adam, {"betas": 0.9}, ValueError, "Invalid betas: 0.9"),
    (Adam, {"betas": ("a", 0.9)}, TypeError, "Invalid beta1: 'a'"),
    (Adam, {"eps": -1e-8}, ValueError, "Invalid eps: -1e-08"),
    (Adam, {"weight_decay": -0.01}, ValueError, "Invalid weight_decay: -0.01"),
    (AdamW, {"weight_decay": -1.0}, ValueError, "Invalid weight_decay: -1.0"),
    (AdamW, {"betas": (0.9, 0.999, 0.5)}, ValueError, "Invalid betas: (0.9, 0.999, 0.5)"),
    (AdamW, {"eps": math.inf}, ValueError, "Invalid eps: inf"),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{k}" for c, k, _, _ in BAD_ARGUMENTS],
)
def test_bad_constructor_arguments(cls, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("opt", "expected"),
    [
        (GD(1), 1.0),
        (Momentum(np.float64(0.5), momentum=0), 0.5),
        (Adam(learning_rate=2, betas=[0, 0.5]), 2.0),
    ],
    ids=["int", "numpy", "list-betas"],
)
def test_good_arguments_are_normalised(opt, expected):
    assert type(opt.learning_rate) is float and opt.learning_rate == expected
    if isinstance(opt, Adam):
        assert opt.betas == (0.0, 0.5)
    if isinstance(opt, Momentum):
        assert type(opt.momentum) is float


def test_defaults_are_torchs():
    assert AdaGrad() == AdaGrad(0.01, lr_decay=0.0, eps=1e-10, initial_accumulator_value=0.0)
    assert RMSProp() == RMSProp(0.01, alpha=0.99, eps=1e-8, momentum=0.0, centered=False)
    assert Adam() == Adam(1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)
    assert AdamW() == AdamW(1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)


# --------------------------------------------------------------------------- make


def test_make_rejects_unknown_names_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'sgd'") as info:
        make("sgd")
    for name in OPTIMIZERS:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("name", [None, 3, GD], ids=["None", "int", "class"])
def test_make_rejects_non_strings(name):
    with pytest.raises(TypeError, match=re.escape(f"Invalid optimizer: {name!r}")):
        make(name)


@pytest.mark.parametrize("name", ["adam", "adamw", "adagrad"])
def test_make_rejects_momentum_where_there_is_none(name):
    with pytest.raises(ValueError, match=r"Invalid momentum: 0\.9"):
        make(name, 0.1, momentum=0.9)
    assert make(name, 0.1, momentum=0) == make(name, 0.1)


def test_make_gd_with_momentum_is_momentum():
    assert make("gd", 0.05, momentum=0.5) == Momentum(0.05, momentum=0.5)
    assert type(make("GD", 0.05, momentum=0.5)) is Momentum
    assert make("gd", 0.05, momentum=0) == GD(0.05)
    assert make("gd", 0.05) == GD(0.05)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("adam",), Adam()),
        (("Adam", 0.1), Adam(0.1)),
        (("adamw", 0.1), AdamW(0.1)),
        (("nesterov", 0.1, 0.5), Nesterov(0.1, momentum=0.5)),
        (("nesterov", 0.1, "sequence"), Nesterov(0.1, momentum="sequence")),
        (("rmsprop", 0.1, 0.5), RMSProp(0.1, momentum=0.5)),
        (("momentum", 0.1, 0.0), Momentum(0.1, momentum=0.0)),
        (("adagrad", 0.1), AdaGrad(0.1)),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else "expected",
)
def test_make_builds_the_named_optimizer(args, expected):
    assert make(*args) == expected


def test_make_checks_the_values_it_passes_on():
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1\.0"):
        make("adam", -1.0)
    with pytest.raises(ValueError, match=r"Invalid momentum: 1\.5"):
        make("gd", 0.1, momentum=1.5)


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_only_nesterov_takes_the_sequence(name):
    with pytest.raises(ValueError, match=r"Invalid momentum: 'sequence'; .*optimizer"):
        make(name, 0.1, momentum="sequence")


# --------------------------------------------------------------------------- hand-computed steps


def _steps(opt, x0, grad, n):
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    out = []
    for _ in range(n):
        step, state = opt.update(grad(x), state, x)
        x = x + step
        out.append(x)
    return np.array(out)


def test_gd_on_w_squared_from_20():
    path = _steps(GD(0.1), [20.0], lambda w: 2 * w, 3)
    np.testing.assert_allclose(path[:, 0], [16.0, 12.8, 10.24], rtol=1e-15)


def test_momentum_by_hand():
    path = _steps(Momentum(0.1, momentum=0.5), [20.0], lambda w: 2 * w, 2)
    # Δ1 = −0.1·40 = −4; Δ2 = −0.1·32 + 0.5·(−4) = −5.2
    np.testing.assert_allclose(path[:, 0], [16.0, 10.8], rtol=1e-15)


def test_momentum_zero_is_gd():
    np.testing.assert_array_equal(
        _steps(Momentum(0.1, momentum=0.0), [20.0, -3.0], lambda w: 2 * w, 10),
        _steps(GD(0.1), [20.0, -3.0], lambda w: 2 * w, 10),
    )


def test_nesterov_by_hand():
    path = _steps(Nesterov(0.1, momentum=0.5), [20.0], lambda w: 2 * w, 2)
    # b1 = 40, x1 = 20 − 0.1·(40 + 20) = 14; g2 = 28, b2 = 20 + 28 = 48, x2 = 14 − 0.1·(28 + 24)
    np.testing.assert_allclose(path[:, 0], [14.0, 8.8], rtol=1e-15)


def test_adagrad_by_hand():
    path = _steps(AdaGrad(0.5), [3.0, -4.0], lambda w: 2 * w, 2)
    np.testing.assert_allclose(path[0], [2.5, -3.5], rtol=1e-10)
    # G = 36 + 25 = 61 and 64 + 49 = 113
    np.testing.assert_allclose(
        path[1], [2.5 - 0.5 * 5 / math.sqrt(61), -3.5 + 0.5 * 7 / math.sqrt(113)], rtol=1e-10
    )
    decayed = _steps(
        AdaGrad(0.5, lr_decay=1.0, initial_accumulator_value=64.0), [3.0], lambda w: 2 * w, 2
    )
    # step 1: 0.5·6/10 = 0.3 → 2.7; step 2: rate 0.25, G = 100 + 5.4² → 2.7 − 0.25·5.4/√129.16
    np.testing.assert_allclose(
        decayed[:, 0], [2.7, 2.7 - 0.25 * 5.4 / math.sqrt(129.16)], rtol=1e-10
    )


def test_rmsprop_by_hand():
    x = np.ones(1)
    step, _ = RMSProp(0.01, alpha=0.99).update(np.array([2.0]), RMSProp().init(x), x)
    np.testing.assert_allclose(step, [-0.01 * 2 / (math.sqrt(0.04) + 1e-8)], rtol=1e-15)
    opt = RMSProp(0.01, alpha=0.5, centered=True, eps=0.0)
    step, _ = opt.update(np.array([2.0]), opt.init(x), x)
    # v = 2, ḡ = 1, √(v − ḡ²) = 1
    np.testing.assert_allclose(step, [-0.02], rtol=1e-15)


def test_adam_first_step_is_about_the_rate():
    path = _steps(Adam(0.1), [3.0, -4.0], lambda w: 2 * w, 1)
    np.testing.assert_allclose(path[0], [2.9, -3.9], rtol=1e-8)
    # Without eps the first Adam step is exactly −η·sign(g), whatever the betas.
    opt = Adam(0.1, betas=(0.5, 0.7), eps=0.0)
    step, _ = opt.update(np.array([1e-6, -3e4]), opt.init(np.zeros(2)), np.zeros(2))
    np.testing.assert_allclose(step, [-0.1, 0.1], rtol=1e-14)


def test_adam_weight_decay_is_coupled_adamw_decoupled():
    x = np.array([2.0])
    zero = np.array([0.0])
    coupled, _ = Adam(0.1, weight_decay=0.5, eps=0.0).update(zero, Adam().init(x), x)
    np.testing.assert_allclose(coupled, [-0.1])  # sees the gradient 0.5·2 = 1: a full −η step
    decoupled, _ = AdamW(0.1, weight_decay=0.5).update(zero, AdamW().init(x), x)
    np.testing.assert_allclose(x + decoupled, [1.9], rtol=1e-15)  # x (1 − 0.1 · 0.5)


def test_amsgrad_keeps_the_largest_second_moment():
    opt = Adam(0.1, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    x = np.zeros(1)
    state = opt.init(x)
    _, state = opt.update(np.array([4.0]), state, x)  # nu = 8
    step, state = opt.update(np.array([1.0]), state, x)  # nu = 4.5, nu_max = 8
    np.testing.assert_allclose(state.nu, [4.5])
    np.testing.assert_allclose(state.nu_max, [8.0])
    # m̂ = 1, v̂ = 8 / (1 − 0.25)
    np.testing.assert_allclose(step, [-0.1 / math.sqrt(8.0 / 0.75)], rtol=1e-14)


def test_package_docstring_loop_converges():
    path = _steps(Adam(learning_rate=0.1), [3.0, -4.0], lambda w: 2 * w, 200)
    assert np.all(np.abs(path[-1]) < 0.05)


# --------------------------------------------------------------------------- quasi-Newton

quasi_newton_cases = pytest.mark.parametrize(
    "case", QUASI_NEWTON_CASES, ids=[c.id for c in QUASI_NEWTON_CASES]
)


def test_the_table_covers_the_quasi_newton_settings():
    memories = {c.hp.get("memory", 10) for c in QUASI_NEWTON_CASES if c.cls is LBFGS}
    assert len(memories) >= 2 and min(memories) < len(X0_ROSENBROCK)  # a memory that fills
    variants = {c.hp.get("variant", "PR+") for c in QUASI_NEWTON_CASES if c.cls is not LBFGS}
    assert variants == {"PR+", "FR", "HS", "DY"}
    assert any(c.hp.get("restart") for c in QUASI_NEWTON_CASES)


def _line_search_rates(case, steps=12):
    """The rates the case's own default line search picks on Rosenbrock, step by step."""
    opt = case.cls(**case.hp)
    assert isinstance(opt.learning_rate, Wolfe)
    res = minimize(functions.rosenbrock, X0_ROSENBROCK, optimizer=opt, max_iter=steps, gtol=None)
    assert res.nit == steps
    return [float(r) for r in res.history.learning_rate[1:]]


@quasi_newton_cases
def test_matches_the_reference_at_the_rates_a_line_search_picks(case):
    lrs = _line_search_rates(case)
    # the optimizer made for its line search, given the rates that search picked
    ours = descend_run(case.cls(**case.hp), X0_ROSENBROCK, rosenbrock_grad, lrs=lrs)
    log = []
    reference = QUASI_NEWTON_REFERENCES[case.cls.name]
    searched = {"searched": True} if case.cls is ConjugateGradient else {}
    expected = reference(case.hp, X0_ROSENBROCK, rosenbrock_grad, lrs, log, **searched)
    # rounding grows along these paths (differences of nearby gradients), to ~1e-10 by now
    np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=1e-12)
    # the rules the fixed rates never reach were used
    if case.cls is ConjugateGradient:
        assert {"beta", "powell", "period"} <= set(log), log
    else:
        assert "forgot" in log


def test_the_quasi_newton_references_tell_the_settings_apart():
    """At the rates a line search picks, each variant, restart and memory has its own path."""
    rates = {}  # one set of rates per method: those its first case's line search picks
    for case in QUASI_NEWTON_CASES:
        rates.setdefault(case.cls, _line_search_rates(case))
    ends = []
    for case in QUASI_NEWTON_CASES:
        lrs = rates[case.cls]
        path = QUASI_NEWTON_REFERENCES[case.cls.name](case.hp, X0_ROSENBROCK, rosenbrock_grad, lrs)
        ends.append(np.array(path[-1]))
    for i in range(len(ends)):
        for j in range(i):
            assert not np.allclose(ends[i], ends[j], rtol=1e-6), (i, j)


@pytest.mark.parametrize(
    "opt",
    [LBFGS(Wolfe(c2=1e-3))]
    + [ConjugateGradient(Wolfe(c2=1e-3), variant=v) for v in ("PR+", "FR", "HS", "DY")],
    ids=["lbfgs", "cg-PR+", "cg-FR", "cg-HS", "cg-DY"],
)
def test_exact_line_searches_minimise_a_quadratic_in_n_steps(opt):
    """On a convex quadratic with exact line searches, every variant is linear conjugate
    gradients, and so is L-BFGS: the minimum of a 3-D quadratic in 3 steps."""
    res = minimize(quadratic, X0_QUADRATIC, grad=quadratic_grad, optimizer=opt, gtol=1e-10)
    assert res.reason == "gtol" and res.nit <= 3
    np.testing.assert_allclose(res.x, np.linalg.solve(A, B), rtol=1e-10)


@quasi_newton_cases
def test_the_state_holds_no_view_of_the_caller_s_arrays(case):
    """A loop that moves x in place (x += step) must not move the state's memory of x."""
    opt = case.build()
    x = np.array(X0_ROSENBROCK)
    state = opt.init(x)
    path = []
    for _ in range(6):
        g = np.array(rosenbrock_grad(x))
        step, state = opt.update(g, state, x)
        for array in state:
            if isinstance(array, np.ndarray):
                assert not np.shares_memory(array, x) and not np.shares_memory(array, g)
        x += step
        g[:] = np.nan  # a caller reusing its gradient buffer
        path.append(x.copy())
    np.testing.assert_array_equal(
        path, descend_run(case.build(), X0_ROSENBROCK, rosenbrock_grad, steps=6)
    )


@pytest.mark.parametrize("name", ["lbfgs", "cg"])
def test_running_on_far_below_rounding_warns_of_nothing(name):
    """Past its minimum a run without a gradient test goes on until the line search finds
    nothing: its steps and gradient changes fall to subnormal numbers on the way, and no
    pair or scale made of them may overflow into NumPy warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (functions.matyas, functions.three_hump_camel, functions.sphere):
            res = minimize(fn, fn.x0, optimizer=name, max_iter=2000)
            assert res.reason == "line_search" and res.fun < 1e-10


def test_quasi_newton_state_types():
    x = np.array([1.0, 2.0])
    for opt, state_type in ((LBFGS(0.1, memory=3), LBFGSState), (ConjugateGradient(0.1), CGState)):
        state = opt.init(x)
        assert type(state) is state_type and state.count == 0
        _, new = opt.update(np.array([0.5, -0.5]), state, x)
        assert type(new) is state_type and new.count == 1
    state = LBFGS(memory=3).init(x)
    assert state.s.shape == state.y.shape == (3, 2) and state.rho.shape == (3,)


def test_lbfgs_by_hand():
    """On w² from 20 at rate 1: a unit step downhill, then the secant step, which lands on the
    minimum of a quadratic exactly."""
    path = _steps(LBFGS(1.0), [20.0], lambda w: 2 * w, 2)
    # s = -1, y = 38 - 40 = -2: H = s/y = 1/2, and 19 - 38/2 = 0
    np.testing.assert_array_equal(path[:, 0], [19.0, 0.0])
    path = _steps(LBFGS(0.5), [3.0, -4.0], lambda w: 2 * w, 1)
    np.testing.assert_allclose(path[0], [3.0 - 0.5 * 0.6, -4.0 + 0.5 * 0.8], rtol=1e-15)


def test_cg_by_hand():
    """On w² from 20 (one parameter: every step restarts). Made for a line search and given
    rate 1: a unit step, then the step whose first-order decrease repeats the last one's,
    40 · 1. At a fixed rate 0.25: 0.25 times the negative gradient, 40 then 20."""
    opt, x = ConjugateGradient(), np.array([20.0])
    state, path = opt.init(x), []
    for _ in range(2):
        step, state = opt.update(2 * x, state, x, 1.0)
        x = x + step
        path.append(float(x[0]))
    np.testing.assert_allclose(path, [19.0, 19.0 - 40.0 / 38.0], rtol=1e-15)
    path = _steps(ConjugateGradient(0.25), [20.0], lambda w: 2 * w, 2)
    np.testing.assert_allclose(path[:, 0], [10.0, 5.0], rtol=1e-15)


def test_cg_at_a_fixed_rate_takes_the_rate_times_its_direction():
    """Without a line search the step is η d: restarting every step, it is plain descent."""
    x0 = np.array([2.0, -1.0, 1.5])
    every_step = descend_run(ConjugateGradient(0.1, restart=1), x0, quadratic_grad, steps=30)
    plain = descend_run(GD(0.1), x0, quadratic_grad, steps=30)
    np.testing.assert_allclose(every_step, plain, rtol=1e-13, atol=1e-15)
    # and with its β at a stable rate it goes down a convex quadratic, to its minimum
    path = descend_run(ConjugateGradient(0.1), x0, quadratic_grad, steps=300)
    np.testing.assert_allclose(path[-1], np.linalg.solve(A, B), atol=1e-8)


@pytest.mark.parametrize("name", ["lbfgs", "cg"])
def test_make_builds_the_quasi_newton_methods_with_their_line_search(name):
    default = make(name)
    assert default == OPTIMIZERS[name]()
    assert isinstance(default.learning_rate, Wolfe)
    assert default.learning_rate.c2 == (0.1 if name == "cg" else 0.9)
    assert make(name, 0.5).learning_rate == 0.5
    assert make(name, momentum=0) == default
    with pytest.raises(ValueError, match=rf"Invalid momentum: 0\.9; optimizer '{name}'"):
        make(name, momentum=0.9)


def test_a_wolfe_search_is_for_steps_proportional_to_the_rate():
    for cls in OPTIMIZERS.values():
        if cls is Momentum:
            continue
        assert cls.proportional, cls  # each of these steps rate × (a rate-free direction)
        assert isinstance(cls(learning_rate="wolfe").learning_rate, Wolfe)
    for rate in ("wolfe", Wolfe(c2=0.5)):
        with pytest.raises(ValueError, match=r"Invalid learning rate: .*Wolfe.*Momentum") as info:
            Momentum(learning_rate=rate)
        assert repr(rate) in str(info.value) and "'backtracking'" in str(info.value)


QUASI_NEWTON_BAD_ARGUMENTS = [
    (LBFGS, {"memory": 0}, ValueError, "Invalid memory: 0; it must be >= 1"),
    (LBFGS, {"memory": -3}, ValueError, "Invalid memory: -3"),
    (LBFGS, {"memory": 2.5}, TypeError, "Invalid memory: 2.5"),
    (LBFGS, {"memory": "10"}, TypeError, "Invalid memory: '10'"),
    (LBFGS, {"memory": True}, TypeError, "Invalid memory: True"),
    (LBFGS, {"learning_rate": "armijo"}, ValueError, "Invalid learning rate: 'armijo'"),
    (LBFGS, {"learning_rate": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    (ConjugateGradient, {"variant": "PR"}, ValueError, "Invalid variant: 'PR'"),
    (ConjugateGradient, {"variant": "fr"}, ValueError, "Invalid variant: 'fr'"),
    (ConjugateGradient, {"variant": None}, ValueError, "Invalid variant: None"),
    (ConjugateGradient, {"restart": 0}, ValueError, "Invalid restart: 0; it must be >= 1"),
    (ConjugateGradient, {"restart": 1.5}, TypeError, "Invalid restart: 1.5"),
    (ConjugateGradient, {"restart": "n"}, TypeError, "Invalid restart: 'n'"),
    (ConjugateGradient, {"learning_rate": 0}, ValueError, "Invalid learning rate: 0"),
    (Wolfe, {"c1": 0.0}, ValueError, "Invalid Wolfe c1: 0.0"),
    (Wolfe, {"c1": 1.0}, ValueError, "Invalid Wolfe c1: 1.0; it must lie in (0, 1)"),
    (Wolfe, {"c1": math.nan}, ValueError, "Invalid Wolfe c1: nan"),
    (Wolfe, {"c2": 1.0}, ValueError, "Invalid Wolfe c2: 1.0; it must lie in (0, 1)"),
    (Wolfe, {"c2": -0.1}, ValueError, "Invalid Wolfe c2: -0.1"),
    (Wolfe, {"c2": "0.9"}, TypeError, "Invalid Wolfe c2: '0.9'"),
    (Wolfe, {"c1": 0.5, "c2": 0.4}, ValueError, "c1=0.5 and c2=0.4; they need 0 < c1 < c2 < 1"),
    (Wolfe, {"c1": 0.3, "c2": 0.3}, ValueError, "c1=0.3 and c2=0.3"),
    (Wolfe, {"initial": 0.0}, ValueError, "Invalid initial learning rate: 0.0"),
    (Wolfe, {"initial": -1.0}, ValueError, "Invalid initial learning rate: -1.0"),
    (Wolfe, {"initial": math.inf}, ValueError, "Invalid initial learning rate: inf"),
    (Wolfe, {"max_trials": 0}, ValueError, "Invalid max_trials: 0; it must be >= 1"),
    (Wolfe, {"max_trials": 2.5}, TypeError, "Invalid max_trials: 2.5"),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    QUASI_NEWTON_BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{'-'.join(k)}" for c, k, _, _ in QUASI_NEWTON_BAD_ARGUMENTS],
)
def test_bad_quasi_newton_and_wolfe_arguments(cls, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        cls(**kwargs)


# --------------------------------------------------------------------------- Nesterov's variants


def _ill_conditioned_quadratic(kappa, d=50, seed=0):
    """A, b of 0.5 x·Ax − b·x with the eigenvalues of A spread evenly in log from 1/kappa
    to 1 (so L = 1), along random directions."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a = (q * np.geomspace(1.0 / kappa, 1.0, d)) @ q.T
    return a, q @ rng.normal(size=d)


def _classic_nesterov(grad, x0, rate, steps, restart):
    """The look-ahead points of Nesterov's two-sequence form with the accelerated sequence,

        z_{k+1} = x_k − rate ∇f(x_k),  x_{k+1} = z_{k+1} + (k − 1)/(k + 2) (z_{k+1} − z_k)

    (k counting steps since the start or the last restart, z_0 = x_0), and with O'Donoghue
    and Candès's restart: where ∇f(x_k)·(z_{k+1} − z_k) > 0 the next point is z_{k+1} itself
    and the count starts again. Returns the points and the number of restarts."""
    x = np.array(x0, dtype=float)
    z_old, k, restarts, out = x.copy(), 0, 0, []
    for _ in range(steps):
        g = grad(x)
        z = x - rate * g
        if restart and g @ (z - z_old) > 0:
            x, k, restarts = z, 0, restarts + 1
        else:
            k += 1
            x = z + (k - 1) / (k + 2) * (z - z_old)
        z_old = z
        out.append(x)
    return np.array(out), restarts


@pytest.mark.parametrize("restart", [None, "gradient"])
def test_nesterov_sequence_is_the_classic_two_sequence_form(restart):
    a, b = _ill_conditioned_quadratic(1e3, d=20)
    x0 = np.random.default_rng(1).normal(size=20)
    expected, restarts = _classic_nesterov(lambda x: a @ x - b, x0, 1.0, 400, restart)
    assert restarts > (0 if restart else -1)  # with the restart, some restarts happened
    ours = descend_run(
        Nesterov(1.0, momentum="sequence", restart=restart), x0, lambda x: a @ x - b, steps=400
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_nesterov_gradient_restart_by_hand():
    opt = Nesterov(0.1, momentum=0.5, restart="gradient")
    x, g = np.array([20.0]), np.array([40.0])
    # b = 0.5·(−50) + 40 = 15 points along g: an ordinary step, −0.1·(40 + 0.5·15)
    step, state = opt.update(g, NesterovState(np.array([-50.0])), x)
    np.testing.assert_allclose(step, [-4.75], rtol=1e-15)
    np.testing.assert_allclose(state.buffer, [15.0], rtol=1e-15)
    # b = 0.5·(−100) + 40 = −10 points against g (g·b < 0): the plain step −0.1·40, b emptied
    step, state = opt.update(g, NesterovState(np.array([-100.0])), x)
    np.testing.assert_allclose(step, [-4.0], rtol=1e-15)
    np.testing.assert_array_equal(state.buffer, [0.0])
    # with the sequence, the count starts again
    seq = Nesterov(0.1, momentum="sequence", restart="gradient")
    step, state = seq.update(g, NesterovState(np.array([-100.0]), count=5), x)
    np.testing.assert_allclose(step, [-4.0], rtol=1e-15)
    assert state.count == 0 and not state.buffer.any()
    _, state = seq.update(g, NesterovState(np.array([100.0]), count=5), x)
    assert state.count == 6


def test_nesterov_sequence_starts_with_plain_steps():
    """μ after the first step is 0 and after the second 1/4: the first two steps are those of
    the classic form, the first a plain gradient step."""
    path = _steps(Nesterov(0.1, momentum="sequence"), [20.0], lambda w: 2 * w, 2)
    # x1 = 20 − 0.1·40 = 16; b2 = 0·40 + 32 = 32, x2 = 16 − 0.1·(32 + 32/4) = 12
    np.testing.assert_allclose(path[:, 0], [16.0, 12.0], rtol=1e-15)


def test_nesterov_compiled_form_only_for_a_fixed_momentum_without_restart():
    assert Nesterov(0.1, momentum=0.9).compiled_form() == CompiledForm(
        "nesterov", (0.9,), rows=("buffer",)
    )
    assert Nesterov(0.1, momentum="sequence").compiled_form() is None
    assert Nesterov(0.1, momentum=0.9, restart="gradient").compiled_form() is None


def test_nesterov_restarts_each_run_of_a_sweep_on_its_own():
    """With one rate per run (a column), the restart test and the count are per row."""
    a, b = _ill_conditioned_quadratic(1e3, d=10)
    starts = np.random.default_rng(2).normal(size=(3, 10))
    rates = np.array([[1.0], [0.5], [0.2]])
    opt = Nesterov(1.0, momentum="sequence", restart="gradient")
    x, state = starts.copy(), opt.init(starts)
    for _ in range(200):
        step, state = opt.update(x @ a - b, state, x, learning_rate=rates)
        x = x + step
    for run in range(3):
        alone = descend_run(
            Nesterov(float(rates[run, 0]), momentum="sequence", restart="gradient"),
            starts[run], lambda v: a @ v - b, steps=200,
        )  # fmt: skip
        np.testing.assert_allclose(x[run], alone[-1], rtol=1e-10, atol=1e-12)
    assert np.ndim(state.count) == 2 and len(set(state.count.ravel())) > 1


def test_nesterov_sequence_with_restart_is_far_faster_than_gd_when_ill_conditioned():
    """On a quadratic of condition number 1000 at rate 1/L, plain descent needs about κ
    log(1/ε) steps; the accelerated sequence with the restart, about √κ log(1/ε)."""
    a, b = _ill_conditioned_quadratic(1e3)
    x_star = np.linalg.solve(a, b)

    def f(x):
        return 0.5 * x @ a @ x - b @ x

    def steps_to(opt, gap=1e-6, most=20_000):
        x = np.zeros(len(b))
        state, first = opt.init(x), f(x) - f(x_star)
        for k in range(most):
            if f(x) - f(x_star) <= gap * first:
                return k
            step, state = opt.update(a @ x - b, state, x)
            x = x + step
        return most

    plain = steps_to(GD(1.0))
    fast = steps_to(Nesterov(1.0, momentum="sequence", restart="gradient"))
    assert 1000 < plain < 20_000
    assert fast <= plain / 5
    # the heavy-ball share the estimators used to give Nesterov, (1 − μ)/L, is no faster
    assert steps_to(Nesterov(0.1, momentum=0.9)) >= 0.9 * plain
