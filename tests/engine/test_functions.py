"""Activations up close, softmax naive and stable, SVM against softmax, typed lists.

Expected values come from the notes (001, 002, 004), from formulas solved by hand, or
from centred differences: never from the functions under test.
"""

import math
import warnings

import numpy as np
import pytest

from engine.activations import get_activation
from engine.elementwise import (
    GALLERY,
    MAX_ELEMENTWISE,
    activation_curve,
    activation_gallery,
    depth_products,
    elementwise_backward,
    saturation_regions,
)
from engine.gradcheck import numerical_gradient, numerical_jacobian, relative_error
from engine.score_losses import score_losses
from engine.stable_softmax import (
    check_softmax_jacobian,
    cross_entropy,
    log_sum_exp,
    naive_softmax,
    softmax_jacobian,
    stable_softmax,
)
from engine.typed import TypedListError, parse_numbers


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- the gallery ------------------------------------------------------------------------
@pytest.mark.parametrize("name", GALLERY)
def test_gallery_derivative_matches_centred_differences(name):
    curve = activation_curve(name, -4.0, 4.0, 161)
    away = np.abs(curve.a) > 1e-3  # off the kink of ReLU and leaky ReLU
    forward = get_activation(name).forward
    # g acts elementwise: its Jacobian is diagonal, with g'(a_i) on the diagonal.
    numeric = np.diag(numerical_jacobian(forward, curve.a[away].copy()))
    assert relative_error(curve.grad[away], numeric) < 1e-9
    np.testing.assert_array_equal(curve.g, forward(curve.a))


def test_gallery_holds_every_activation_in_order_with_the_notes_formulas():
    curves = activation_gallery()
    assert [c.name for c in curves] == [
        "identity",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
    ]
    by_name = {c.name: c for c in curves}
    assert "(1 - g(a))" in by_name["sigmoid"].grad_tex
    assert "1 - g(a)^2" in by_name["tanh"].grad_tex
    # leaky ReLU's slope is the notes' 0.1: g(-2) = -0.2, g'(-2) = 0.1.
    leaky = activation_curve("leaky_relu", -2.0, 2.0, 5)
    assert leaky.g[0] == pytest.approx(-0.2) and leaky.grad[0] == pytest.approx(0.1)


def test_saturation_edges_solved_by_hand():
    # sigmoid: σ(1 − σ) = 0.05 → σ = (1 − √0.8)/2 → a = log(σ / (1 − σ)).
    s = (1 - math.sqrt(0.8)) / 2
    edge = math.log(s / (1 - s))
    regions = saturation_regions("sigmoid", -5, 5, 0.05)
    assert len(regions) == 2
    assert regions[0].start == -5 and regions[0].end == pytest.approx(edge, abs=1e-9)
    assert regions[1].start == pytest.approx(-edge, abs=1e-9) and regions[1].end == 5
    assert not regions[0].zero
    # tanh: 1 − tanh² = 0.05 → a = atanh(√0.95).
    regions = saturation_regions("tanh", -5, 5, 0.05)
    assert [r.end for r in regions][0] == pytest.approx(-math.atanh(math.sqrt(0.95)), abs=1e-9)
    # ELU (α = 1): e^a = 0.05 on the left → a = log 0.05; nothing on the right.
    (elu,) = saturation_regions("elu", -5, 5, 0.05)
    assert elu.start == -5 and elu.end == pytest.approx(math.log(0.05), abs=1e-9)
    # ReLU: exactly zero for every a ≤ 0.
    (relu,) = saturation_regions("relu", -5, 5, 0.05)
    assert (relu.start, relu.end, relu.zero) == (-5, pytest.approx(0.0, abs=1e-12), True)
    # g' = 0.1 and g' = 1 never drop below 0.05.
    assert saturation_regions("leaky_relu") == [] and saturation_regions("identity") == []


def test_depth_view_at_a_fixed_pre_activation_is_a_power():
    k = np.arange(1, 11)
    view = depth_products(a=0.0, depth=10)
    np.testing.assert_array_equal(view.k, k)
    np.testing.assert_allclose(view.product["sigmoid"], 0.25**k, rtol=1e-15)
    np.testing.assert_allclose(view.product["tanh"], np.ones(10))
    np.testing.assert_array_equal(view.product["relu"], np.zeros(10))  # g'(0) = 1(0 > 0) = 0
    at_one = depth_products(["elu"], 3, a=-1.0)
    np.testing.assert_allclose(at_one.product["elu"], np.exp(-1.0) ** np.arange(1, 4))


def test_depth_view_shows_sigmoid_stacks_vanish():
    view = depth_products(depth=10, n_samples=20_000, seed=3)
    k = np.arange(1, 11)
    np.testing.assert_allclose(view.bound["sigmoid"], 0.25**k)
    for name in GALLERY:
        assert np.all(view.product[name] <= view.bound[name] * (1 + 1e-12))
    assert view.product["sigmoid"][-1] < 0.25**10 < 1e-6
    np.testing.assert_allclose(view.product["identity"], 1.0)
    # ReLU passes a gradient only where a > 0: probability 1/2 per layer.
    np.testing.assert_allclose(view.product["relu"][:4], 0.5 ** k[:4], rtol=0.1)
    # Deterministic under a seed.
    again = depth_products(depth=10, n_samples=20_000, seed=3)
    np.testing.assert_array_equal(again.product["tanh"], view.product["tanh"])


def test_depth_view_bounds():
    with pytest.raises(ValueError, match="depth"):
        depth_products(depth=0)
    with pytest.raises(ValueError, match="scale"):
        depth_products(scale=float("nan"))


# --- backprop through an elementwise g ------------------------------------------------------
def test_relu_backward_worked_example_from_note_004():
    r = elementwise_backward("relu", [1, -2, 3, -1], [4, -1, 5, 9])
    np.testing.assert_array_equal(r.y, [1, 0, 3, 0])
    np.testing.assert_array_equal(r.local, [1, 0, 1, 0])
    np.testing.assert_array_equal(r.downstream, [4, 0, 5, 0])
    assert not np.signbit(r.downstream).any()  # 0, not −0, as the notes write it
    np.testing.assert_array_equal(r.jacobian(), np.diag([1.0, 0, 1, 0]))


@pytest.mark.parametrize("name", GALLERY)
def test_elementwise_backward_matches_centred_differences(name):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 2, 9)
    x[np.abs(x) < 1e-3] += 0.01
    upstream = rng.normal(0, 1, 9)
    r = elementwise_backward(name, x, upstream)
    # L = Σ ∂L/∂y ⊙ g(x) has gradient ∂L/∂x = ∂L/∂y ⊙ g'(x).
    g = get_activation(name)
    numeric = numerical_gradient(lambda v: float(upstream @ g.forward(v)), x.copy())
    assert relative_error(r.downstream, numeric) < 1e-9
    jac = numerical_jacobian(g.forward, x.copy())
    assert relative_error(r.jacobian(), jac) < 1e-9
    off = ~np.eye(9, dtype=bool)
    assert np.all(r.jacobian()[off] == 0) and np.all(np.abs(jac[off]) < 1e-12)


def test_elementwise_backward_rejects_bad_vectors():
    with pytest.raises(ValueError, match="x has 4, ∂L/∂y has 3"):
        elementwise_backward("relu", [1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(ValueError, match="1 to 16"):
        elementwise_backward("relu", np.ones(MAX_ELEMENTWISE + 1), np.ones(MAX_ELEMENTWISE + 1))
    with pytest.raises(ValueError, match="finite"):
        elementwise_backward("tanh", [1.0, float("nan")], [1.0, 1.0])
    with pytest.raises(ValueError, match="unknown activation"):
        elementwise_backward("swish", [1.0], [1.0])


# --- softmax ------------------------------------------------------------------------------
def test_naive_softmax_overflows_at_1e4_and_the_stable_one_is_exact(no_warnings):
    x = [1e4, -1e4, 0.0]
    naive = naive_softmax(x)  # no RuntimeWarning escapes (the fixture turns one into an error)
    assert naive.issue == "overflow" and not naive.ok
    assert np.isnan(naive.p[0]) and "inf / inf = nan" in naive.message
    np.testing.assert_array_equal(stable_softmax(x), [1.0, 0.0, 0.0])
    # Two equal huge logits: inf/inf twice for the naive, exactly one half each for the stable.
    assert np.isnan(naive_softmax([1e4, 1e4]).p).all()
    np.testing.assert_array_equal(stable_softmax([1e4, 1e4]), [0.5, 0.5])
    # Two very negative logits: 0/0 for the naive.
    under = naive_softmax([-1e4, -1e4])
    assert under.issue == "underflow" and np.isnan(under.p).all()
    np.testing.assert_array_equal(stable_softmax([-1e4, -1e4]), [0.5, 0.5])
    # exp(709.5) ≈ 1.3e308 is finite, but twice it is not: every p becomes 0.
    summed = naive_softmax([709.5, 709.5])
    assert summed.issue == "sum overflow" and np.array_equal(summed.p, [0.0, 0.0])


def test_naive_and_stable_agree_on_ordinary_logits(no_warnings):
    x = np.random.default_rng(0).normal(0, 3, 7)
    naive = naive_softmax(x)
    assert naive.ok and naive.message is None
    np.testing.assert_allclose(stable_softmax(x), naive.p, rtol=1e-14)
    assert stable_softmax(x).sum() == pytest.approx(1.0)


def test_log_sum_exp_by_hand(no_warnings):
    assert log_sum_exp([1e4, 1e4]) == pytest.approx(1e4 + math.log(2), rel=1e-15)
    assert log_sum_exp([-1e4, -1e4]) == pytest.approx(-1e4 + math.log(2), rel=1e-15)
    assert log_sum_exp([0.0, 0.0, 0.0]) == pytest.approx(math.log(3))
    x = [0.5, -1.0, 2.0]
    assert log_sum_exp(x) == pytest.approx(math.log(sum(math.exp(v) for v in x)))


def test_softmax_jacobian_by_hand_and_by_differences():
    # x = (0, 0): p = (1/2, 1/2), ∂p_i/∂x_j = p_i(δ_ij − p_j) = ±1/4.
    np.testing.assert_allclose(softmax_jacobian([0.0, 0.0]), [[0.25, -0.25], [-0.25, 0.25]])
    x = np.array([1.0, 2.0, -0.5, 3.0])
    J = softmax_jacobian(x)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-16)  # Σ_i p_i = 1 for every x
    np.testing.assert_allclose(J, J.T)
    check = check_softmax_jacobian(x)
    assert check.relative_error < 1e-9 and check.error.max() < 1e-6
    independent = numerical_jacobian(
        lambda v: np.exp(v) / np.exp(v).sum(), x.copy(), 1e-6
    )  # the naive formula is fine at these logits
    assert relative_error(J, independent) < 1e-8


def test_cross_entropy_of_note_004_scores():
    # s = (3.2, 5.1, −1.7), y = the first class: −log(e^3.2 / (e^3.2 + e^5.1 + e^−1.7)).
    s = [3.2, 5.1, -1.7]
    by_hand = -math.log(math.exp(3.2) / (math.exp(3.2) + math.exp(5.1) + math.exp(-1.7)))
    ce = cross_entropy(s, 0)
    assert ce.loss == pytest.approx(by_hand, rel=1e-14)
    assert ce.loss == pytest.approx(2.04, abs=0.005)
    np.testing.assert_array_equal(ce.onehot, [1, 0, 0])
    numeric = numerical_gradient(lambda v: cross_entropy(v, 0).loss, np.array(s))
    assert relative_error(ce.grad, numeric) < 1e-9
    np.testing.assert_allclose(ce.grad, ce.p - [1, 0, 0])


def test_cross_entropy_is_finite_at_huge_logits(no_warnings):
    ce = cross_entropy([1e4, -1e4, 0.0], 1)
    assert ce.loss == pytest.approx(2e4)  # log Σ exp = 1e4, minus x_y = −1e4
    np.testing.assert_array_equal(ce.grad, [1.0, -1.0, 0.0])


def test_softmax_inputs_are_checked():
    with pytest.raises(ValueError, match="1 … 3"):
        cross_entropy([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="finite"):
        stable_softmax([1.0, float("inf")])
    with pytest.raises(ValueError, match="1 to 10"):
        naive_softmax([])
    with pytest.raises(ValueError, match="1 to 10"):
        log_sum_exp(np.zeros(11))


# --- the SVM beside softmax ---------------------------------------------------------------
def test_svm_and_softmax_of_note_004_scores():
    # y = class 1 (index 0): margins max(0, 5.1 − 3.2 + 1) = 2.9 and max(0, −1.7 − 3.2 + 1) = 0.
    r = score_losses([3.2, 5.1, -1.7], 0)
    np.testing.assert_allclose(r.margins, [0.0, 2.9, 0.0])
    assert r.svm_loss == pytest.approx(2.9)
    np.testing.assert_array_equal(r.svm_grad, [-1.0, 1.0, 0.0])
    assert r.softmax_loss == pytest.approx(2.04, abs=0.005)
    assert r.softmax_loss == pytest.approx(cross_entropy([3.2, 5.1, -1.7], 0).loss)


def test_score_loss_gradients_match_centred_differences():
    s = np.array([0.3, 2.0, -1.1, 1.4])  # every margin well away from 0
    r = score_losses(s, 2)
    svm = numerical_gradient(lambda v: score_losses(v, 2).svm_loss, s.copy())
    soft = numerical_gradient(lambda v: score_losses(v, 2).softmax_loss, s.copy())
    assert relative_error(r.svm_grad, svm) < 1e-9
    assert relative_error(r.softmax_grad, soft) < 1e-9
    # A correct class ahead of every other by more than 1: no loss, no gradient.
    ahead = score_losses([5.0, 1.0, 2.0], 0)
    assert ahead.svm_loss == 0 and not ahead.svm_grad.any()


def test_score_losses_check_their_inputs():
    with pytest.raises(ValueError, match="1 … 3"):
        score_losses([1.0, 2.0, 3.0], -1)
    with pytest.raises(ValueError, match="2 to 10"):
        score_losses([1.0], 0)


# --- typed lists --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("1, -2, 3,-1", (1.0, -2.0, 3.0, -1.0)),
        ("1 −2; 3", (1.0, -2.0, 3.0)),  # the notes' minus sign, spaces and semicolons
        ("[4, -1, 5, 9]", (4.0, -1.0, 5.0, 9.0)),
        ("  .5,1e-3 ,+2. ", (0.5, 0.001, 2.0)),
        ("1000000, -1e6", (1e6, -1e6)),
    ],
)
def test_typed_lists_parse(text, expected):
    assert parse_numbers(text, max_len=16) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("1, abc, 3", "Item 2 of x is not a number: 'abc'."),
        ("1, 2, nan", "Item 3 of x is not a number: 'nan'."),
        ("inf", "Item 1 of x is not a number: 'inf'."),
        ("0x10", "Item 1 of x is not a number: '0x10'."),
        ("1, 2, 1000001", "Item 3 of x is beyond ±1,000,000: 1000001."),
        ("-2e6", "Item 1 of x is beyond ±1,000,000: -2e6."),
        ("1e400", "Item 1 of x is beyond ±1,000,000: 1e400."),
        ("", "Expected 1 to 4 numbers in x, found none."),
        ("1 2 3 4 5", "Expected 1 to 4 numbers in x, found 5."),
    ],
)
def test_typed_list_errors_say_what_and_where(text, message):
    with pytest.raises(TypedListError) as caught:
        parse_numbers(text, max_len=4, name="x")
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_typed_list_of_an_exact_length_and_too_long_text():
    with pytest.raises(TypedListError, match="Expected exactly 4 numbers in ∂L/∂y, found 3"):
        parse_numbers("4, -1, 5", min_len=4, max_len=4, name="∂L/∂y")
    with pytest.raises(TypedListError, match="too long"):
        parse_numbers("1," * 5_000, max_len=16)
