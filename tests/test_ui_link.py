"""The shared page helpers: link value checks, label display, the BLAS thread limit."""

from threadpoolctl import threadpool_info

import ui
from engine import LOSSES
from ui.link import flag, number_in, one_of, shown_as


def test_link_checks_accept_exactly_the_allowed_values():
    assert one_of(["a", "b"]).check("b") and not one_of(["a", "b"]).check("c")
    whole = number_in(1, 4, integer=True)
    assert whole.check("4") and whole.check("2.0")
    assert not any(whole.check(v) for v in ("0", "5", "2.5", "nan", "inf", "x", ""))
    real = number_in(0.0, 1.0)
    assert real.check("0.25") and not real.check("1.5") and not real.check("nan")
    assert flag().check("true") and flag().check("False") and not flag().check("yes")
    assert "whole number from 1 to 4" in whole.words


def test_choice_widgets_show_the_labels_that_links_carry():
    show = shown_as(LOSSES)
    assert show("hinge") == LOSSES["hinge"]
    assert one_of(LOSSES.values()).check(show("softmax_ce"))


def test_importing_ui_runs_blas_on_one_thread():
    assert ui.__name__ == "ui"
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)
