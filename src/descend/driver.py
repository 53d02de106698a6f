"""The one descent loop: step, measure, watch for divergence, record, ask the stopping rules.

Every run of descend goes through :func:`drive`: :func:`descend.minimize` and
:func:`descend.maximize` (a step per iteration, or an epoch of batch steps per iteration),
the estimators' ``fit`` and ``partial_fit`` (an epoch of the compiled kernels per iteration)
and :func:`descend.sweep` (a step of every run still going per iteration). What differs
between them is only the *stepper*, a small object that moves the iterate once and measures
the new point; everything after that is here, once:

- divergence: a step that makes f, the gradient or x non-finite, or f pass its limit, stops
  the run at the last finite point, or (``on_divergence="recover"``) returns to it, halves
  the learning rate, restarts the optimizer's state and runs the same step again;
- the record (:class:`descend.history.History`): one row per iteration with the stepper's
  extra columns;
- the stopping rules of :mod:`descend.stopping`, checked inline on the numbers when all of
  them are the built-in keyword rules, else through an :class:`~descend.stopping.Info`;
- checkpoints: the whole state between two iterations is one :class:`RunState`, which
  :mod:`descend.checkpoint` writes and reads, so that a resumed run continues bit for bit
  where the interrupted one stood.

A stepper provides

``step(x, f, g, opt_state, nit, scale)``
    The next iterate from ``x`` (with value ``f``, gradient ``g`` and optimizer state
    ``opt_state``; ``nit`` iterations done; the learning rate scaled by ``scale``).
    Returns ``(x_new, f_new, g_new, grad_norm, new_state, rate, why)``, ``why`` a sentence
    when the step diverged (else None), or None when no step could be found (a line search
    that failed everywhere; the run then ends with reason ``"line_search"``). ``f`` is in the
    loop's sense (the loop always minimises).
``restart(x)``
    A fresh optimizer state at ``x`` (after a recovery).
``order``
    The generator that orders the data's rows, or None; a recovery rewinds it so that the
    rerun visits the same rows in the same order, and checkpoints keep its state.
``extras``, ``watches``
    The names of the record's extra columns (may be empty); after each step, ``row`` holds
    their values, and, where ``watches`` is true, ``watched`` the value the stopping rules
    see instead of f (a fit's validation loss).
``public_x(x)``, ``public_grad(g)``
    x and the gradient as the user sees them in an :class:`~descend.stopping.Info`.
``nfev``, ``ngev``, ``extra()``
    The calls of f and of the gradient so far, and what else the caller keeps in a
    checkpoint (a dict of numbers, arrays and lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np

from descend.stopping import AnyOf, GTol, Info, MaxIter, Patience, RTol, Target, Tol, XTol

__all__ = ["DIVERGENCE_FACTOR", "MAX_RECOVERIES", "RunState", "divergence_limit", "drive"]

#: f may grow to DIVERGENCE_FACTOR * (|f0| + 1) before the run counts as diverged.
DIVERGENCE_FACTOR = 1e12
#: How many times ``on_divergence="recover"`` halves the learning rate before giving up.
MAX_RECOVERIES = 60


def divergence_limit(f0: float) -> float:
    """The value of f past which a run started at ``f0`` has diverged."""
    return DIVERGENCE_FACTOR * (abs(f0) + 1.0)


def divergence_reason(f_new: float, limit: float, sense: float = 1.0) -> str | None:
    """Why the new value (in the loop's sense) means divergence, in words, or None."""
    if not math.isfinite(f_new):
        return f"f is {sense * f_new}"
    if f_new > limit:
        return f"f = {sense * f_new:.6g} ran past the divergence limit {sense * limit:.6g}"
    return None


@dataclass
class RunState:
    """Everything a run is between two iterations, so that it can stop and go on exactly.

    Attributes
    ----------
    nit : int
        Iterations done.
    x, f, g :
        The iterate, its value and its gradient, in the loop's sense (negated when
        maximising); ``g`` is None where the run did not need it.
    x_prev : numpy.ndarray or None
        The iterate before (None at the start).
    rate : float
        The learning rate of the step that led to x (NaN at the start).
    fresh : bool
        Whether x is still to be recorded (a starting point); else the rules are still to
        be asked about it.
    watched : float or None
        The value the rules see at x (f as the user defines it, or a fit's validation loss).
    row : list
        The values of the record's extra columns at x.
    grad_norm : float
        Norm of ``g`` (NaN when not computed).
    opt_state : NamedTuple
        The optimizer's state.
    scale : float
        What the learning rate is multiplied by (halved by each recovery).
    recoveries : int
        Recoveries from divergence so far.
    f_prev : float or None
        The watched value at the previous iteration, as the user sees it.
    best_f, best_nit :
        The lowest watched value (in the loop's sense) and where it was reached.
    patience_best, patience_since :
        The bookkeeping of an inline patience rule.
    rules : list
        The state of the rules checked through :class:`~descend.stopping.Info` (see
        :meth:`descend.stopping.Rule.state`).
    order : dict or None
        The state of the generator that orders the rows, or None.
    elapsed : float
        Seconds of running so far (time spent stopped is not counted).
    nfev, ngev : int
        Calls of f and of the gradient so far.
    record : History
        The record so far.
    extra : dict
        What the caller keeps besides (the estimators: the best parameters and their epoch).
    """

    nit: int
    x: np.ndarray
    f: float
    g: np.ndarray | None
    grad_norm: float
    opt_state: Any
    record: Any
    x_prev: np.ndarray | None = None
    rate: float = math.nan
    fresh: bool = True
    watched: float | None = None
    row: list = field(default_factory=list)
    scale: float = 1.0
    recoveries: int = 0
    f_prev: float | None = None
    best_f: float = math.inf
    best_nit: int = 0
    patience_best: float = math.nan
    patience_since: int = 0
    rules: list = field(default_factory=list)
    order: dict | None = None
    elapsed: float = 0.0
    nfev: int = 0
    ngev: int = 0
    extra: dict = field(default_factory=dict)


class Outcome:
    """How :func:`drive` ended: the rule that fired (None otherwise), the divergence
    ``(iteration, why, rate)`` (None otherwise), and the final :class:`RunState`. Neither set:
    the stepper found no step (reason ``"line_search"``)."""

    __slots__ = ("divergence", "fired", "state")

    def __init__(self, fired, divergence, state):
        self.fired, self.divergence, self.state = fired, divergence, state


def inline_checks(rules):
    """``(hit, rule, setting, reads_step)`` for each member of ``rules`` when all are built-in
    keyword rules (:attr:`descend.stopping.Rule.hit`; ``hit`` None for the one
    :class:`~descend.stopping.Patience` allowed), else None. Those are asked on the numbers
    themselves, without building an :class:`~descend.stopping.Info` for each iteration: most
    of a cheap objective's time would otherwise go to that record."""
    members = rules.rules if type(rules) is AnyOf else (rules,)
    checks = []
    for rule in members:
        kind = type(rule)
        if kind is Patience:
            checks.append((None, rule, rule.patience, False))
        elif kind in _KEYWORD_RULES:
            setting = getattr(rule, _KEYWORD_RULES[kind])
            checks.append((kind.hit, rule, setting, kind.reads_step))
        else:
            return None
    if sum(hit is None for hit, _, _, _ in checks) > 1:
        return None
    return tuple(checks)


#: The keyword rules and the name of their setting.
_KEYWORD_RULES = {
    MaxIter: "max_iter", Tol: "tol", RTol: "rtol", XTol: "xtol", GTol: "gtol", Target: "target",
}  # fmt: skip


def drive(
    stepper, state: RunState, rules, *, sense=1.0, on_divergence="stop", checkpoint=None,
    every=0,
):  # fmt: skip
    """Run ``stepper`` from ``state`` until a rule fires, the run diverges or no step is found.

    Parameters
    ----------
    stepper :
        See the module's description.
    state : RunState
        Where to start: a starting point (``fresh``: its record row is still to be written)
        or a state a checkpoint kept.
    rules : Rule
        The stopping rules (reset by the caller for a fresh run); they are asked about the
        iterate of ``state`` first.
    sense : float
        1 to minimise; -1 when the loop minimises the negated objective.
    on_divergence : {"stop", "recover"}
        What a diverged step does (``"raise"`` is the caller's to do with the outcome).
    checkpoint : callable, optional
        ``checkpoint(state, final, changed=True)`` writes a checkpoint (``changed`` False:
        the state is the last one written, but for the time taken); it is called every ``every``
        iterations, when the run ends (diverged included) and when it is interrupted
        (``KeyboardInterrupt``). Its state is always an iterate that is recorded and that
        the rules have not yet been asked about, which is where a resumed run begins.

    Returns
    -------
    Outcome
    """
    step, restart, order = stepper.step, stepper.restart, stepper.order
    extras, watching = stepper.extras, stepper.watches
    record = state.record
    checks = inline_checks(rules)
    maximize = sense < 0
    recover = on_divergence == "recover"
    start = perf_counter() - state.elapsed
    x, x_prev, f, g, opt_state, nit = (
        state.x,
        state.x_prev,
        state.f,
        state.g,
        state.opt_state,
        state.nit,
    )
    grad_norm, scale, recoveries = state.grad_norm, state.scale, state.recoveries
    best_f, best_nit, f_prev = state.best_f, state.best_nit, state.f_prev
    p_best, p_since = state.patience_best, state.patience_since
    rate, fresh, watched = state.rate, state.fresh, state.watched
    if state.rules:
        rules.restore(state.rules)
    saving = checkpoint is not None
    asked = False  # whether the rules have been asked about the iterate x
    saved = None  # (iteration, recoveries) of the last checkpoint written
    before = None  # the rules' bookkeeping before they were asked about x

    def snapshot():
        """The run as it stands: the iterate x, recorded, with the rules not yet asked."""
        record._n = n
        if asked and before is not None:
            prev, pb, ps, kept = before
        else:
            prev, pb, ps = f_prev, p_best, p_since
            kept = [] if checks is not None else rules.state()
        return RunState(
            nit=nit, x=x, x_prev=x_prev, f=f, g=g, grad_norm=grad_norm, opt_state=opt_state,
            record=record, rate=rate, fresh=fresh, watched=watched,
            row=list(stepper.row), scale=scale, recoveries=recoveries, f_prev=prev,
            best_f=best_f, best_nit=best_nit, patience_best=pb, patience_since=ps,
            rules=kept, order=None if order is None else order.bit_generator.state,
            elapsed=perf_counter() - start, nfev=stepper.nfev, ngev=stepper.ngev,
            extra=stepper.extra(),
        )  # fmt: skip

    # the record's columns, bound once: a row is written straight into them
    keep_all, n, capacity = record._keep_all, record._n, record._capacity
    hx, hf, hgn, hlr, ht, hnit = record._bound()
    hextra = record._extra_columns(extras)
    only_max_iter = checks is not None and len(checks) == 1 and type(checks[0][1]) is MaxIter
    max_iter = checks[0][2] if only_max_iter else None  # then one comparison an iteration
    fired = divergence = None
    try:
        while True:
            if fresh:  # a new iterate: its record row
                if not keep_all:
                    n = 0
                elif n == capacity:
                    record._n = n
                    record._grow()
                    capacity = record._capacity
                    hx, hf, hgn, hlr, ht, hnit = record._bound()
                    hextra = record._extra_columns(extras)
                f_user = sense * f
                watched = stepper.watched if watching else f_user
                if hx is not None:
                    hx[n] = x
                hf[n] = f_user
                hgn[n] = grad_norm
                hlr[n] = rate
                ht[n] = perf_counter() - start if nit else 0.0
                hnit[n] = nit
                if hextra:
                    for column, value in zip(hextra, stepper.row, strict=True):
                        column[n] = value
                n += 1
                value = sense * watched
                if value < best_f:
                    best_f, best_nit = value, nit
                fresh = False
                if saving and every and nit and nit % every == 0:
                    checkpoint(snapshot(), False)
                    saved = (nit, recoveries)

            if not asked:  # the rules, about the iterate x (once: not after a recovery)
                if saving:
                    before = (f_prev, p_best, p_since, [] if checks is not None else rules.state())
                asked = True  # from here a checkpoint takes the bookkeeping from before
                if max_iter is not None:
                    if nit >= max_iter:
                        fired = checks[-1][1]
                elif checks is not None:
                    # the built-in rules, each by its own test, first hit first
                    for hit_of, rule, setting, reads_step in checks:
                        if hit_of is None:  # patience, with Patience's own bookkeeping
                            hit, p_best, p_since = Patience.advance(
                                setting, rule.min_delta, p_best, p_since, nit, watched, maximize
                            )
                        else:
                            moved = x - x_prev if reads_step and x_prev is not None else None
                            hit = hit_of(setting, nit, watched, f_prev, grad_norm, moved, maximize)
                        if hit and fired is None:
                            fired = rule
                else:
                    record._n = n
                    info = Info(
                        nit=nit, x=stepper.public_x(x),
                        f=watched, grad=None if g is None else stepper.public_grad(g),
                        grad_norm=grad_norm, f_prev=f_prev,
                        step=None if x_prev is None else stepper.public_x(x - x_prev),
                        learning_rate=rate, best_f=sense * best_f, best_nit=best_nit,
                        time=float(ht[n - 1]), maximize=maximize,
                    )  # fmt: skip
                    fired = rules.fired(info)
                f_prev = watched
                if fired is not None:
                    break

            mark = None if order is None else order.bit_generator.state
            found = step(x, f, g, opt_state, nit, scale)
            if found is None:
                break  # no step found anywhere: reason "line_search"
            x_new, f_new, g_new, norm_new, state_new, rate_new, why = found
            if why is not None:
                if mark is not None:
                    order.bit_generator.state = mark  # the same rows in the same order
                if recover and recoveries < MAX_RECOVERIES:
                    recoveries += 1
                    scale *= 0.5
                    opt_state = restart(x)
                    record.events.append(
                        (
                            nit + 1,
                            f"diverged ({why}); rolled back to iteration {nit} and halved the "
                            f"learning rate to {rate_new / 2:.6g}",
                        )
                    )
                    continue
                divergence = (nit + 1, why, rate_new)
                break
            # no call between these lines: an interrupt finds them all done or none
            x_prev, x, f, g, grad_norm, opt_state = x, x_new, f_new, g_new, norm_new, state_new
            rate, nit, fresh, asked = rate_new, nit + 1, True, False
    except KeyboardInterrupt:
        if saving:
            checkpoint(snapshot(), True)
        raise
    record._n = n
    final = snapshot()
    if saving:  # the arrays again only when the run moved since the last checkpoint
        checkpoint(final, True, saved != (nit, recoveries))
    return Outcome(fired, divergence, final)
