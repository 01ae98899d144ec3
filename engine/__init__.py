"""Backprop Explorer's engine: pure numpy, float64, no plotting and no UI.

>>> from engine import MLP, make_dataset, fit
>>> X, y = make_dataset("moons", n=200, noise=0.1, seed=0)
>>> net = MLP([2, 4, 3, 2], activation="tanh", seed=0)
>>> steps = net.trace(X[:1], y[:1])      # forward, loss, backward: one Step each
>>> history = fit(net, X, y, epochs=50, lr=0.1)
"""

from .activations import ACTIVATION_LABELS, ACTIVATIONS, Activation, get_activation
from .datasets import DATASETS, MULTICLASS, make_dataset, minibatch, train_test_split
from .gradcheck import numerical_gradient, relative_error
from .losses import LOSSES, hinge, log_softmax, softmax, softmax_ce
from .mlp import INITS, MLP, init_params
from .notation import Step, fill, is_parameter, symbol
from .summary import gradient_norms
from .train import History, fit, sgd_step

__all__ = [
    "ACTIVATION_LABELS",
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "DATASETS",
    "MULTICLASS",
    "make_dataset",
    "minibatch",
    "train_test_split",
    "numerical_gradient",
    "relative_error",
    "LOSSES",
    "hinge",
    "log_softmax",
    "softmax",
    "softmax_ce",
    "INITS",
    "MLP",
    "init_params",
    "Step",
    "fill",
    "is_parameter",
    "symbol",
    "gradient_norms",
    "History",
    "fit",
    "sgd_step",
]
