"""One or two plain sentences on what a step does and why."""

from __future__ import annotations

from engine import Step

_ACTIVATION_FORWARD = {
    "identity": "The identity passes a(k) through unchanged: without a non-linearity, "
    "stacked layers collapse into a single linear map.",
    "sigmoid": "The sigmoid squashes each pre-activation into (0, 1), one unit at a time.",
    "tanh": "tanh squashes each pre-activation into (−1, 1), one unit at a time; it is "
    "zero-centred, unlike the sigmoid.",
    "relu": "ReLU keeps positive pre-activations and sets negative ones to 0.",
    "leaky_relu": "Leaky ReLU keeps positive pre-activations and scales negative ones by "
    "0.1, so no unit is ever completely silent.",
    "elu": "ELU keeps positive pre-activations and bends negative ones smoothly towards −1.",
}

_ACTIVATION_BACKWARD = {
    "identity": "The slope of the identity is 1: the gradient passes through unchanged.",
    "sigmoid": "Multiply by the local slope g(1 − g), which is at most 0.25: each sigmoid "
    "layer shrinks the gradient at least fourfold, so in a deep stack it vanishes.",
    "tanh": "Multiply by the local slope 1 − h²: saturated units (h near ±1) pass almost "
    "nothing back.",
    "relu": "ReLU's slope is 1 where a > 0 and 0 elsewhere: the gradient flows through "
    "active units and is blocked at the others (a unit that is never active learns nothing).",
    "leaky_relu": "The slope is 1 where a > 0 and 0.1 elsewhere: some gradient always gets "
    "through.",
    "elu": "The slope is 1 where a > 0 and e^a (= h + 1) elsewhere.",
}


def explain(step: Step, activations: list[str], loss: str, n_examples: int) -> str:
    """Plain words for ``step`` of a network with hidden ``activations`` and ``loss``."""
    k = step.layer
    batch = n_examples > 1
    summed = f" (summed over the {n_examples} examples of the batch)" if batch else ""
    if step.kind == "linear":
        src = "the input x = h(0)" if k == 1 else f"the previous layer's activations h({k - 1})"
        return (
            f"Each unit i of a({k}) is a weighted sum of {src} plus its bias: row i of "
            f"W({k}) holds the weights into unit i."
        )
    if step.kind == "activation":
        return _ACTIVATION_FORWARD[activations[k - 1]]
    if step.kind == "output":
        return (
            "Softmax turns the output pre-activations into probabilities: exponentiate, then "
            "divide by the sum. Subtracting the largest a first changes nothing but keeps "
            "exp from overflowing."
        )
    if step.kind == "loss":
        if loss == "softmax_ce":
            return (
                "Cross-entropy is −log of the probability given to the true class y: near 0 "
                "when the network is confidently right, large when it is confidently wrong."
                + (" The batch loss is the mean over the examples." if batch else "")
            )
        return (
            "The multiclass SVM loss adds, over the wrong classes, how far each score comes "
            "within a margin of 1 of the true class's score; classes already beaten by 1 "
            "cost nothing."
        )
    if step.kind == "grad_output":
        if loss == "softmax_ce":
            return (
                "Softmax with cross-entropy: the gradient at the output pre-activation is "
                "simply p − e(y). The true class is pushed up by 1 − p_y, every other class "
                "down by its probability."
                + (" With a batch, each example's p − e(y) is divided by N." if batch else "")
            )
        return (
            "Each wrong class that violates the margin gets gradient +1; the true class gets "
            "−1 for every such class. Classes outside the margin get 0."
        )
    if step.kind == "grad_W":
        return (
            f"Each weight's gradient is (the gradient at the unit it feeds) × (the activation "
            f"it reads){summed}: a weight reading an activation of 0 gets no gradient."
        )
    if step.kind == "grad_b":
        return (
            f"A bias adds straight into its unit, so its gradient is the unit's gradient{summed}."
        )
    if step.kind == "grad_h":
        return (
            f"Send the gradient back through the same weights: W({k})ᵀ gives each unit of "
            f"h({k - 1}) the sum of the gradients of the units it feeds, weighted by its "
            "connections."
        )
    if step.kind == "grad_a":
        return _ACTIVATION_BACKWARD[activations[k - 1]]
    return ""
