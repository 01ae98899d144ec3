"""Backprop Explorer: entry point.

Run with ``streamlit run app.py``. This file sets up the page and the navigation, and
what the server does as it starts (``lifespan``); each page lives in ``app_pages/`` and is
listed in ``PAGES`` below.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

import streamlit as st
from starlette.middleware import Middleware

from ui import memory, work
from ui.history import one_entry_per_page
from ui.paths import OddPathRedirect

APP_DIR = Path(__file__).resolve().parent


class PageSpec(NamedTuple):
    """One entry of the page registry: a script in app_pages/ and how it is presented."""

    path: str  # relative to APP_DIR, as st.Page expects
    title: str
    icon: str
    blurb: str


# The one registry of pages, in the suggested order of use. Entries whose file does not
# exist (yet) are left out of the navigation and the home page.
PAGES: list[PageSpec] = [
    PageSpec(
        "app_pages/build_and_step.py",
        "Build & Step",
        ":material/account_tree:",
        "Build a small network, then walk the forward pass and the backward pass "
        "one layer at a time.",
    ),
    PageSpec(
        "app_pages/decision_boundary.py",
        "Decision boundary",
        ":material/scatter_plot:",
        "Train a linear classifier and an MLP on 2-D data and compare the regions "
        "each one can carve out.",
    ),
    PageSpec(
        "app_pages/functions.py",
        "Activations & losses",
        ":material/function:",
        "Activations and their derivatives, backprop through an elementwise g, softmax "
        "made stable, and the SVM loss beside the softmax loss.",
    ),
    PageSpec(
        "app_pages/gradient_check.py",
        "Gradient check",
        ":material/fact_check:",
        "Check every analytic gradient against centred differences, choose the step h, "
        "and see what a planted bug looks like.",
    ),
    PageSpec(
        "app_pages/graph.py",
        "Computational graph",
        ":material/schema:",
        "Type a formula and watch its gradients flow back node by node: upstream × local, "
        "and the gate patterns (add distributes, mul swaps, copy adds, max routes).",
    ),
    PageSpec(
        "app_pages/digits.py",
        "Digits",
        ":material/draw:",
        "A linear classifier and an MLP read real handwritten digits: one template per digit "
        "against hidden features, and one digit stepped through the network.",
    ),
]

HOME_TITLE = "Home"
CARDS_PER_ROW = 3
HOME_ICON = ":material/home:"


def available_pages() -> list[PageSpec]:
    """The registry entries whose script exists on disk, in registry order."""
    return [spec for spec in PAGES if (APP_DIR / spec.path).is_file()]


def home() -> None:
    st.title("Backprop Explorer")
    st.markdown(
        "#### See exactly how a neural network computes its output, "
        "and how every gradient flows back."
    )
    st.markdown(
        "- **Build** a small network: its layers, units and activation function.\n"
        "- **Step** through it **one layer at a time**: the forward pass, the loss, "
        "then the backward pass in reverse.\n"
        "- **See** every weight, pre-activation, activation and gradient as a heatmap "
        "beside the equation that produced it, with the real numbers, in the notation "
        "of the course notes.\n"
        "- **Compare** a linear classifier with a multi-layer perceptron on 2-D data, "
        "and where each one draws its decision boundary."
    )

    forward, backward = st.columns(2, gap="large")
    with forward:
        st.markdown("##### Forward pass")
        st.latex(
            r"\begin{aligned}\mathbf{a}^{(k)} &= \mathbf{b}^{(k)} + W^{(k)}\,"
            r"\mathbf{h}^{(k-1)} \\ \mathbf{h}^{(k)} &= g\big(\mathbf{a}^{(k)}\big)\end{aligned}"
        )
    with backward:
        st.markdown("##### Backward pass")
        st.latex(
            r"\begin{aligned}\nabla W^{(k)} &= \nabla \mathbf{a}^{(k)}\,"
            r"{\mathbf{h}^{(k-1)}}^{\top} \\ \nabla \mathbf{h}^{(k-1)} &= {W^{(k)}}^{\top}\,"
            r"\nabla \mathbf{a}^{(k)}\end{aligned}"
        )

    pages = available_pages()
    if pages:
        st.subheader("Suggested path")
        # Three cards a row: six in one row broke their titles on a 1280-pixel projector.
        for start in range(0, len(pages), CARDS_PER_ROW):
            row = list(enumerate(pages, start=1))[start : start + CARDS_PER_ROW]
            for column, (number, spec) in zip(
                st.columns(CARDS_PER_ROW, gap="medium"), row, strict=False
            ):
                with column, st.container(border=True, height="stretch"):
                    st.markdown(f"#### {spec.icon} {number}. {spec.title}")
                    st.markdown(spec.blurb)
                    st.page_link(
                        spec.path,
                        label=f"**Open {spec.title}**",
                        icon=":material/arrow_forward:",
                        width="stretch",
                    )


def main() -> None:
    st.set_page_config(page_title="Backprop Explorer", page_icon="🧠", layout="wide")
    navigation = st.navigation(
        [st.Page(home, title=HOME_TITLE, icon=HOME_ICON, default=True)]
        + [st.Page(spec.path, title=spec.title, icon=spec.icon) for spec in available_pages()]
    )
    one_entry_per_page()
    navigation.run()


@asynccontextmanager
async def lifespan(_app):
    """As the server starts: its memory thread, and the pages' default presets queued for
    the worker processes, so a class's first page opens find them ready. (Imported here:
    their caches are made once the server's runtime exists.) A failure here is logged and
    the server starts anyway: each page then computes its preset when first opened."""
    memory.keep()
    try:
        from engine.boundary import BoundaryConfig
        from engine.digits import DigitsConfig
        from ui.boundary import COMPARE
        from ui.digits import TRAIN

        work.warm((COMPARE, BoundaryConfig()), (TRAIN, DigitsConfig()))
    except Exception:
        logging.getLogger(__name__).exception("the presets were not trained ahead")
    yield


# Streamlit (and AppTest) run this file as __main__; tests import it to read PAGES.
if __name__ == "__main__":
    main()
else:
    # `streamlit run app.py` looks in this file for an st.App and, finding one, imports
    # this module and serves the app through it (same pages, same flags): the App adds
    # the redirect of odd URLs (ui/paths.py) in front of Streamlit's own routes.
    app = st.App(
        __file__,
        lifespan=lifespan,
        middleware=[
            Middleware(
                OddPathRedirect,
                pages=[Path(spec.path).stem for spec in available_pages()],
                base=st.get_option("server.baseUrlPath"),
            )
        ],
    )
