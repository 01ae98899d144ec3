"""The math behind the decision-boundary page: a linear classifier and an MLP trained side by
side on 2-D data, their decisions over a grid of the plane, the MLP's hidden space, an L2
sweep and the identity-activation "linear collapse". Pure numpy; every result is a frozen
dataclass of arrays, so a page can keep it and a figure builder can draw it.

Notation (DESIGN.md): a linear classifier is the network [D, C] (f = W x + b, one template
W_c per class); an MLP has hidden layers h(k) = g(a(k)). The plane is x = (x1, x2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .bounds import check_fields
from .datasets import DATASETS, MULTICLASS, make_dataset, train_test_split
from .losses import LOSSES
from .mlp import MLP
from .train import History, fit

# What a user may pick: (low, high) for numbers, the allowed names for choices. The page
# builds its widgets from these, so the widgets and the checks cannot disagree.
LIMITS: dict[str, tuple[float, float]] = {
    "n": (50, 2000),
    "noise": (0.0, 1.0),
    "test_fraction": (0.1, 0.9),
    "classes": (2, 5),
    "seed": (0, 10_000),
    "hidden_layers": (1, 4),
    "width": (1, 32),
    "lr": (1e-4, 10.0),
    "epochs": (1, 1000),
    "batch_size": (1, 256),
    "l2": (0.0, 1.0),
    "momentum": (0.0, 0.99),
}
INTEGER_FIELDS = ("n", "classes", "seed", "hidden_layers", "width", "epochs", "batch_size")
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": tuple(DATASETS),
    "activation": tuple(ACTIVATIONS),
    "loss": tuple(LOSSES),
}
# One session's training may take at most this many SGD steps per model (epochs × batches
# per epoch), so nobody can occupy a shared server for minutes: about 3–5 s on one core.
MAX_SGD_STEPS = 50_000
SNAPSHOTS = 30  # boundary snapshots per model during training (epoch 0 included)
RESOLUTION = 100  # grid points along each axis of the plane
MARGIN = 0.15  # the grid extends this fraction of the data's range beyond it on every side
REG_LAMBDAS = (0.001, 0.01, 0.1)  # the notes' values

Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)


@dataclass(frozen=True)
class BoundaryConfig:
    """Everything that defines one comparison: the data, the MLP, the shared SGD settings.

    Raises ValueError with a sentence naming the field when a value lies outside LIMITS
    or CHOICES. ``classes`` only matters for the multiclass datasets (spiral arms,
    Gaussian blobs, linear wedges); the others always have 2 classes.
    """

    dataset: str = "moons"
    n: int = 400
    noise: float = 0.1
    test_fraction: float = 0.3
    classes: int = 2
    seed: int = 0
    hidden_layers: int = 2
    width: int = 16
    activation: str = "tanh"
    loss: str = "softmax_ce"
    lr: float = 0.1
    epochs: int = 300
    batch_size: int = 32
    l2: float = 0.0
    momentum: float = 0.9

    def __post_init__(self) -> None:
        check_fields(self, LIMITS, CHOICES, INTEGER_FIELDS)

    @property
    def n_classes(self) -> int:
        return self.classes if self.dataset in MULTICLASS else 2

    @property
    def hidden(self) -> tuple[int, ...]:
        """Widths of the MLP's hidden layers n_1 … n_L."""
        return (self.width,) * self.hidden_layers

    @property
    def mlp_sizes(self) -> tuple[int, ...]:
        return (2, *self.hidden, self.n_classes)

    @property
    def linear_sizes(self) -> tuple[int, ...]:
        return (2, self.n_classes)

    @property
    def sgd_steps(self) -> int:
        """SGD steps one model takes: epochs × ceil(training points / batch size)."""
        n_train = self.n - round(self.test_fraction * self.n)
        return self.epochs * math.ceil(max(n_train, 1) / self.batch_size)

    def too_expensive(self) -> str:
        """'' when training fits the step budget, else a sentence saying what to change."""
        steps = self.sgd_steps
        if steps <= MAX_SGD_STEPS:
            return ""
        return (
            f"These settings need {steps:,} SGD steps per model (epochs × batches per epoch); "
            f"the limit is {MAX_SGD_STEPS:,} so one session cannot tie up a shared server. "
            "Raise the batch size, or lower the epochs or the number of points."
        )


@dataclass(frozen=True)
class Data:
    """The dataset split once: X_* (N, 2) float64, y_* (N,) integer labels in [0, C)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def X_all(self) -> np.ndarray:
        return np.concatenate([self.X_train, self.X_test])


def make_data(config: BoundaryConfig) -> Data:
    """The config's dataset, split into train and test under its seed."""
    X, y = make_dataset(
        config.dataset,
        n=config.n,
        noise=config.noise,
        seed=config.seed,
        classes=config.n_classes,
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, config.test_fraction, config.seed)
    return Data(X_train, y_train, X_test, y_test, config.n_classes)


@dataclass(frozen=True)
class Grid:
    """A regular grid over the plane: x1 (nx,) and x2 (ny,) ascending.

    ``points`` (ny·nx, 2) lists it row by row (x2 outer, x1 inner), so values computed on
    the points reshape to (ny, nx), the layout of a heatmap's z.
    """

    x1: np.ndarray
    x2: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.x2), len(self.x1)

    @property
    def points(self) -> np.ndarray:
        g1, g2 = np.meshgrid(self.x1, self.x2)
        return np.column_stack([g1.ravel(), g2.ravel()])


def make_grid(X: np.ndarray, resolution: int = RESOLUTION, margin: float = MARGIN) -> Grid:
    """``resolution`` × ``resolution`` points covering X (N, 2) plus ``margin`` of its range
    on every side (at least 0.1, so a degenerate cloud still gets a plane)."""
    if resolution < 2:
        raise ValueError("resolution must be at least 2")
    low, high = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(margin * (high - low), 0.1)
    low, high = low - pad, high + pad
    return Grid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))


@dataclass(frozen=True)
class Regions:
    """What a model decides over a grid at S moments of training.

    epochs (S,): the epoch of each snapshot (0 = before training).
    label (S, ny, nx) int8: the predicted class argmax_c a(L+1)_c at each grid point.
    confidence (S, ny, nx) float16 in [0, 1]: 0 on the boundary, 1 where the model is
    sure. softmax_ce: (max_c f(x)_c − 1/C) / (1 − 1/C); hinge: the margin of the top score
    over the runner-up, capped at 1 (the margin the hinge loss asks for).
    train_acc, test_acc (S,): accuracy at each snapshot.
    """

    epochs: np.ndarray
    label: np.ndarray
    confidence: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray


def decide(net: MLP, points: np.ndarray, chunk: int = 2500) -> tuple[np.ndarray, np.ndarray]:
    """(label (P,) int8, confidence (P,) float16) of ``net`` at ``points`` (P, 2).

    Finite for any parameters: a grid point where the scores overflow gets confidence 0.
    Evaluated ``chunk`` points at a time: blocks that stay in cache are about twice as
    fast as one 10 000-row pass on this kind of machine.
    """
    label = np.empty(len(points), dtype=np.int8)
    # float16 is plenty for a shade and keeps 30 snapshots of a 100 × 100 grid at 0.6 MB.
    confidence = np.empty(len(points), dtype=np.float16)
    for start in range(0, len(points), chunk):
        block = slice(start, start + chunk)
        label[block], confidence[block] = _decide_block(net, points[block])
    return label, confidence


def _decide_block(net: MLP, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(over="ignore", invalid="ignore"):
        scores = net.scores(points)
        bad = ~np.isfinite(scores).all(axis=1)
        scores[bad] = 0.0
        label = np.argmax(scores, axis=1)
        top = np.take_along_axis(scores, label[:, None], axis=1)
        n_classes = scores.shape[1]
        if net.loss == "softmax_ce":
            # max_c f(x)_c = 1 / Σ_j exp(s_j − s_max): the softmax without forming it.
            p_top = 1.0 / np.exp(scores - top).sum(axis=1)
            confidence = (p_top - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
        else:
            scores[np.arange(len(scores)), label] = -np.inf
            confidence = top[:, 0] - scores.max(axis=1)
    confidence = np.nan_to_num(np.clip(confidence, 0.0, 1.0), nan=0.0, posinf=1.0)
    confidence[bad] = 0.0
    return label, confidence


def snapshot_epochs(epochs: int, count: int) -> np.ndarray:
    """``count`` distinct epochs in [0, epochs], 0 and ``epochs`` included (all of them when
    count > epochs). Spaced quadratically: the boundary moves most early in training."""
    epochs = int(epochs)
    if count <= 1:
        return np.array([epochs])
    count = min(int(count), epochs + 1)
    target = np.rint(epochs * np.linspace(0.0, 1.0, count) ** 2).astype(int)
    chosen = target.copy()
    for i in range(1, count):  # strictly increasing …
        chosen[i] = max(target[i], chosen[i - 1] + 1)
    for i in range(count - 1, -1, -1):  # … and still ending at ``epochs``
        chosen[i] = min(chosen[i], epochs - (count - 1 - i))
    return chosen


@dataclass(frozen=True)
class ModelRun:
    """One trained model: its architecture, curves, final numbers and boundary snapshots.

    params: the final W{k} (n_k, n_{k-1}) and b{k} (n_k,); if training diverged, the last
    finite ones (the engine restores them). Curves (E,) per finished epoch: mean data
    loss (no L2 term) and accuracy on train and test. final_*: ``net.evaluate`` of the
    final parameters. initial_objective, final_objective: what SGD minimises on the
    training set, data loss + l2·Σ_k ‖W(k)‖², before the first step and at the end.
    """

    name: str
    sizes: tuple[int, ...]
    activation: str
    loss: str
    l2: float
    params: dict[str, np.ndarray]
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    final_train_loss: float
    final_train_acc: float
    final_test_loss: float
    final_test_acc: float
    initial_objective: float
    final_objective: float
    stopped_reason: str
    diverged: bool
    regions: Regions

    @property
    def is_linear(self) -> bool:
        return len(self.sizes) == 2

    @property
    def epochs_done(self) -> int:
        return len(self.train_loss)

    @property
    def overshoot(self) -> bool:
        """True when training ended with a higher objective than it started with: the
        steps overshoot (too large a learning rate) instead of descending."""
        return (not self.diverged) and self.final_objective > self.initial_objective

    def network(self) -> MLP:
        """A fresh MLP holding the final parameters (a copy: the run stays unchanged)."""
        net = MLP(self.sizes, activation=self.activation, loss=self.loss)
        net.params = {k: v.copy() for k, v in self.params.items()}
        return net


def train_model(
    config: BoundaryConfig,
    data: Data,
    grid: Grid,
    *,
    hidden: Sequence[int],
    activation: str | None = None,
    l2: float | None = None,
    snapshots: int = SNAPSHOTS,
    name: str = "",
    progress: Progress | None = None,
    progress_span: tuple[float, float] = (0.0, 1.0),
) -> ModelRun:
    """Train the network [2, *hidden, C] on ``data`` with the config's SGD settings.

    ``activation`` and ``l2`` default to the config's. The grid decisions are recorded at
    ``snapshots`` epochs (see snapshot_epochs) and always at the final state, also when
    training stops early because it diverged. ``progress(fraction, text)`` is called a
    few dozen times at most, with fractions inside ``progress_span``.
    """
    activation = config.activation if activation is None else activation
    l2 = config.l2 if l2 is None else float(l2)
    sizes = (2, *(int(h) for h in hidden), data.n_classes)
    net = MLP(sizes, activation=activation, loss=config.loss, seed=config.seed)
    name = name or ("linear classifier" if len(sizes) == 2 else "MLP")
    points = grid.points
    ny, nx = grid.shape
    wanted = set(snapshot_epochs(config.epochs, snapshots).tolist())
    taken: list[tuple[int, np.ndarray, np.ndarray, float, float]] = []

    def take(epoch: int, model: MLP, accuracies: tuple[float, float] | None = None) -> None:
        label, confidence = decide(model, points)
        if accuracies is None:
            accuracies = (
                model.evaluate(data.X_train, data.y_train)[1],
                model.evaluate(data.X_test, data.y_test)[1],
            )
        train_acc, test_acc = accuracies
        taken.append(
            (epoch, label.reshape(ny, nx), confidence.reshape(ny, nx), train_acc, test_acc)
        )

    start, span = progress_span
    ticks = 40  # progress updates per model, at most
    last_tick = [-1]

    def callback(epoch: int, model: MLP, history: History) -> None:
        if epoch in wanted:  # fit has just evaluated this epoch: reuse its accuracies
            take(epoch, model, (history.train_acc[-1], history.test_acc[-1]))
        if progress is not None:
            tick = epoch * ticks // config.epochs
            if tick != last_tick[0]:
                last_tick[0] = tick
                progress(
                    start + span * epoch / config.epochs,
                    f"Training the {name}: epoch {epoch} of {config.epochs}",
                )

    initial_objective = _objective(net, data, l2)
    if 0 in wanted:
        take(0, net)
    history = fit(
        net,
        data.X_train,
        data.y_train,
        epochs=config.epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        l2=l2,
        momentum=config.momentum,
        seed=config.seed,
        X_test=data.X_test,
        y_test=data.y_test,
        callback=callback,
    )
    if not taken or taken[-1][0] != history.epochs:
        # Diverged (parameters restored to the last finite state) or not asked for.
        taken = [t for t in taken if t[0] < history.epochs]
        take(history.epochs, net)
    final_train_loss, final_train_acc = net.evaluate(data.X_train, data.y_train)
    final_test_loss, final_test_acc = net.evaluate(data.X_test, data.y_test)
    regions = Regions(
        epochs=np.array([t[0] for t in taken]),
        label=np.stack([t[1] for t in taken]),
        confidence=np.stack([t[2] for t in taken]),
        train_acc=np.array([t[3] for t in taken]),
        test_acc=np.array([t[4] for t in taken]),
    )
    return ModelRun(
        name=name,
        sizes=sizes,
        activation=activation,
        loss=config.loss,
        l2=l2,
        params={k: v.copy() for k, v in net.params.items()},
        train_loss=np.array(history.train_loss),
        train_acc=np.array(history.train_acc),
        test_loss=np.array(history.test_loss),
        test_acc=np.array(history.test_acc),
        final_train_loss=final_train_loss,
        final_train_acc=final_train_acc,
        final_test_loss=final_test_loss,
        final_test_acc=final_test_acc,
        initial_objective=initial_objective,
        final_objective=_objective(net, data, l2),
        stopped_reason=history.stopped_reason,
        diverged=history.diverged,
        regions=regions,
    )


def _objective(net: MLP, data: Data, l2: float) -> float:
    """Training data loss + l2·Σ_k ‖W(k)‖² (biases are not penalised)."""
    penalty = sum(float(np.vdot(v, v)) for k, v in net.params.items() if k.startswith("W"))
    return net.evaluate(data.X_train, data.y_train)[0] + l2 * penalty


@dataclass(frozen=True)
class Comparison:
    """The linear classifier and the MLP, trained on the same data with the same settings."""

    config: BoundaryConfig
    data: Data
    grid: Grid
    linear: ModelRun
    mlp: ModelRun


def compare(
    config: BoundaryConfig,
    *,
    snapshots: int = SNAPSHOTS,
    resolution: int = RESOLUTION,
    progress: Progress | None = None,
) -> Comparison:
    """Train the linear classifier [2, C] and the MLP [2, n_1 … n_L, C] on the config's data.

    Both start from the config's seed and see the mini-batches in the same order.
    Raises ValueError when the config is over the SGD step budget (``too_expensive``).
    """
    if reason := config.too_expensive():
        raise ValueError(reason)
    data = make_data(config)
    grid = make_grid(data.X_all, resolution)
    # The linear model costs about a third of the MLP per step.
    linear = train_model(
        config,
        data,
        grid,
        hidden=(),
        snapshots=snapshots,
        progress=progress,
        progress_span=(0.0, 0.3),
    )
    mlp = train_model(
        config,
        data,
        grid,
        hidden=config.hidden,
        snapshots=snapshots,
        progress=progress,
        progress_span=(0.3, 0.7),
    )
    return Comparison(config, data, grid, linear, mlp)


# --- hidden space --------------------------------------------------------------------
@dataclass(frozen=True)
class HiddenSpace:
    """The data as the MLP's last hidden layer h(L) represents it, in two coordinates.

    method: "direct" (h(L) has 2 units: the coordinates are h(L) itself), "pca" (the
    first two principal components of h(L) over all points) or "one unit" (h(L) is 1-D:
    the second coordinate is a fixed jitter with no meaning). train/test (N, 2).
    explained (2,): fraction of the variance of h(L) along each coordinate (1, 0 for one
    unit). axis_titles: what each coordinate is, in the notation.
    """

    method: str
    units: int
    layer: int
    train: np.ndarray
    test: np.ndarray
    explained: np.ndarray
    axis_titles: tuple[str, str]
    output_train_acc: float


def pca_2d(H: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project H (N, d), d ≥ 2, on its first two principal components.

    Returns (coordinates (N, 2), components (2, d) unit rows, explained variance ratio
    (2,)). Each component's sign makes its largest loading positive, so the picture does
    not flip between runs. A constant H gives zeros.
    """
    mean = H.mean(axis=0)
    centred = H - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2].copy()
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    total = float(np.sum(s**2))
    explained = (s[:2] ** 2 / total) if total > 0 else np.zeros(2)
    return centred @ components.T, components, explained


def hidden_space(run: ModelRun, data: Data) -> HiddenSpace:
    """h(L) of the MLP for the train and test points, in 2-D (see HiddenSpace)."""
    if run.is_linear:
        raise ValueError("a linear classifier has no hidden layer")
    net = run.network()
    layer = len(run.sizes) - 2
    H_train, H_test = net.hidden(data.X_train), net.hidden(data.X_test)
    units = H_train.shape[1]
    if units == 2:
        method, train, test = "direct", H_train, H_test
        explained = _variance_share(np.concatenate([H_train, H_test]))
        titles = (f"h({layer}) unit 1", f"h({layer}) unit 2")
    elif units == 1:
        rng = np.random.default_rng(0)
        method = "one unit"
        train = np.column_stack([H_train[:, 0], rng.uniform(-0.5, 0.5, len(H_train))])
        test = np.column_stack([H_test[:, 0], rng.uniform(-0.5, 0.5, len(H_test))])
        explained = np.array([1.0, 0.0])
        titles = (f"h({layer}), its only unit", "jitter (no meaning)")
    else:
        method = "pca"
        coords, _, explained = pca_2d(np.concatenate([H_train, H_test]))
        train, test = coords[: len(H_train)], coords[len(H_train) :]
        titles = tuple(f"PC {i + 1} of h({layer}) ({explained[i]:.0%} of var.)" for i in range(2))
    return HiddenSpace(method, units, layer, train, test, explained, titles, run.final_train_acc)


def _variance_share(H: np.ndarray) -> np.ndarray:
    var = H.var(axis=0)
    total = float(var.sum())
    return var / total if total > 0 else np.zeros(len(var))


# --- regularization sweep ---------------------------------------------------------------
@dataclass(frozen=True)
class Sweep:
    """The config's MLP trained once per λ (final boundary only), on the same data."""

    config: BoundaryConfig
    data: Data
    grid: Grid
    lambdas: tuple[float, ...]
    runs: tuple[ModelRun, ...]


def regularization_sweep(
    config: BoundaryConfig,
    lambdas: Sequence[float] = REG_LAMBDAS,
    *,
    resolution: int = RESOLUTION,
    progress: Progress | None = None,
) -> Sweep:
    """Train the config's MLP with each L2 strength λ in ``lambdas`` (the config's own l2
    is ignored); everything else, including the initial weights, is the same."""
    if reason := config.too_expensive():
        raise ValueError(reason)
    data = make_data(config)
    grid = make_grid(data.X_all, resolution)
    runs = []
    for i, lam in enumerate(lambdas):
        runs.append(
            train_model(
                config,
                data,
                grid,
                hidden=config.hidden,
                l2=lam,
                snapshots=1,
                name=f"MLP with λ = {lam:g}",
                progress=progress,
                progress_span=(i / len(lambdas), 1 / len(lambdas)),
            )
        )
    return Sweep(config, data, grid, tuple(float(x) for x in lambdas), tuple(runs))


# --- linear collapse --------------------------------------------------------------------
def collapse_linear_map(params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of the single linear map a network with identity activations computes.

    With g(a) = a every layer is affine, so a(L+1) = W(L+1) ⋯ W(1) x + b with
    W = W(L+1) ⋯ W(2) W(1) (C, D) and b = b(L+1) + W(L+1) b(L) + … + W(L+1) ⋯ W(2) b(1).
    """
    n_layers = len(params) // 2
    W, b = params["W1"], params["b1"]
    for k in range(2, n_layers + 1):
        W = params[f"W{k}"] @ W
        b = params[f"W{k}"] @ b + params[f"b{k}"]
    return W, b


@dataclass(frozen=True)
class Collapse:
    """The config's MLP trained with identity activations, and the one linear map it is.

    W (C, 2), b (C,): the collapsed map a = W x + b (see collapse_linear_map).
    factors: the shapes of W(L+1), …, W(1) that multiply into W.
    max_difference: max |network scores − (W x + b)| over all data points (round-off).
    """

    config: BoundaryConfig
    data: Data
    grid: Grid
    run: ModelRun
    W: np.ndarray
    b: np.ndarray
    factors: tuple[tuple[int, int], ...]
    max_difference: float


def linear_collapse(
    config: BoundaryConfig,
    *,
    resolution: int = RESOLUTION,
    progress: Progress | None = None,
) -> Collapse:
    """Train the config's MLP with g = identity in every hidden layer, then collapse it."""
    if reason := config.too_expensive():
        raise ValueError(reason)
    data = make_data(config)
    grid = make_grid(data.X_all, resolution)
    run = train_model(
        config,
        data,
        grid,
        hidden=config.hidden,
        activation="identity",
        snapshots=1,
        name="MLP with identity activations",
        progress=progress,
    )
    W, b = collapse_linear_map(run.params)
    X = data.X_all
    with np.errstate(over="ignore", invalid="ignore"):
        difference = np.abs(run.network().scores(X) - (X @ W.T + b))
    max_difference = float(np.max(difference)) if np.isfinite(difference).all() else math.inf
    n_layers = len(run.sizes) - 1
    factors = tuple(run.params[f"W{k}"].shape for k in range(n_layers, 0, -1))
    return Collapse(config, data, grid, run, W, b, factors, max_difference)


def two_class_line(W: np.ndarray, b: np.ndarray, grid: Grid) -> np.ndarray | None:
    """End points (2, 2) of the boundary a_1 = a_0 of a linear map a = W x + b (W (2, 2)),
    i.e. (W_1 − W_0)·x + (b_1 − b_0) = 0, across the grid's box; None when W has more
    than two rows or the two templates are equal (no boundary)."""
    if W.shape[0] != 2:
        return None
    w = W[1] - W[0]
    c = float(b[1] - b[0])
    if not np.isfinite(w).all() or not math.isfinite(c) or np.abs(w).max() == 0:
        return None
    if abs(w[1]) >= abs(w[0]):  # solve for x2 at both ends of the x1 range
        x1 = np.array([grid.x1[0], grid.x1[-1]])
        return np.column_stack([x1, -(w[0] * x1 + c) / w[1]])
    x2 = np.array([grid.x2[0], grid.x2[-1]])
    return np.column_stack([-(w[1] * x2 + c) / w[0], x2])
