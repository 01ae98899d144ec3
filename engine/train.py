"""Mini-batch SGD (with optional momentum): θ ← θ − α ∇θ L, one epoch = one shuffled pass."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .mlp import MLP


@dataclass
class History:
    """Per-epoch curves of a run. Losses are mean data losses (no L2 term), so train and
    test are comparable. ``stopped_reason`` says why training ended, in a sentence."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    stopped_reason: str = ""
    diverged: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def sgd_step(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    lr: float,
    velocity: dict[str, np.ndarray] | None = None,
    momentum: float = 0.0,
) -> dict[str, np.ndarray]:
    """Update ``params`` in place and return the change applied to each.

    Plain SGD: θ ← θ + Δ with Δ = −α∇θ. With ``velocity``: v ← μv − α∇θ, θ ← θ + v, and
    the returned Δ are the velocity arrays themselves (valid until the next step).
    """
    if velocity is None:
        change = {}
        for key, g in grads.items():
            d = g * -lr
            params[key] += d
            change[key] = d
        return change
    for key, g in grads.items():
        v = velocity[key]
        v *= momentum
        v -= lr * g
        params[key] += v
    return velocity


def _check(name: str, value, low, high, integer=False):
    if integer and (isinstance(value, bool) or not float(value).is_integer()):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return int(value) if integer else value


def fit(
    net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int = 32,
    l2: float = 0.0,
    momentum: float = 0.0,
    seed: int = 0,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    callback: Callable[[int, MLP, History], None] | None = None,
) -> History:
    """Train ``net`` in place on X (N, D), y (N,) and return its History.

    Each epoch reshuffles the training set under ``seed`` and takes one SGD step per
    mini-batch of ``batch_size``; ``callback(epoch, net, history)`` runs after every
    epoch. If the loss becomes inf or NaN, training stops, the parameters are restored to
    the last finite state (start of that epoch) and ``stopped_reason`` says what happened;
    no exception is raised and no NaN is passed on.
    """
    epochs = _check("epochs", epochs, 0, 100_000, integer=True)
    lr = _check("learning rate", lr, 1e-12, 1e6)
    batch_size = _check("batch size", batch_size, 1, 1_000_000, integer=True)
    l2 = _check("L2 strength", l2, 0.0, 1e6)
    momentum = _check("momentum", momentum, 0.0, 0.999)
    X, y = net._check_batch(X, y)
    has_test = X_test is not None and y_test is not None
    if has_test:
        X_test, y_test = net._check_batch(X_test, y_test)

    rng = np.random.default_rng(seed)
    params = net.params
    velocity = {k: np.zeros_like(v) for k, v in params.items()} if momentum else None
    hist = History()
    n = len(X)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            last_good = {k: v.copy() for k, v in params.items()}
            order = rng.permutation(n)
            bad = None
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                loss, grads = net._backprop(X[idx], y[idx], l2, None)
                if not math.isfinite(loss):
                    bad = loss
                    break
                sgd_step(params, grads, lr, velocity, momentum)
            if bad is None:
                train_loss, train_acc = net.evaluate(X, y)
                if not math.isfinite(train_loss):
                    bad = train_loss
            if bad is not None:
                for k, v in last_good.items():
                    params[k][...] = v
                what = "NaN (not a number)" if math.isnan(bad) else "inf"
                hist.stopped_reason = (
                    f"diverged at epoch {epoch}: the loss became {what}; lower the learning rate"
                )
                hist.diverged = True
                return hist
            hist.train_loss.append(train_loss)
            hist.train_acc.append(train_acc)
            if has_test:
                test_loss, test_acc = net.evaluate(X_test, y_test)
                hist.test_loss.append(test_loss)
                hist.test_acc.append(test_acc)
            if callback is not None:
                callback(epoch, net, hist)
    hist.stopped_reason = f"finished {epochs} epochs"
    return hist


def repeat_updates(
    net: MLP, X: np.ndarray, y: np.ndarray, lr: float, l2: float, count: int
) -> list[float]:
    """Apply ``count`` plain SGD updates θ ← θ − α∇θ L on the same batch, in place.

    Returns the batch loss before the first update and after each (count + 1 values).
    The same start, batch, α, λ and count always give the same bits, so a link can carry
    "3 updates at α = 0.1" instead of the weights. Stops early (shorter list) once the
    loss is no longer finite; the parameters are then the non-finite ones, as a
    diverging update leaves them.
    """
    count = _check("updates", count, 0, 10_000, integer=True)
    X, y = net._check_batch(X, y)
    losses = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        loss, grads = net._backprop(X, y, float(l2), None)
        losses.append(loss)
        for _ in range(count):
            if not math.isfinite(loss):
                break
            sgd_step(net.params, grads, lr)
            loss, grads = net._backprop(X, y, float(l2), None)
            losses.append(loss)
    return losses


def loss_change(before: float, after: float, lr: float) -> str:
    """'' when an update behaved; else what happened and what to try, in a sentence."""
    if not math.isfinite(after):
        what = "NaN (not a number)" if math.isnan(after) else "infinite"
        return (
            f"The loss became {what}: with α = {lr:g} the update overshot so far that the "
            "numbers overflowed. Reset the weights and use a smaller learning rate."
        )
    if after > 10 * max(before, 1e-12):  # an order of magnitude in one update
        return (
            f"The loss grew from {before:.4g} to {after:.4g} in one update: α = {lr:g} is far "
            "too large for these weights, so each step jumps past the minimum and lands "
            "higher. Reset the weights and use a smaller learning rate."
        )
    if after > before:
        return (
            f"The loss rose from {before:.4g} to {after:.4g}: the step overshot the minimum. "
            "A smaller learning rate takes smaller steps."
        )
    return ""
