"""descend.minimize / maximize over data: full batch, stochastic and mini-batch epochs."""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse

import descend
from descend import schedules


def make_data(n=20, seed=3, noise=0.05):
    """A linear unit's training set: inputs with a bias column, targets with a little noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-1, 1, size=(n, 2)), np.ones(n)])
    t = X @ [1.5, -2.0, 0.5] + noise * rng.normal(size=n)
    return X, t


def sq_error(w, X, t):
    """E = ½ Σ (t - o)², o = X w."""
    r = t - X @ w
    return 0.5 * float(r @ r)


def sq_error_grad(w, X, t):
    return -(X.T @ (t - X @ w))


def mean_sq(w, X, t):
    r = X @ w - t
    return 0.5 * float(r @ r) / len(t)


def mean_sq_grad(w, X, t):
    return X.T @ (X @ w - t) / len(t)


# ------------------------------------------------------------- the stochastic procedure


def reference_stochastic(X, t, w0, eta, alpha, tol, seed, max_epochs=10_000):
    """The textbook loop: per-sample momentum steps, rows reshuffled every epoch, E on all
    rows after each epoch, stop when E changes by tol or less."""
    rng = np.random.default_rng(seed)
    w, dw = np.array(w0, dtype=float), np.zeros(len(w0))
    E = 0.5 * np.sum((t - X @ w) ** 2)
    ws, Es = [w.copy()], [E]
    for _ in range(max_epochs):
        for d in rng.permutation(len(t)):
            o = X[d] @ w
            grad = -(t[d] - o) * X[d]
            dw = -eta * grad + alpha * dw  # carried from sample to sample, epoch to epoch
            w = w + dw
        E_prev, E = E, 0.5 * np.sum((t - X @ w) ** 2)
        ws.append(w.copy())
        Es.append(E)
        if abs(E - E_prev) <= tol:
            break
    return np.array(ws), np.array(Es)


def test_stochastic_momentum_matches_the_reference_loop_epoch_by_epoch():
    X, t = make_data()
    w0 = [0.0, 0.0, 0.0]
    ws, Es = reference_stochastic(X, t, w0, eta=0.01, alpha=0.7, tol=1e-8, seed=42)
    res = descend.minimize(
        sq_error,
        w0,
        grad=sq_error_grad,
        data=(X, t),
        batch_size=1,
        optimizer="gd",
        learning_rate=0.01,
        momentum=0.7,
        tol=1e-8,
        max_iter=10_000,
        random_state=42,
    )
    assert res.reason == "tol" and res.success
    assert res.nit == len(ws) - 1 > 5
    np.testing.assert_allclose(res.history.x, ws, rtol=1e-12)
    np.testing.assert_allclose(res.history.f, Es, rtol=1e-12)
    np.testing.assert_allclose(res.x, ws[-1], rtol=1e-12)
    assert res.fun == pytest.approx(Es[-1], rel=1e-12)
    np.testing.assert_allclose(res.grad, sq_error_grad(res.x, X, t), rtol=1e-12)
    np.testing.assert_allclose(res.history.learning_rate[1:], 0.01)


def test_stochastic_with_the_numeric_gradient_follows_the_analytic_run():
    X, t = make_data()
    kwargs = {"data": (X, t), "batch_size": 1, "learning_rate": 0.01, "max_iter": 20}
    exact = descend.minimize(sq_error, np.zeros(3), grad=sq_error_grad, random_state=1, **kwargs)
    numeric = descend.minimize(sq_error, np.zeros(3), random_state=1, **kwargs)
    np.testing.assert_allclose(numeric.history.x, exact.history.x, rtol=1e-7, atol=1e-9)
    # Per epoch: 20 numeric gradients of 6 evaluations each, then f on all rows.
    assert numeric.ngev == exact.ngev == 20 * 20 + 1
    assert numeric.nfev == 1 + 20 * (20 * 6 + 1) + 6


# ------------------------------------------------------------------------ mini-batches


def test_minibatch_adam_converges_to_the_least_squares_solution():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(200, 3)), np.ones(200)])
    y = X @ [1.0, -2.0, 0.5, 3.0] + 0.1 * rng.normal(size=200)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    res = descend.minimize(
        mean_sq,
        np.zeros(4),
        grad=mean_sq_grad,
        data=(X, y),
        batch_size=16,
        optimizer="adam",
        learning_rate=schedules.exponential_decay(0.05, 0.97),
        max_iter=300,
        random_state=7,
    )
    assert res.nit == 300
    np.testing.assert_allclose(res.x, expected, atol=1e-3)
    assert res.fun == pytest.approx(mean_sq(expected, X, y), rel=1e-5)


def test_history_has_one_row_per_epoch_and_calls_are_all_counted():
    X, t = make_data(n=10)
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=4,  # batches of 4, 4 and 2 rows
        learning_rate=0.05,
        max_iter=7,
        random_state=0,
    )
    h = res.history
    assert res.nit == 7 and len(h) == 8
    np.testing.assert_array_equal(h.iteration, np.arange(8))
    np.testing.assert_allclose(h.f, [sq_error(x, X, t) for x in h.x], rtol=1e-12)
    # Nothing asked for the full gradient during the run: it is computed once, at the end.
    assert np.isnan(h.grad_norm).all()
    assert res.ngev == 7 * 3 + 1
    assert res.nfev == 1 + 7
    np.testing.assert_allclose(res.grad, sq_error_grad(res.x, X, t), rtol=1e-12)


def test_the_optimizer_state_carries_across_batches_and_epochs():
    # Adam's step count runs on over every batch of every epoch: a hand loop over the same
    # batches, with one state, lands on the same point.
    X, t = make_data(n=9)
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=3,
        optimizer="adam",
        learning_rate=0.1,
        max_iter=4,
        shuffle=False,
    )
    opt = descend.optimizers.Adam(0.1)
    w = np.zeros(3)
    state = opt.init(w)
    for _ in range(4):
        for start in range(0, 9, 3):
            rows = slice(start, start + 3)
            step, state = opt.update(sq_error_grad(w, X[rows], t[rows]), state, w, 0.1)
            w = w + step
    assert state.count == 12
    np.testing.assert_allclose(res.x, w, rtol=1e-12)


def test_a_schedule_is_a_function_of_the_epoch_constant_within_it():
    # f = x·Σa with a = 1 on 6 rows in batches of 2: every batch steps by -2η, an epoch by -6η.
    def fun(x, a):
        return x * float(a.sum())

    def grad(x, a):
        return float(a.sum())

    schedule = schedules.step_decay(0.1, 0.5, every=2)
    res = descend.minimize(
        fun, 0.0, grad=grad, data=np.ones(6), batch_size=2, learning_rate=schedule, max_iter=5
    )
    rates = [schedule(epoch) for epoch in range(5)]
    np.testing.assert_allclose(res.history.learning_rate[1:], rates, rtol=1e-15)
    np.testing.assert_allclose(np.diff(res.history.x), -6 * np.array(rates), rtol=1e-12)


def test_backtracking_searches_on_each_batch():
    X, t = make_data(noise=0.0)  # every batch has the same minimum: the run can settle
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=5,
        learning_rate="backtracking",
        max_iter=200,
        tol=1e-10,
        random_state=0,
    )
    assert res.success and res.reason == "tol"
    np.testing.assert_allclose(res.x, [1.5, -2.0, 0.5], atol=1e-4)
    rates = res.history.learning_rate[1:]
    assert np.all((rates > 0) & (rates <= 1.0))


def test_backtracking_that_finds_no_step_on_any_batch_stops_the_run():
    X, t = make_data()
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=lambda w, X, t: -sq_error_grad(w, X, t),  # points uphill: no trial decreases f
        data=(X, t),
        batch_size=5,
        learning_rate="backtracking",
        random_state=0,
    )
    assert (res.reason, res.nit, res.success) == ("line_search", 0, False)
    np.testing.assert_array_equal(res.x, np.zeros(3))


# -------------------------------------------------------------------------- full batch


@pytest.mark.parametrize("batch_size", [None, 20, 1000])
@pytest.mark.parametrize("grad", [sq_error_grad, None])
def test_full_batch_is_exactly_the_data_passed_as_args(batch_size, grad):
    X, t = make_data()
    common = {"grad": grad, "optimizer": "momentum", "learning_rate": 0.01, "max_iter": 50}
    via_args = descend.minimize(sq_error, np.zeros(3), args=(X, t), **common)
    via_data = descend.minimize(
        sq_error, np.zeros(3), data=(X, t), batch_size=batch_size, random_state=5, **common
    )
    for name in ("x", "f", "grad_norm", "learning_rate"):
        np.testing.assert_array_equal(
            getattr(via_data.history, name), getattr(via_args.history, name)
        )
    np.testing.assert_array_equal(via_data.x, via_args.x)
    np.testing.assert_array_equal(via_data.grad, via_args.grad)
    assert (via_data.nfev, via_data.ngev) == (via_args.nfev, via_args.ngev)


def test_data_goes_in_front_of_args():
    def fun(w, X, t, scale):
        return scale * sq_error(w, X, t)

    def grad(w, X, t, scale):
        return scale * sq_error_grad(w, X, t)

    X, t = make_data()
    full = descend.minimize(fun, np.zeros(3), grad=grad, data=(X, t), args=(2.0,), max_iter=5)
    plain = descend.minimize(fun, np.zeros(3), grad=grad, args=(X, t, 2.0), max_iter=5)
    np.testing.assert_array_equal(full.history.x, plain.history.x)
    res = descend.minimize(
        fun, np.zeros(3), grad=grad, data=(X, t), args=2.0, batch_size=3, max_iter=5
    )
    assert res.fun == pytest.approx(fun(res.x, X, t, 2.0))


def test_grad_check_runs_on_the_whole_data():
    X, t = make_data()
    good = descend.Objective(sq_error, sq_error_grad)
    res = descend.minimize(good, np.zeros(3), grad="check", data=(X, t), batch_size=4, max_iter=3)
    assert res.nit == 3
    bad = descend.Objective(sq_error, lambda w, X, t: X.T @ (t - X @ w))  # the sign flipped
    with pytest.raises(descend.GradientCheckError, match="analytic"):
        descend.minimize(bad, np.zeros(3), grad="check", data=(X, t), batch_size=4)


# ------------------------------------------------------------------------ sparse data


def test_sparse_csr_rows_reach_fun_and_give_the_dense_result():
    X, t = make_data()
    X[np.abs(X) < 0.3] = 0.0
    X_csr = scipy.sparse.csr_matrix(X)
    seen = []

    def grad(w, Xb, tb):
        seen.append(type(Xb))
        return sq_error_grad(w, Xb, tb)

    common = {"learning_rate": 0.02, "max_iter": 30}
    batched = {"batch_size": 4, "random_state": 11, **common}
    dense = descend.minimize(sq_error, np.zeros(3), grad=sq_error_grad, data=(X, t), **batched)
    sparse = descend.minimize(sq_error, np.zeros(3), grad=grad, data=(X_csr, t), **batched)
    assert seen and all(cls is scipy.sparse.csr_matrix for cls in seen)
    np.testing.assert_allclose(sparse.history.x, dense.history.x, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(sparse.history.f, dense.history.f, rtol=1e-10)
    # Full batch: the sparse matrix itself reaches fun.
    full = descend.minimize(sq_error, np.zeros(3), grad=grad, data=(X_csr, t), **common)
    plain = descend.minimize(sq_error, np.zeros(3), grad=sq_error_grad, args=(X, t), **common)
    np.testing.assert_allclose(full.x, plain.x, rtol=1e-10)


def test_arrays_are_used_as_they_are_and_sequences_are_converted():
    X, t = make_data(n=6)
    received = []

    def fun(w, Xb, tb):
        received.append((Xb, tb))
        return sq_error(w, Xb, tb)

    descend.minimize(fun, np.zeros(3), grad=sq_error_grad, data=(X, t), max_iter=0)
    assert received[0][0] is X and received[0][1] is t  # full batch: no copies
    res = descend.minimize(
        sq_error, np.zeros(3), grad=sq_error_grad, data=(X.tolist(), list(t)), max_iter=3
    )
    ref = descend.minimize(sq_error, np.zeros(3), grad=sq_error_grad, args=(X, t), max_iter=3)
    np.testing.assert_array_equal(res.x, ref.x)


# ------------------------------------------------------------------ order and determinism


def test_same_seed_same_run_and_different_seeds_differ():
    X, t = make_data()

    def run(seed):
        return descend.minimize(
            sq_error,
            np.zeros(3),
            grad=sq_error_grad,
            data=(X, t),
            batch_size=3,
            optimizer="momentum",
            learning_rate=0.01,
            max_iter=15,
            random_state=seed,
        )

    a, b, c = run(123), run(123), run(124)
    np.testing.assert_array_equal(a.history.x, b.history.x)
    np.testing.assert_array_equal(a.history.f, b.history.f)
    assert not np.array_equal(a.history.x, c.history.x)
    # A Generator may be passed too: the run then draws from it.
    d = run(np.random.default_rng(123))
    np.testing.assert_array_equal(d.history.x, a.history.x)


def batches_seen(**kwargs):
    """The rows of each batch that grad received, epoch after epoch."""
    rows = []

    def grad(x, index):
        rows.append(index.tolist())
        return 0.0

    descend.minimize(lambda x, index: 0.0, 0.0, grad=grad, data=np.arange(7), **kwargs)
    return rows[:-1]  # the last call is Result.grad on all the rows


def test_shuffle_false_visits_the_rows_in_order_and_never_uses_the_generator():
    rng = np.random.default_rng(9)
    before = rng.bit_generator.state
    rows = batches_seen(batch_size=3, shuffle=False, random_state=rng, max_iter=2)
    assert rows == [[0, 1, 2], [3, 4, 5], [6]] * 2
    assert rng.bit_generator.state == before


def test_shuffle_draws_a_fresh_order_every_epoch():
    rows = batches_seen(batch_size=2, random_state=4, max_iter=3)
    rng = np.random.default_rng(4)
    expected = []
    for _ in range(3):
        order = rng.permutation(7).tolist()
        expected += [order[i : i + 2] for i in range(0, 7, 2)]
    assert rows == expected
    epochs = [[row for batch in rows[4 * e : 4 * e + 4] for row in batch] for e in range(3)]
    assert all(sorted(epoch) == list(range(7)) for epoch in epochs)
    assert epochs[0] != epochs[1]


# -------------------------------------------------------------------- stopping rules


def test_gtol_with_batches_uses_the_full_gradient_at_each_epoch():
    X, t = make_data()
    res = descend.minimize(
        mean_sq,
        np.zeros(3),
        grad=mean_sq_grad,
        data=(X, t),
        batch_size=5,
        learning_rate=schedules.inverse_scaling(0.2, power=1.0, decay_steps=20.0),
        gtol=1e-3,
        max_iter=5000,
        random_state=2,
    )
    assert res.reason == "gtol" and res.success
    h = res.history
    full = [np.linalg.norm(mean_sq_grad(x, X, t)) for x in h.x]
    np.testing.assert_allclose(h.grad_norm, full, rtol=1e-12)
    assert h.grad_norm[-1] <= 1e-3 < h.grad_norm[-2]
    np.testing.assert_allclose(res.grad, mean_sq_grad(res.x, X, t), rtol=1e-12)


def test_callback_sees_epochs_with_the_full_gradient():
    X, t = make_data()
    infos = []
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=4,
        learning_rate=0.01,
        max_iter=6,
        callback=infos.append,
    )
    assert [info.nit for info in infos] == [1, 2, 3, 4, 5, 6]
    for info in infos:
        assert info.f == pytest.approx(sq_error(info.x, X, t), rel=1e-12)
        np.testing.assert_allclose(info.grad, sq_error_grad(info.x, X, t), rtol=1e-12)
    np.testing.assert_array_equal(infos[-1].x, res.x)
    assert res.ngev == 6 * 5 + 1 + 6  # batches, x0, one full gradient per epoch


def test_stop_rules_and_xtol_see_epochs():
    X, t = make_data()
    seen = []

    def rule(info):
        seen.append(info.grad is not None)
        return info.nit == 3

    res = descend.minimize(
        sq_error, np.zeros(3), grad=sq_error_grad, data=(X, t), batch_size=4, stop=rule
    )
    assert (res.reason, res.nit) == ("rule", 3) and all(seen)
    res = descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=4,
        learning_rate=0.01,
        xtol=1e-3,
        max_iter=10_000,
    )
    assert res.reason == "xtol"
    moves = np.max(np.abs(np.diff(res.history.x, axis=0)), axis=1)
    assert moves[-1] <= 1e-3 < moves[-2]
    assert np.isnan(res.history.grad_norm).all()


def test_patience_and_target_with_batches():
    X, t = make_data()
    kwargs = {"grad": sq_error_grad, "data": (X, t), "batch_size": 2, "learning_rate": 0.02}
    res = descend.minimize(sq_error, np.zeros(3), target=1.0, **kwargs)
    assert res.reason == "target" and res.fun <= 1.0 < res.history.f[-2]
    res = descend.minimize(sq_error, np.zeros(3), patience=3, max_iter=10_000, **kwargs)
    assert res.reason == "patience"


def test_maximize_over_batches_is_descent_on_the_negation():
    X, t = make_data()
    kwargs = {"data": (X, t), "batch_size": 3, "learning_rate": 0.01, "max_iter": 12}
    kwargs["random_state"] = 8
    up = descend.maximize(
        lambda w, X, t: -sq_error(w, X, t),
        np.zeros(3),
        grad=lambda w, X, t: -sq_error_grad(w, X, t),
        **kwargs,
    )
    down = descend.minimize(sq_error, np.zeros(3), grad=sq_error_grad, **kwargs)
    np.testing.assert_array_equal(up.history.x, down.history.x)
    np.testing.assert_array_equal(up.history.f, -down.history.f)
    np.testing.assert_array_equal(up.grad, -down.grad)


# ------------------------------------------------------------------------- divergence


def divergent_run(on_divergence, learning_rate=3.0, **kwargs):
    X, t = make_data(noise=0.0)
    return descend.minimize(
        sq_error,
        np.zeros(3),
        grad=sq_error_grad,
        data=(X, t),
        batch_size=1,
        learning_rate=learning_rate,
        on_divergence=on_divergence,
        random_state=0,
        **kwargs,
    )


def test_a_divergent_stochastic_run_stops_at_the_last_finished_epoch():
    # At this rate (and seed) five epochs grow f and the sixth passes the divergence limit.
    with pytest.warns(descend.DivergenceWarning, match="diverged at iteration 6") as record:
        res = divergent_run("stop", learning_rate=1.5)
    assert res.reason == "diverged" and not res.success and "divergence limit" in res.message
    assert len(record) == 1
    assert res.nit == 5 and len(res.history) == 6
    assert np.all(np.isfinite(res.history.x)) and np.all(np.isfinite(res.history.f))
    np.testing.assert_array_equal(res.x, res.history.x[-1])
    assert res.fun == res.history.f[-1]
    with pytest.raises(descend.DivergenceError, match="iteration 6") as info:
        divergent_run("raise", learning_rate=1.5)
    assert info.value.iteration == 6 and info.value.result.nit == 5


def test_recover_reruns_the_epoch_at_half_the_rate():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = divergent_run("recover", max_iter=300, tol=1e-10)
    events = res.history.events
    assert events and all("halved" in text for _, text in events)
    assert res.success and res.reason == "tol"
    assert np.all(np.isfinite(res.history.f))
    np.testing.assert_allclose(res.x, [1.5, -2.0, 0.5], atol=1e-4)
    rates = res.history.learning_rate[1:]
    assert rates[0] < 3.0 and rates[-1] == 3.0 / 2 ** len(events)
    assert np.all(np.diff(rates) <= 0)


def test_a_recovered_epoch_visits_the_same_rows_again():
    orders = []

    def grad(x, a):
        orders.append(int(a[0]))
        return 2 * x * float(a[0] ** 2)

    res = descend.minimize(
        lambda x, a: x * x * float(np.sum(a**2)),
        1.0,
        grad=grad,
        data=np.arange(1.0, 6.0),
        batch_size=1,
        learning_rate=1e3,  # x grows by |1 - 2000 a²| per step: the epoch blows up
        on_divergence="recover",
        max_iter=1,
        random_state=1,
    )
    epochs = [orders[i : i + 5] for i in range(0, len(orders) - 1, 5)]
    assert len(epochs) == len(res.history.events) + 1 >= 2
    assert all(epoch == epochs[0] for epoch in epochs)
    assert sorted(epochs[0]) == [1, 2, 3, 4, 5]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(
    ("bad", "why"), [(math.nan, "gradient on a batch is not finite"), (1e300, "x is not finite")]
)
def test_a_non_finite_batch_step_ends_the_epoch_as_diverged(bad, why):
    calls = []

    def grad(x, a):
        calls.append(float(a[0]))
        return bad if a[0] == 2 else 2 * (x - 1.0)

    with pytest.warns(descend.DivergenceWarning, match=why):
        res = descend.minimize(
            lambda x, a: (x - 1.0) ** 2,
            0.0,
            grad=grad,
            data=np.arange(4.0),
            batch_size=1,
            shuffle=False,
            learning_rate=1e10,
        )
    assert res.reason == "diverged" and res.nit == 0 and res.x == 0.0
    assert calls[:4] == [0.0, 1.0, 2.0, 0.0]  # the epoch stopped at row 2; then Result.grad


# ----------------------------------------------------------------------- bad arguments


BAD_DATA = [
    ({"data": ()}, ValueError, r"Invalid data: \(\), an empty tuple"),
    ({"data": np.empty((0, 3))}, ValueError, r"Invalid data: data has 0 rows \(shape \(0, 3\)\)"),
    (
        {"data": (np.ones((0, 2)), np.ones(0))},
        ValueError,
        r"Invalid data: data\[0\] has 0 rows",
    ),
    (
        {"data": (np.ones((5, 2)), np.ones(4))},
        ValueError,
        r"Invalid data: data\[1\] has 4 rows but data\[0\] has 5",
    ),
    ({"data": np.float64(3.0)}, ValueError, r"Invalid data: np.float64\(3.0\) is 0-d"),
    ({"data": (np.ones(5), 7)}, ValueError, r"Invalid data\[1\]: 7 is 0-d"),
    ({"data": (np.ones(5), None)}, ValueError, r"Invalid data\[1\]: None is 0-d"),
    (
        {"data": [np.ones((5, 2)), np.ones(5)]},
        TypeError,
        r"Invalid data: \[array\(\[\[1\., 1\.\], \[1.* is not an array .*inhomogeneous"
        r".*pass several arrays as a tuple",
    ),
    ({"data": np.ones(5), "batch_size": 0}, ValueError, "Invalid batch_size: 0"),
    ({"data": np.ones(5), "batch_size": -2}, ValueError, "Invalid batch_size: -2"),
    ({"data": np.ones(5), "batch_size": 2.0}, TypeError, r"Invalid batch_size: 2\.0"),
    ({"data": np.ones(5), "batch_size": True}, TypeError, "Invalid batch_size: True"),
    ({"data": np.ones(5), "shuffle": "yes"}, TypeError, "Invalid shuffle: 'yes'"),
    ({"data": np.ones(5), "shuffle": 1}, TypeError, "Invalid shuffle: 1"),
    ({"data": np.ones(5), "random_state": -1}, ValueError, "Invalid random_state: -1"),
    ({"data": np.ones(5), "random_state": 1.5}, TypeError, r"Invalid random_state: 1\.5"),
    ({"data": np.ones(5), "random_state": "seed"}, TypeError, "Invalid random_state: 'seed'"),
    ({"data": np.ones(5), "random_state": True}, TypeError, "Invalid random_state: True"),
    ({"batch_size": 8}, ValueError, r"batch_size=8 given without data: .*need data="),
    ({"shuffle": False}, ValueError, r"shuffle=False given without data: .*need data="),
    ({"random_state": 0}, ValueError, r"random_state=0 given without data: .*need data="),
    (
        {"batch_size": 2, "random_state": 1},
        ValueError,
        r"batch_size=2, random_state=1 given without data",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"), BAD_DATA, ids=[str(i) for i in range(len(BAD_DATA))]
)
@pytest.mark.parametrize("routine", [descend.minimize, descend.maximize])
def test_bad_data_arguments_are_rejected_with_the_value_named(routine, kwargs, error, match):
    with pytest.raises(error, match=match):
        routine(lambda x, *rows: 0.0, 0.0, grad=lambda x, *rows: 0.0, **kwargs)


def test_defaults_without_data_are_fine():
    res = descend.minimize(
        lambda x: x * x, 1.0, batch_size=None, shuffle=True, random_state=None, max_iter=3
    )
    assert res.nit == 3


def test_minimize_and_maximize_take_the_same_arguments():
    import inspect

    assert inspect.signature(descend.minimize) == inspect.signature(descend.maximize)
    params = list(inspect.signature(descend.minimize).parameters)
    assert params[params.index("args") :][:5] == [
        "args",
        "data",
        "batch_size",
        "shuffle",
        "random_state",
    ]


def test_sparse_formats_without_row_access_are_read_as_csr():
    sparse = pytest.importorskip("scipy.sparse")
    X, t = make_data()

    def run(fmt):
        return descend.minimize(
            sq_error, np.zeros(3), grad=sq_error_grad, data=(fmt(X), t), batch_size=5,
            learning_rate=0.01, max_iter=3, random_state=0,
        )  # fmt: skip

    runs = [run(f) for f in (np.asarray, sparse.coo_matrix, sparse.csr_matrix, sparse.dia_matrix)]
    for res in runs[1:]:
        np.testing.assert_allclose(res.x, runs[0].x, rtol=1e-12)
