"""A fully connected network, its gradients, and the step-by-step trace of both passes.

Notation (DESIGN.md, notes 000 and 001): layers k = 1 … L+1, h(0) = x,
a(k) = b(k) + W(k) h(k-1), h(k) = g(a(k)), f(x) = softmax(a(L+1)). W(k) has shape
(n_k, n_{k-1}), b(k) shape (n_k,). A batch X has shape (N, D), one example per row, so in
code a(k) = h(k-1) @ W(k).T + b(k) with shape (N, n_k).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .losses import LOSS_FUNCTIONS, LOSSES, softmax
from .notation import Step

INITS = {
    "xavier": "Xavier uniform",
    "he": "He normal",
    "normal": "normal 0.01",
    "zeros": "zeros",
}


def init_params(sizes: Sequence[int], init: str, seed: int) -> dict[str, np.ndarray]:
    """Fresh parameters ``W1, b1, …``: W(k) (n_k, n_{k-1}) by ``init``, b(k) (n_k,) zeros."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for k in range(1, len(sizes)):
        fan_in, fan_out = sizes[k - 1], sizes[k]
        shape = (fan_out, fan_in)
        if init == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            W = rng.uniform(-limit, limit, shape)
        elif init == "he":
            W = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        elif init == "normal":
            W = rng.normal(0.0, 0.01, shape)
        else:
            W = np.zeros(shape)
        params[f"W{k}"] = W
        params[f"b{k}"] = np.zeros(fan_out)
    return params


class MLP:
    """Multi-layer perceptron ``sizes = [D, n_1, …, n_L, C]``; ``[D, C]`` is linear.

    activation: one name for every hidden layer or a list with one per hidden layer,
    from identity, sigmoid, tanh, relu, leaky_relu, elu. loss: "softmax_ce" or "hinge".
    init: "xavier", "he", "normal" or "zeros". ``params`` holds float64 arrays
    ``W{k}`` (n_k, n_{k-1}) and ``b{k}`` (n_k,); training updates them in place.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "tanh",
        loss: str = "softmax_ce",
        init: str = "xavier",
        seed: int = 0,
    ):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be [D, n_1, …, C] with every size ≥ 1, got {sizes}")
        hidden = len(sizes) - 2
        names = [activation] * hidden if isinstance(activation, str) else list(activation)
        if len(names) != hidden:
            raise ValueError(f"{hidden} hidden layers need {hidden} activations, got {len(names)}")
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.sizes = sizes
        self.activations = names
        self.loss = loss
        self.init = init
        self.seed = int(seed)
        self._g = [get_activation(n) for n in names]
        self._keys = [(f"W{k}", f"b{k}") for k in range(1, len(sizes))]
        self.params = init_params(sizes, init, self.seed)

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, activation={self.activations}, loss={self.loss!r})"

    @property
    def n_layers(self) -> int:
        """L + 1: the number of weight layers."""
        return len(self.sizes) - 1

    def copy(self) -> MLP:
        """An independent network with the same configuration and parameter values."""
        twin = object.__new__(MLP)
        twin.__dict__.update(self.__dict__)
        twin.params = {k: v.copy() for k, v in self.params.items()}
        return twin

    # --- forward only -------------------------------------------------------------
    def _hidden_and_scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = X
        for k, (wk, bk) in enumerate(self._keys[:-1]):
            h = self._g[k].forward(h @ self.params[wk].T + self.params[bk])
        wk, bk = self._keys[-1]
        return h, h @ self.params[wk].T + self.params[bk]

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Output pre-activation a(L+1), shape (N, C)."""
        return self._hidden_and_scores(self._check_X(X))[1]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C): probabilities f(x) for softmax_ce, scores a(L+1) for hinge."""
        a = self.scores(X)
        if self.loss == "softmax_ce":
            return softmax(a)
        return a

    def predict(self, X: np.ndarray) -> np.ndarray:
        """(N,) class indices: argmax of the output."""
        return np.argmax(self.scores(X), axis=1)

    def hidden(self, X: np.ndarray) -> np.ndarray:
        """h(L), the last hidden layer, shape (N, n_L); X itself for a linear model."""
        return self._hidden_and_scores(self._check_X(X))[0]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean data loss without the L2 term, accuracy) on a labelled set."""
        X, y = self._check_batch(X, y)
        a = self._hidden_and_scores(X)[1]
        return LOSS_FUNCTIONS[self.loss](a, y)[0], float(np.mean(np.argmax(a, axis=1) == y))

    # --- gradients ----------------------------------------------------------------
    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, l2: float = 0.0
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Mean data loss + l2·Σ_k ‖W(k)‖² and its gradients (keys and shapes of params)."""
        X, y = self._check_batch(X, y)
        return self._backprop(X, y, float(l2), None)

    def trace(self, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> list[Step]:
        """The forward pass layer by layer, the loss, then the backward pass in reverse.

        Forward: for k = 1 … L+1 a "linear" step a(k), then for hidden layers an
        "activation" step h(k); for softmax_ce an "output" step f(x); a "loss" step L.
        Backward: "grad_output" ∇a(L+1), then for k = L+1 … 1 the steps ∇W(k), ∇b(k)
        and, for k > 1, ∇h(k-1) and ∇a(k-1). The numbers are those of loss_and_grads:
        both run the same code, this one also recording each step.
        """
        X, y = self._check_batch(X, y)
        steps: list[Step] = []
        self._backprop(X, y, float(l2), steps.append)
        return steps

    def _backprop(
        self, X: np.ndarray, y: np.ndarray, l2: float, record: Callable[[Step], None] | None
    ) -> tuple[float, dict[str, np.ndarray]]:
        P = self.params
        last = self.n_layers
        n = X.shape[0]
        hs = [X]  # h(0) … h(L)
        pre = []  # a(1) … a(L+1)
        h = X
        for k, (wk, bk) in enumerate(self._keys, start=1):
            a = h @ P[wk].T
            a += P[bk]
            pre.append(a)
            if record:
                record(_linear_step(k, P[wk].copy(), P[bk].copy(), h, a))
            if k < last:
                h = self._g[k - 1].forward(a)
                hs.append(h)
                if record:
                    record(_activation_step(k, self._g[k - 1], a, h))
        data_loss, da, extras = LOSS_FUNCTIONS[self.loss](a, y)
        loss = data_loss
        if l2:
            loss += l2 * sum(float(np.vdot(P[wk], P[wk])) for wk, _ in self._keys)
        if record:
            for step in _output_steps(self.loss, last, n, l2, a, y, loss, da, extras):
                record(step)

        grads: dict[str, np.ndarray] = {}
        for k in range(last, 0, -1):
            wk, bk = self._keys[k - 1]
            W = P[wk]
            dW = da.T @ hs[k - 1]
            if l2:
                dW += (2.0 * l2) * W
            db = da.sum(axis=0)
            grads[wk], grads[bk] = dW, db
            if record:
                record(_grad_W_step(k, n, l2, da, hs[k - 1], W.copy(), dW))
                record(_grad_b_step(k, n, da, db))
            if k > 1:
                dh = da @ W
                g = self._g[k - 2]
                gprime = g.grad(pre[k - 2], hs[k - 1])
                if record:
                    record(_grad_h_step(k, W.copy(), da, dh))
                da = dh * gprime
                if record:
                    record(_grad_a_step(k - 1, g, dh, gprime, da))
        return loss, grads

    # --- input checks -------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.sizes[0] or X.shape[0] < 1:
            raise ValueError(f"X must have shape (N ≥ 1, {self.sizes[0]}), got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        return X

    def _check_batch(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X = self._check_X(X)
        y = np.atleast_1d(np.asarray(y))
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must hold {X.shape[0]} integer labels, got {y.dtype} {y.shape}")
        if y.min() < 0 or y.max() >= self.sizes[-1]:
            raise ValueError(f"labels must lie in 0 … {self.sizes[-1] - 1}")
        return X, y.astype(np.intp)


# --- trace steps: the equation of each, in the notes' notation -------------------------
def _per_example(n: int, one: str, batch: str) -> str:
    return one if n == 1 else batch.replace("N", str(n))


def _linear_step(k, W, b, h_prev, a) -> Step:
    return Step(
        "forward",
        "linear",
        k,
        f"a({k})",
        rf"⟨a({k})⟩ = ⟨b({k})⟩ + ⟨W({k})⟩\,⟨h({k - 1})⟩",
        f"a{k} = h{k - 1} @ W{k}.T + b{k}",
        {f"W({k})": W, f"b({k})": b, f"h({k - 1})": h_prev},
        {f"a({k})": a},
    )


def _activation_step(k, g, a, h) -> Step:
    return Step(
        "forward",
        "activation",
        k,
        f"h({k})",
        f"⟨h({k})⟩ = " + g.tex.replace("⟨a⟩", f"⟨a({k})⟩"),
        f"h{k} = {g.name}(a{k})",
        {f"a({k})": a},
        {f"h({k})": h},
    )


def _output_steps(loss_name, k, n, l2, a, y, loss, da, extras) -> list[Step]:
    mean = _per_example(n, "", r"\frac{1}{N}")
    reg = rf" + {l2:g} \sum_k \lVert W^{{(k)}} \rVert^2" if l2 else ""
    reg_code = f" + {l2:g} * sum((W**2).sum() for W in Ws)" if l2 else ""
    L = np.asarray(loss)
    if loss_name == "softmax_ce":
        p = extras["f(x)"]
        onehot = np.eye(p.shape[1])[y]
        return [
            Step(
                "forward",
                "output",
                k,
                "f(x)",
                rf"⟨f(x)⟩ = \mathrm{{softmax}}(⟨a({k})⟩)",
                f"f = np.exp(a{k} - a{k}.max(1, keepdims=True)); f /= f.sum(1, keepdims=True)",
                {f"a({k})": a},
                {"f(x)": p},
            ),
            Step(
                "forward",
                "loss",
                k,
                "L",
                _per_example(
                    n,
                    r"⟨L⟩ = -\log ⟨f(x)_y⟩",
                    r"⟨L⟩ = -\frac{1}{N} \sum_{n=1}^{N} \log f(\mathbf{x}_n)_{y_n}",
                )
                + reg,
                "L = -np.log(f[np.arange(N), y]).mean()" + reg_code,
                {"f(x)": p, "y": y, "f(x)_y": p[np.arange(n), y]},
                {"L": L},
            ),
            Step(
                "backward",
                "grad_output",
                k,
                f"∇a({k})",
                rf"⟨∇a({k})⟩ = "
                + _per_example(n, "⟨f(x)⟩ - ⟨e(y)⟩", r"\frac{1}{N}\left(⟨f(x)⟩ - ⟨e(y)⟩\right)"),
                f"da{k} = (f - onehot(y)) / N",
                {"f(x)": p, "e(y)": onehot},
                {f"∇a({k})": da},
            ),
        ]
    margins = extras["margins"]
    return [
        Step(
            "forward",
            "loss",
            k,
            "L",
            _per_example(
                n,
                r"⟨L⟩ = \sum_{j \neq y} ⟨margins⟩_j",
                r"⟨L⟩ = \frac{1}{N} \sum_{n=1}^{N} \sum_{j \neq y_n}"
                r" \max(0,\ s_{nj} - s_{n y_n} + 1)",
            )
            + reg,
            f"m = np.maximum(0, a{k} - a{k}[np.arange(N), y, None] + 1); m[np.arange(N), y] = 0;"
            " L = m.sum() / N" + reg_code,
            {f"a({k})": a, "y": y, "margins": margins},
            {"L": L},
        ),
        Step(
            "backward",
            "grad_output",
            k,
            f"∇a({k})",
            rf"⟨∇a({k})⟩ = {mean}\left(1_{{⟨margins⟩ > 0}}"
            r" - \mathbf{e}(y) \sum_{j} 1_{s_j - s_y + 1 > 0,\ j \neq y}\right)",
            f"da{k} = (m > 0) * 1.0; da{k}[np.arange(N), y] = -da{k}.sum(1); da{k} /= N",
            {"margins": margins, "y": y},
            {f"∇a({k})": da},
        ),
    ]


def _grad_W_step(k, n, l2, da, h_prev, W, dW) -> Step:
    reads = {f"∇a({k})": da, f"h({k - 1})": h_prev}
    template = _per_example(
        n,
        rf"⟨∇W({k})⟩ = ⟨∇a({k})⟩\,⟨h({k - 1})⟩^{{\top}}",
        rf"⟨∇W({k})⟩ = \sum_{{n=1}}^{{N}} ⟨∇a({k})⟩_n\,⟨h({k - 1})⟩_n^{{\top}}",
    )
    code = f"dW{k} = da{k}.T @ h{k - 1}"
    if l2:
        template += rf" + 2 \cdot {l2:g}\,⟨W({k})⟩"
        code += f" + 2 * {l2:g} * W{k}"
        reads[f"W({k})"] = W
    return Step("backward", "grad_W", k, f"∇W({k})", template, code, reads, {f"∇W({k})": dW})


def _grad_b_step(k, n, da, db) -> Step:
    return Step(
        "backward",
        "grad_b",
        k,
        f"∇b({k})",
        _per_example(n, rf"⟨∇b({k})⟩ = ⟨∇a({k})⟩", rf"⟨∇b({k})⟩ = \sum_{{n=1}}^{{N}} ⟨∇a({k})⟩_n"),
        f"db{k} = da{k}.sum(axis=0)",
        {f"∇a({k})": da},
        {f"∇b({k})": db},
    )


def _grad_h_step(k, W, da, dh) -> Step:
    return Step(
        "backward",
        "grad_h",
        k,
        f"∇h({k - 1})",
        rf"⟨∇h({k - 1})⟩ = ⟨W({k})⟩^{{\top}}\,⟨∇a({k})⟩",
        f"dh{k - 1} = da{k} @ W{k}",
        {f"W({k})": W, f"∇a({k})": da},
        {f"∇h({k - 1})": dh},
    )


def _grad_a_step(k, g, dh, gprime, da) -> Step:
    return Step(
        "backward",
        "grad_a",
        k,
        f"∇a({k})",
        rf"⟨∇a({k})⟩ = ⟨∇h({k})⟩ \odot ⟨g'(a({k}))⟩, \qquad {g.grad_tex}",
        f"da{k} = dh{k} * {g.name}_grad(a{k})",
        {f"∇h({k})": dh, f"g'(a({k}))": gprime},
        {f"∇a({k})": da},
    )


__all__ = ["INITS", "MLP", "ACTIVATIONS", "init_params"]
