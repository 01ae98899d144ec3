"""The step size h of a centred difference: too large and truncation (~h²) dominates, too
small and round-off (~ε/h) does; the best h sits between, and float32 wants a larger one.

(f(x + h) − f(x − h)) / 2h = f'(x) + h² f'''(x)/6 + …, while each f value carries a
rounding error of about ε|f|, which the division by 2h magnifies to ~ε|f|/h.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .forward import forward_pass, objective
from .gradcheck import tensor_name
from .mlp import MLP

STEPS = np.logspace(-1, -12, 45)  # 1e-1 … 1e-12, four per decade
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class StepSizeSweep:
    """Relative error |n − d| / max(|n|, |d|) of the centred difference n against the
    exact derivative d, for each h in ``h`` (H,) and each dtype in ``error`` ({"float64":
    (H,), "float32": (H,)}); ``best_h`` / ``best_error`` per dtype at the smallest error.

    Guides for a log-log plot (H,): ``truncation`` = C h², with C fitted to the float64
    errors at the three largest h; ``roundoff[dtype]`` = ε |f(x)| / (h |d|).
    ``target`` names what was differentiated, e.g. "∂L/∂W(1)[2, 1]".
    """

    h: np.ndarray
    error: dict[str, np.ndarray]
    best_h: dict[str, float]
    best_error: dict[str, float]
    exact: float
    value: float
    truncation: np.ndarray
    roundoff: dict[str, np.ndarray]
    eps: dict[str, float]
    target: str


def sweep_step_size(
    f: Callable[[np.floating, type], float],
    x0: float,
    exact: float,
    *,
    target: str = "f'(x)",
    steps: np.ndarray = STEPS,
) -> StepSizeSweep:
    """Centred differences of ``f`` at ``x0`` for every h in ``steps`` and every dtype.

    ``f(x, dtype)`` must compute in ``dtype`` (np.float64 or np.float32) at the scalar
    ``x`` (already of that dtype) and return its value; ``exact`` is the derivative, known
    in float64. Example: ``sweep_step_size(lambda x, t: np.sin(x), 1.0, np.cos(1.0))``.
    """
    steps = np.asarray(steps, dtype=np.float64)
    if steps.ndim != 1 or not 3 <= steps.size <= 200 or not (steps > 0).all():
        raise ValueError("steps must be 3 to 200 positive numbers")
    if not (np.isfinite(x0) and np.isfinite(exact)):
        raise ValueError("x0 and the exact derivative must be finite")
    error, best_h, best_error, roundoff, eps = {}, {}, {}, {}, {}
    value = float(f(np.float64(x0), np.float64))
    for name in DTYPES:
        dtype = np.dtype(name).type
        x = dtype(x0)
        numeric = np.array(
            [
                (float(f(x + dtype(h), dtype)) - float(f(x - dtype(h), dtype))) / (2.0 * h)
                for h in steps
            ]
        )
        scale = np.maximum(np.maximum(np.abs(numeric), abs(exact)), np.finfo(np.float64).tiny)
        error[name] = np.abs(numeric - exact) / scale
        i = int(np.argmin(error[name]))
        best_h[name], best_error[name] = float(steps[i]), float(error[name][i])
        eps[name] = float(np.finfo(dtype).eps)
        roundoff[name] = eps[name] * abs(value) / (steps * max(abs(exact), 1e-300))
    largest = np.argsort(steps)[-3:]
    c = float(np.median(error["float64"][largest] / steps[largest] ** 2))
    return StepSizeSweep(
        steps,
        error,
        best_h,
        best_error,
        float(exact),
        value,
        c * steps**2,
        roundoff,
        eps,
        target,
    )


def network_step_size(
    net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    *,
    key: str | None = None,
    index: tuple[int, ...] | None = None,
    steps: np.ndarray = STEPS,
) -> StepSizeSweep:
    """The sweep for one parameter of ``net`` on the batch X (N, D), y (N,) (classes from
    0): ``key`` such as "W1" and a 0-based ``index`` into it; by default the entry with the
    largest |∂L/∂θ| of all. The exact derivative is ``loss_and_grads``' (float64); float32
    runs the whole forward pass and loss on float32 copies of X and the parameters."""
    _, grads = net.loss_and_grads(X, y, l2)  # also checks X and y
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y)).astype(np.intp)
    if key is None:
        key = max(grads, key=lambda k: float(np.abs(grads[k]).max()))
        index = np.unravel_index(int(np.argmax(np.abs(grads[key]))), grads[key].shape)
    if key not in net.params:
        raise ValueError(f"unknown parameter {key!r}; choose one of {', '.join(net.params)}")
    shape = net.params[key].shape
    inside = index is not None and len(index) == len(shape)
    inside = inside and all(0 <= int(i) < n for i, n in zip(index, shape, strict=True))
    if not inside:
        raise ValueError(f"index must point into {tensor_name(key)} of shape {shape}")
    index = tuple(int(i) for i in index)

    copies = {name: {k: v.astype(name) for k, v in net.params.items()} for name in DTYPES}
    inputs = {name: X.astype(name) for name in DTYPES}

    def loss_at(theta, dtype) -> float:
        name = np.dtype(dtype).name
        params = copies[name]
        params[key][index] = theta
        return objective(net, forward_pass(net, inputs[name], params), y, l2, params)

    label = f"∂L/∂{tensor_name(key)}[{', '.join(str(i + 1) for i in index)}]"
    return sweep_step_size(
        loss_at, float(net.params[key][index]), float(grads[key][index]), target=label, steps=steps
    )
