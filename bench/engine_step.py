"""One SGD step (forward + backward + update): the engine against a hand-fused numpy step.

    python -m bench.engine_step

The hand-fused step is the same arithmetic written inline for a fixed architecture of
tanh layers with softmax cross-entropy: the practical floor for numpy. PyTorch on CPU is
timed too when it is installed. Prints one line per configuration.
"""

from __future__ import annotations

import timeit

import numpy as np

from engine import MLP, sgd_step

LR = 1e-6  # tiny, so thousands of repeats leave the weights where they were


def fused_step(X, y, P, n_layers, lr=LR):
    """Forward, backward and update of a tanh MLP with softmax CE, all inline."""
    n = len(y)
    rows = np.arange(n)
    hs = [X]
    h = X
    for k in range(1, n_layers):
        h = np.tanh(h @ P[f"W{k}"].T + P[f"b{k}"])
        hs.append(h)
    a = h @ P[f"W{n_layers}"].T + P[f"b{n_layers}"]
    a -= a.max(1, keepdims=True)
    p = np.exp(a)
    s = p.sum(1, keepdims=True)
    p /= s
    loss = (np.log(s).sum() - a[rows, y].sum()) / n
    p[rows, y] -= 1
    p /= n
    da = p
    for k in range(n_layers, 0, -1):
        W = P[f"W{k}"]
        dW = da.T @ hs[k - 1]
        db = da.sum(0)
        if k > 1:
            da = (da @ W) * (1 - hs[k - 1] * hs[k - 1])
        W -= lr * dW
        P[f"b{k}"] -= lr * db
    return loss


def best_of(fn, repeat=7, number=None):
    """Seconds per call: the minimum over ``repeat`` rounds (the least disturbed)."""
    timer = timeit.Timer(fn)
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def torch_step_seconds(sizes, X, y):
    try:
        import torch
    except (ImportError, OSError):  # not installed, or installed without its libraries
        return None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layers = []
    for k in range(1, len(sizes)):
        layers.append(torch.nn.Linear(sizes[k - 1], sizes[k]).double())
        if k < len(sizes) - 1:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()

    return best_of(step)


def run(sizes, batch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    net = MLP(sizes, activation="tanh", seed=0)
    P = {k: v.copy() for k, v in net.params.items()}
    n_layers = len(sizes) - 1

    def engine_step():
        _, grads = net.loss_and_grads(X, y)
        sgd_step(net.params, grads, LR)

    ours = best_of(engine_step)
    fused = best_of(lambda: fused_step(X, y, P, n_layers))
    torch_s = torch_step_seconds(sizes, X, y)
    line = (
        f"{str(sizes):22} batch {batch:4}: engine {ours * 1e6:8.1f} µs   hand-fused "
        f"{fused * 1e6:8.1f} µs   ratio {ours / fused:5.2f}"
    )
    if torch_s is not None:
        line += f"   torch (1 thread) {torch_s * 1e6:8.1f} µs"
    print(line)
    return ours, fused, torch_s


if __name__ == "__main__":
    run([2, 16, 16, 2], 32)
    run([64, 128, 128, 10], 128)
