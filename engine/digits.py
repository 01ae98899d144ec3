"""The math behind the digits page: real handwritten digits, a linear softmax classifier and
an MLP trained on them with the engine's own MLP and mini-batch SGD, and what each learned.

Data: scikit-learn's bundled 8 × 8 digits (1,797 images, the test set of the UCI handwritten
digits, written by 13 people), read from the file its loader
``sklearn.datasets.load_digits`` reads, without importing scikit-learn (that import costs
each process ~150 MB and 1 s; a server has three that train digits); the images ship inside
the package, so nothing is downloaded. Each pixel counts the inked dots in a 4 × 4 block of
a 32 × 32 scan, an ink level 0 … 16; the engine divides by 16, so an input x_j lies in
[0, 1] (0 = blank paper, 1 = full ink). Why not standardise each pixel (subtract its training
mean, divide by its spread): on this split it trained worse (mean test accuracy over seeds
0–9 with the default SGD settings and the better of two learning rates: 0.962 linear and
0.967 MLP, against 0.969 and 0.978 for ink / 16), and keeping x = ink makes W(1) readable as
images: digit c's score is b_c + Σ_j W_cj x_j, so a red pixel of template c is ink that
votes for c and a blue one ink that votes against it. A drawn digit then needs no
training-set statistics either.

Split: fixed, not a user setting. 45 images of every digit (450) are held out as the test
set and the other 1,347 train; the choice is seeded (SPLIT_SEED), so every session, link
and benchmark sees the same test images. The split is by image, not by writer: the test
images come from the same 13 people, so the accuracy is that of familiar handwriting.

Labels: y is the digit itself, 0 … 9, and output unit c of f(x) votes for digit c. This is
the one place where the app does not count classes from 1: a page says "digit 3" (axes
"true digit" / "predicted digit" with ticks 0 … 9), never "class 4". Test images are
people-facing positions and are counted from 1 (``pick_test_image(1)`` is the first).

Shapes: X (N, 64) float64 in [0, 1], row-major 8 × 8 (pixel j is row j // 8, column
j % 8 of the image); y (N,) int64 in 0 … 9; an image as a person sees it (8, 8).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .bounds import check_fields
from .mlp import MLP
from .notation import Step
from .train import History, fit

SIDE = 8  # pixels along each side of an image
PIXELS = SIDE * SIDE  # D = 64 inputs
DIGITS = 10  # C = 10 outputs, one per digit 0 … 9
INK_MAX = 16  # the data set's pixels are ink levels 0 … 16
N_IMAGES = 1797  # in scikit-learn's digits
TEST_PER_DIGIT = 45
N_TEST = DIGITS * TEST_PER_DIGIT  # 450
N_TRAIN = N_IMAGES - N_TEST  # 1,347
SPLIT_SEED = 0
SCALING_TEXT = (
    "Each of the 8 × 8 pixels counts the inked dots in a 4 × 4 block of a 32 × 32 scan (0 to "
    "16); dividing by 16 gives the inputs x_j in [0, 1] (0 = blank paper, 1 = full ink)."
)
SPLIT_TEXT = (
    "1,797 images of handwritten digits (8 × 8 pixels, scikit-learn's digits): 45 of each "
    "digit, 450 in all, are held out as the test set; the models train on the other 1,347."
)

# What a user may pick: (low, high). The page builds its widgets from these, so the widgets
# and the checks cannot disagree. Both models share the SGD settings.
LIMITS: dict[str, tuple[float, float]] = {
    "hidden_layers": (1, 3),
    "width": (1, 128),
    "epochs": (1, 200),
    "batch_size": (1, 256),
    "lr": (1e-4, 10.0),
    "momentum": (0.0, 0.99),
    "l2": (0.0, 1.0),
    "seed": (0, 10_000),
}
INTEGER_FIELDS = ("hidden_layers", "width", "epochs", "batch_size", "seed")
CHOICES: dict[str, tuple[str, ...]] = {"activation": tuple(ACTIVATIONS)}

# The cost model behind ``too_expensive``, in CPU seconds, with one BLAS thread (the app's
# setting, see ui/__init__.py): for each epoch and weight layer (the evaluation of the
# training and test sets, the shuffle, the copies), for each SGD step and weight layer (numpy
# calls), for each step and weight (the update touches every weight), and per multiply-add
# of the forward and backward passes. Fitted by least squares on 36 trainings (1–3 hidden
# layers of 8–128 units, batches of 1–256) on this project's machine (2 shared cores) under
# load, then raised by a quarter to a half: no measured training took longer than its estimate.
# bench/digits.py checks it against the clock.
SECONDS_PER_EPOCH_LAYER = 220e-6
SECONDS_PER_STEP_LAYER = 15e-6
SECONDS_PER_STEP_WEIGHT = 2e-9
SECONDS_PER_MADD = 0.09e-9
MAX_SECONDS = 2.0  # per model and training: one session cannot tie up a shared server
TOP = 3  # probabilities listed for each misclassified image

Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)


# --- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DigitsData:
    """The digits, split once. Arrays are read-only: they are shared by every session.

    X_train (1347, 64), X_test (450, 64): float64 in [0, 1]. y_train (1347,), y_test
    (450,): int64 digits 0 … 9. source_train, source_test: each image's index in
    ``load_digits()`` (0 … 1796), so any image can be traced back to the original data.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source_train: np.ndarray
    source_test: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def split_indices(y: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices), both ascending: ``per_class`` examples of every class
    drawn under ``seed`` go to the test set, the rest to the training set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) <= per_class:
            raise ValueError(f"class {c} has {len(members)} examples; {per_class} are held out")
        test[rng.choice(members, size=per_class, replace=False)] = True
    return np.flatnonzero(~test), np.flatnonzero(test)


def digits_file() -> Path:
    """scikit-learn's copy of the digits, found without importing scikit-learn."""
    package = importlib.util.find_spec("sklearn").submodule_search_locations[0]
    return Path(package) / "datasets" / "data" / "digits.csv.gz"


@lru_cache(maxsize=1)
def load_digits_data() -> DigitsData:
    """The 8 × 8 digits, scaled to [0, 1] and split (see the module docstring).

    Loaded once per process (~0.06 s) and shared: every array is read-only, so no caller
    can change what another sees; copy to modify.
    """
    table = np.loadtxt(digits_file(), delimiter=",")  # a row: 64 ink levels, the digit
    X = table[:, :PIXELS] / INK_MAX
    y = table[:, PIXELS].astype(np.int64)
    train, test = split_indices(y, TEST_PER_DIGIT, SPLIT_SEED)
    return DigitsData(*(_read_only(a) for a in (X[train], y[train], X[test], y[test], train, test)))


def pick_test_image(number: int) -> tuple[np.ndarray, int]:
    """Test image ``number`` (counted from 1, as a page and a link show it): (x (64,) float64
    in [0, 1], a fresh copy; its digit). Raises ValueError with a sentence when out of range."""
    data = load_digits_data()
    if isinstance(number, bool) or not isinstance(number, int | np.integer | float):
        raise ValueError(f"the test image must be a whole number, got {number!r}")
    if not (math.isfinite(number) and float(number).is_integer() and 1 <= number <= data.n_test):
        raise ValueError(f"the test image must be a whole number from 1 to {data.n_test}")
    i = int(number) - 1
    return data.X_test[i].copy(), int(data.y_test[i])


class DrawingError(ValueError):
    """One clear sentence about what is wrong with a drawn digit."""


def check_drawing(grid) -> np.ndarray:
    """A drawn digit → x (64,) float64 in [0, 1], ready for the networks.

    ``grid``: 8 rows of 8 numbers (nested lists, an (8, 8) array or an 8 × 8 DataFrame),
    each an ink level from 0 (blank paper) to 16 (full ink), the data set's own scale;
    fractions such as 7.5 are fine. The result is grid / 16, row by row. Raises
    DrawingError naming the first bad row or cell, counted from 1.
    """
    if hasattr(grid, "to_numpy"):  # a DataFrame from a table widget: its rows, not labels
        grid = grid.to_numpy()
    if isinstance(grid, np.ndarray):
        if grid.shape != (SIDE, SIDE):
            raise DrawingError(
                f"a drawing must be {SIDE} rows of {SIDE} cells; this one has shape {grid.shape}"
            )
        grid = grid.tolist()
    if isinstance(grid, str | bytes) or not isinstance(grid, Sequence):
        raise DrawingError(f"a drawing must be {SIDE} rows of {SIDE} numbers")
    if len(grid) != SIDE:
        raise DrawingError(f"a drawing must have {SIDE} rows; this one has {len(grid)}")
    values = np.empty((SIDE, SIDE))
    for r, row in enumerate(grid, start=1):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray):
            raise DrawingError(f"row {r} must be a list of {SIDE} numbers")
        if len(row) != SIDE:
            raise DrawingError(f"row {r} has {len(row)} cells; every row needs {SIDE}")
        for c, cell in enumerate(row, start=1):
            values[r - 1, c - 1] = _ink(cell, r, c)
    return values.ravel() / INK_MAX


def _ink(cell, row: int, col: int) -> float:
    """One cell's ink level, or DrawingError saying what is wrong with it."""
    where = f"row {row}, column {col}"
    if cell is None or (isinstance(cell, float | np.floating) and math.isnan(cell)):
        raise DrawingError(f"{where} is empty; write 0 for blank paper")
    if isinstance(cell, bool | np.bool_) or not isinstance(cell, int | float | np.number | str):
        raise DrawingError(f"{where}: {cell!r} is not a number")
    try:
        value = float(cell.strip().replace("−", "-")) if isinstance(cell, str) else float(cell)
    except ValueError:
        raise DrawingError(f"{where}: '{cell.strip()[:20]}' is not a number") from None
    if not math.isfinite(value):
        raise DrawingError(f"{where}: {value} is not a finite number")
    if not 0.0 <= value <= INK_MAX:
        raise DrawingError(
            f"{where}: {value:g} is outside the ink scale, 0 (blank) to {INK_MAX} (full ink)"
        )
    return value


# --- configuration ----------------------------------------------------------------------
@dataclass(frozen=True)
class DigitsConfig:
    """Both models' settings: the MLP's hidden layers and the shared SGD settings.

    The linear classifier is [64, 10]; the MLP [64, width × hidden_layers, 10]. Raises
    ValueError with a sentence naming the field when a value lies outside LIMITS or
    CHOICES. The defaults train both models in 0.1–0.5 s here (bench/digits.py) and reach
    test accuracy 0.971 (linear) and 0.984 (MLP) at seed 0; over seeds 0 … 9, at least
    0.956 and 0.971.
    """

    hidden_layers: int = 1
    width: int = 32
    activation: str = "tanh"
    epochs: int = 30
    batch_size: int = 32
    lr: float = 0.1
    momentum: float = 0.9
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_fields(self, LIMITS, CHOICES, INTEGER_FIELDS)

    @property
    def hidden(self) -> tuple[int, ...]:
        """Widths of the MLP's hidden layers n_1 … n_L."""
        return (self.width,) * self.hidden_layers

    @property
    def mlp_sizes(self) -> tuple[int, ...]:
        return (PIXELS, *self.hidden, DIGITS)

    @property
    def linear_sizes(self) -> tuple[int, ...]:
        return (PIXELS, DIGITS)

    def estimated_seconds(self, sizes: Sequence[int]) -> float:
        """CPU seconds one training of the network ``sizes`` should take here, from the
        cost model above: its epochs, SGD steps, weights and multiply-adds (3 per weight
        and training example for the forward and backward pass, 1 per weight and image for
        each epoch's evaluation of the training and test sets)."""
        layers = len(sizes) - 1
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        steps = self.epochs * math.ceil(N_TRAIN / self.batch_size)
        madds = self.epochs * weights * (3 * N_TRAIN + N_IMAGES)
        return (
            SECONDS_PER_EPOCH_LAYER * self.epochs * layers
            + steps * (SECONDS_PER_STEP_LAYER * layers + SECONDS_PER_STEP_WEIGHT * weights)
            + SECONDS_PER_MADD * madds
        )

    def too_expensive(self) -> str:
        """'' when each training fits the CPU budget, else a sentence saying what to change."""
        seconds = max(
            self.estimated_seconds(self.mlp_sizes), self.estimated_seconds(self.linear_sizes)
        )
        if seconds <= MAX_SECONDS:
            return ""
        return (
            f"These settings would take about {seconds:.1f} s of computing per model; "
            f"the limit is {MAX_SECONDS:g} s so one session cannot tie up a shared server. "
            "Lower the epochs, the width or the number of hidden layers, or raise the batch size."
        )


# --- results ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Mistake:
    """One test image a model gets wrong.

    number: its position in the test set, counted from 1 (what ``pick_test_image`` takes).
    image (8, 8) float64 in [0, 1]. true_digit, predicted: digits 0 … 9. top: the TOP
    most probable digits as ((digit, f(x)_digit), …), largest first, so top[0] is
    (predicted, its probability). true_probability: f(x) of the true digit.
    """

    number: int
    image: np.ndarray
    true_digit: int
    predicted: int
    top: tuple[tuple[int, float], ...]
    true_probability: float

    @property
    def probability(self) -> float:
        """f(x) of the predicted digit."""
        return self.top[0][1]


@dataclass(frozen=True)
class DigitsRun:
    """One trained model and everything a page shows about it, as plain data.

    sizes: (64, 10) for the linear classifier, (64, n_1, …, 10) for the MLP. params: the
    final W{k} (n_k, n_{k-1}) and b{k} (n_k,) (if training diverged, the last finite ones).
    Curves (E,) per finished epoch: mean data loss (no L2 term) and accuracy, train and
    test. probabilities (450, 10): f(x) of every test image; predicted (450,) its argmax.
    confusion (10, 10) int64: row = true digit, column = predicted digit, so row d sums
    to the number of test images of digit d. mistakes: every misclassified test image,
    the most confidently wrong first.
    """

    name: str
    sizes: tuple[int, ...]
    activation: str
    l2: float
    params: dict[str, np.ndarray]
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    train_accuracy: float
    test_accuracy: float
    probabilities: np.ndarray
    predicted: np.ndarray
    confusion: np.ndarray
    mistakes: tuple[Mistake, ...]
    stopped_reason: str
    diverged: bool

    @property
    def is_linear(self) -> bool:
        return len(self.sizes) == 2

    @property
    def epochs_done(self) -> int:
        return len(self.train_loss)

    @property
    def W1_images(self) -> np.ndarray:
        """The rows of W(1) as images, (n_1, 8, 8): the linear classifier's 10 templates
        (row c scores digit c) or the MLP's first-layer features (row i feeds unit i of
        a(1)). Pixel (r, c) of image i is the weight on input pixel 8r + c."""
        W1 = self.params["W1"]
        return W1.reshape(W1.shape[0], SIDE, SIDE).copy()

    def network(self) -> MLP:
        """A fresh MLP holding the final parameters (a copy: the run stays unchanged)."""
        net = MLP(self.sizes, activation=self.activation)
        net.params = {k: v.copy() for k, v in self.params.items()}
        return net


@dataclass(frozen=True)
class DigitsComparison:
    """The linear classifier and the MLP, trained on the same split with the same settings."""

    config: DigitsConfig
    linear: DigitsRun
    mlp: DigitsRun


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = DIGITS):
    """(n_classes, n_classes) int64 counts: entry [t, p] = examples of class t predicted p."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def find_mistakes(
    probabilities: np.ndarray, y: np.ndarray, X: np.ndarray, top: int = TOP
) -> tuple[Mistake, ...]:
    """The misclassified rows of probabilities (N, C) against labels y (N,), images X (N,
    64): one Mistake each (numbers counted from 1), the highest wrong probability first
    (ties: lower number first)."""
    predicted = np.argmax(probabilities, axis=1)
    wrong = np.flatnonzero(predicted != y)
    p_wrong = probabilities[wrong, predicted[wrong]]
    order = wrong[np.lexsort((wrong, -p_wrong))]
    out = []
    for i in order:
        ranked = np.argsort(-probabilities[i], kind="stable")[:top]
        out.append(
            Mistake(
                number=int(i) + 1,
                image=X[i].reshape(SIDE, SIDE).copy(),
                true_digit=int(y[i]),
                predicted=int(predicted[i]),
                top=tuple((int(d), float(probabilities[i, d])) for d in ranked),
                true_probability=float(probabilities[i, y[i]]),
            )
        )
    return tuple(out)


# --- training -----------------------------------------------------------------------------
def train_digits_model(
    config: DigitsConfig,
    *,
    hidden: Sequence[int],
    name: str = "",
    progress: Progress | None = None,
    progress_span: tuple[float, float] = (0.0, 1.0),
) -> DigitsRun:
    """Train the network [64, *hidden, 10] on the training images with the config's SGD.

    An MLP starts from Xavier-uniform weights under the config's seed. The linear
    classifier (``hidden=()``) starts from zeros: its loss is convex, so the start does not
    change where it ends up, and a pixel that is blank in every training image then keeps
    weight exactly 0, so a template shows only what the data taught. The mini-batches come
    in the same order for both. ``progress(fraction, text)`` is called at most ~40 times,
    with fractions inside ``progress_span`` = (start, length).
    """
    data = load_digits_data()
    sizes = (PIXELS, *(int(h) for h in hidden), DIGITS)
    linear = len(sizes) == 2
    net = MLP(
        sizes, activation=config.activation, init="zeros" if linear else "xavier", seed=config.seed
    )
    name = name or ("linear classifier" if linear else "MLP")
    start, span = progress_span
    ticks = 40
    last_tick = [-1]

    def callback(epoch: int, model: MLP, history: History) -> None:
        tick = epoch * ticks // config.epochs
        if progress is not None and tick != last_tick[0]:
            last_tick[0] = tick
            progress(
                start + span * epoch / config.epochs,
                f"Training the {name}: epoch {epoch} of {config.epochs}",
            )

    history = fit(
        net,
        data.X_train,
        data.y_train,
        epochs=config.epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        l2=config.l2,
        momentum=config.momentum,
        seed=config.seed,
        X_test=data.X_test,
        y_test=data.y_test,
        callback=callback,
    )
    probabilities = net.forward(data.X_test)
    predicted = np.argmax(probabilities, axis=1)
    return DigitsRun(
        name=name,
        sizes=sizes,
        activation=config.activation,
        l2=config.l2,
        params={k: v.copy() for k, v in net.params.items()},
        train_loss=np.array(history.train_loss),
        train_acc=np.array(history.train_acc),
        test_loss=np.array(history.test_loss),
        test_acc=np.array(history.test_acc),
        train_accuracy=net.evaluate(data.X_train, data.y_train)[1],
        test_accuracy=float(np.mean(predicted == data.y_test)),
        probabilities=probabilities,
        predicted=predicted,
        confusion=confusion_matrix(data.y_test, predicted),
        mistakes=find_mistakes(probabilities, data.y_test, data.X_test),
        stopped_reason=history.stopped_reason,
        diverged=history.diverged,
    )


def train_digits(config: DigitsConfig, *, progress: Progress | None = None) -> DigitsComparison:
    """Train the linear classifier [64, 10] and the MLP [64, n_1 … n_L, 10] on the digits.

    Raises ValueError when the config is over the CPU budget (``too_expensive``).
    """
    if reason := config.too_expensive():
        raise ValueError(reason)
    # Split the progress bar by each model's expected cost.
    cost_linear = config.estimated_seconds(config.linear_sizes)
    share = cost_linear / (cost_linear + config.estimated_seconds(config.mlp_sizes))
    linear = train_digits_model(config, hidden=(), progress=progress, progress_span=(0.0, share))
    mlp = train_digits_model(
        config, hidden=config.hidden, progress=progress, progress_span=(share, 1.0 - share)
    )
    if progress is not None:
        progress(1.0, "Training done")
    return DigitsComparison(config, linear, mlp)


def _check_image(image) -> np.ndarray:
    """An image (64,) or (8, 8) with pixels in [0, 1] → a fresh (1, 64) float64 row."""
    x = np.array(image, dtype=np.float64)
    if x.shape not in ((PIXELS,), (SIDE, SIDE)):
        raise ValueError(f"an image must have shape (64,) or (8, 8), got {x.shape}")
    if not np.isfinite(x).all() or x.min() < 0.0 or x.max() > 1.0:
        raise ValueError("an image's pixels must be finite and lie in [0, 1]")
    return x.reshape(1, PIXELS)


def image_probabilities(run: DigitsRun, image) -> np.ndarray:
    """f(x) (10,) of ``run``'s network for one image (64,) or (8, 8) in [0, 1]: entry d is
    the probability of digit d. For a drawing, before anyone says which digit it is."""
    return run.network().forward(_check_image(image))[0]


def image_trace(run: DigitsRun, image, digit: int) -> list[Step]:
    """The forward and backward pass of one image through ``run``'s network, as Build &
    Step shows it (``MLP.trace`` with the run's L2 strength, so the gradients are those
    training used). ``image``: (64,) or (8, 8) in [0, 1], e.g. from ``pick_test_image`` or
    ``check_drawing``; ``digit``: its label 0 … 9 (for a drawing, the digit meant).
    h(0) in the trace is the image as a (1, 64) row."""
    x = _check_image(image)
    if (
        isinstance(digit, bool)
        or not isinstance(digit, int | np.integer | float)
        or not float(digit).is_integer()
        or not 0 <= digit < DIGITS
    ):
        raise ValueError(f"the digit must be a whole number from 0 to 9, got {digit!r}")
    return run.network().trace(x, np.array([int(digit)]), l2=run.l2)
