"""Summaries of a trace: the per-layer gradient sizes that make vanishing gradients visible."""

from __future__ import annotations

import numpy as np

from .notation import Step


def gradient_norms(steps: list[Step]) -> dict[str, list[float]]:
    """Frobenius norms per layer k = 1 … L+1: {"layer", "‖∇W(k)‖", "‖∇a(k)‖"}."""
    written = {name: arr for s in steps for name, arr in s.writes.items()}
    layers = sorted(int(n[3:-1]) for n in written if n.startswith("∇W("))
    return {
        "layer": layers,
        "‖∇W(k)‖": [float(np.linalg.norm(written[f"∇W({k})"])) for k in layers],
        "‖∇a(k)‖": [float(np.linalg.norm(written[f"∇a({k})"])) for k in layers],
    }
