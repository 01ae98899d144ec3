"""The forward pass of an MLP with every intermediate kept, and the objective it gives.

The same arithmetic as ``MLP._backprop``'s forward half: a(k) = h(k-1) W(k)^T + b(k),
h(k) = g(a(k)). The gradient checker, the step-size sweep and the planted bugs need the
pre-activations (kinks, a backward pass of their own) and a float32 run, which the
network's public methods do not give. Tests hold this to ``MLP.scores`` and
``MLP.loss_and_grads``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .activations import Activation, get_activation
from .losses import LOSS_FUNCTIONS
from .mlp import MLP


@dataclass(frozen=True)
class ForwardCache:
    """h[k] = h(k) for k = 0 … L (h[0] = X), each (N, n_k); a[k - 1] = a(k) for
    k = 1 … L+1, each (N, n_k); g[k - 1] = the activation of hidden layer k = 1 … L."""

    h: list[np.ndarray]
    a: list[np.ndarray]
    g: list[Activation]

    @property
    def scores(self) -> np.ndarray:
        """a(L+1), (N, C)."""
        return self.a[-1]


def forward_pass(
    net: MLP, X: np.ndarray, params: Mapping[str, np.ndarray] | None = None
) -> ForwardCache:
    """Run ``net`` on X (N, D), or on another set of ``params`` with the same keys and
    shapes (e.g. float32 copies: the arithmetic then stays in their dtype)."""
    P = net.params if params is None else params
    gs = [get_activation(name) for name in net.activations]
    h = np.atleast_2d(X)
    hs, pre = [h], []
    for k in range(1, net.n_layers + 1):
        a = h @ P[f"W{k}"].T + P[f"b{k}"]
        pre.append(a)
        if k < net.n_layers:
            h = gs[k - 1].forward(a)
            hs.append(h)
    return ForwardCache(hs, pre, gs)


def objective(
    net: MLP,
    cache: ForwardCache,
    y: np.ndarray,
    l2: float = 0.0,
    params: Mapping[str, np.ndarray] | None = None,
) -> float:
    """L = mean data loss + l2 · Σ_k ‖W(k)‖², the quantity ``loss_and_grads`` returns,
    computed in the dtype of the cache (and of ``params``, default the network's)."""
    P = net.params if params is None else params
    loss = LOSS_FUNCTIONS[net.loss](cache.scores, y)[0]
    if l2:
        dtype = cache.scores.dtype.type
        penalty = sum(np.vdot(P[f"W{k}"], P[f"W{k}"]) for k in range(1, net.n_layers + 1))
        return float(dtype(loss) + dtype(l2) * dtype(penalty))
    return float(loss)
