"""`assert_close` and its kin decide every hidden check: each rule has a test, and each test is shown to catch a
comparison that drops that rule (a mutant of compare.py's own source)."""

import pytest
import torch

from autograder.checks import compare
from mutation import mutant

F64 = torch.float64


def _raises(error, fn, *args, **kwargs) -> bool:
    """Whether `fn` raises `error` (a rule asserts on it, so a broken comparison fails as an assertion)."""
    try:
        fn(*args, **kwargs)
    except error:
        return True
    return False


def _passes(C, got, want, **kwargs) -> bool:
    return not _raises(AssertionError, C.assert_close, got, want, "f(x)", **kwargs)


# --- the rules, each a function of the comparison module it judges -----------------------------------------


def small_entries_are_held_to_their_own_size(C):
    """|want| = 1e3 next to 1e-3: a 100 % error on the small entry fails, though it is tiny next to the large."""
    want = torch.tensor([1e3, 1e-3], dtype=F64)
    assert _passes(C, want.clone(), want)
    assert not _passes(C, torch.tensor([1e3, 2e-3], dtype=F64), want)


def nan_or_inf_in_the_result_fails(C):
    want = torch.tensor([1.0, 2.0], dtype=F64)
    for bad in (float("nan"), float("inf")):
        assert not _passes(C, torch.tensor([1.0, bad], dtype=F64), want), bad


def a_non_finite_reference_is_a_grader_bug(C):
    assert _raises(C.GraderBug, C.assert_close, torch.tensor([1.0, 2.0]),
                   torch.tensor([1.0, float("nan")], dtype=F64), "f(x)")
    assert not isinstance(C.GraderBug("x"), AssertionError)  # never read as the student's failure


def shapes_must_match_even_where_they_broadcast(C):
    """(3, 1) against (3,) broadcasts to (3, 3) and would compare equal values: a wrong shape all the same."""
    assert not _passes(C, torch.ones(3, 1, dtype=F64), torch.ones(3, dtype=F64))
    assert _passes(C, torch.ones(1, dtype=F64), torch.ones(3, dtype=F64), broadcast_to=(3,))
    assert not _passes(C, torch.ones(2, dtype=F64), torch.ones(3, dtype=F64), broadcast_to=(3,))


def the_dtype_is_part_of_the_contract(C):
    want = torch.ones(2, dtype=F64)
    assert _passes(C, torch.ones(2, dtype=torch.float32), want, dtype=torch.float32)
    assert not _passes(C, torch.ones(2, dtype=F64), want, dtype=torch.float32)


def only_a_tensor_is_a_result(C):
    want = torch.ones(2, dtype=F64)
    for got in ((torch.ones(2), torch.ones(2)), [1.0, 1.0], 1.0):
        assert not _passes(C, got, want), type(got)


def the_bound_is_atol_plus_rtol_times_scale(C):
    """Half the bound passes and twice the bound fails, both for atol (want = 0) and rtol (want = 10)."""
    tol = C.Tol(rtol=1e-3, atol=1e-6)
    for want, bound in ((0.0, 1e-6), (10.0, 1e-6 + 1e-2)):
        w = torch.tensor([want], dtype=F64)
        assert _passes(C, w + 0.5 * bound, w, tol=tol)
        assert not _passes(C, w + 2 * bound, w, tol=tol)
        assert not _passes(C, w - 2 * bound, w, tol=tol)


def scale_widens_the_bound_where_given(C):
    """A sum of two large cancelling terms (scale 1e3) is judged relative to the terms, not to the result."""
    want = torch.tensor([1e-3], dtype=F64)
    got = want + 1e-4
    assert not _passes(C, got, want)
    assert _passes(C, got, want, scale=torch.tensor([1e3], dtype=F64))


def the_float32_budget_widens_only_its_own_entry(C):
    want = torch.tensor([1.0, 1.0], dtype=F64)
    expected = C.Expected(want, torch.tensor([1e-3, 0.0], dtype=F64))
    assert _passes(C, torch.tensor([1.01, 1.0], dtype=F64), expected)  # 0.01 < 40 budgets of 1e-3
    assert not _passes(C, torch.tensor([1.0, 1.01], dtype=F64), expected)  # no budget on the second entry


def a_loss_must_be_one_number_with_the_right_gradients(C):
    value = torch.tensor(2.0, dtype=F64)
    want = C.Loss(value, {"m.W": torch.tensor([1.0, -1.0], dtype=F64)})
    right = C.Loss(value.clone(), {"m.W": torch.tensor([1.0, -1.0], dtype=F64)})
    C.assert_loss(right, want, "loss")
    wrong = [
        C.Loss(torch.full((2,), 2.0, dtype=F64), right.grads),  # a per-example loss, not its mean
        C.Loss(value, right.grads, grads_error="the loss is detached from the model"),
        C.Loss(value, {}),  # does not depend on the model
        C.Loss(value, {"m.W": torch.tensor([2.0, -2.0], dtype=F64)}),  # a factor 2 in the gradient only
    ]
    for got in wrong:
        assert _raises(AssertionError, C.assert_loss, got, want, "loss"), got


RULES = [small_entries_are_held_to_their_own_size, nan_or_inf_in_the_result_fails,
         a_non_finite_reference_is_a_grader_bug, shapes_must_match_even_where_they_broadcast,
         the_dtype_is_part_of_the_contract, only_a_tensor_is_a_result, the_bound_is_atol_plus_rtol_times_scale,
         scale_widens_the_bound_where_given, the_float32_budget_widens_only_its_own_entry,
         a_loss_must_be_one_number_with_the_right_gradients]


@pytest.mark.parametrize("rule", RULES, ids=[r.__name__ for r in RULES])
def test_compare_follows_the_rule(rule):
    rule(compare)


# --- each rule's test catches a comparison that breaks it --------------------------------------------------

MUTANTS = {
    "scale is the largest entry": (small_entries_are_held_to_their_own_size,
                                   [("scale = want.abs() if scale is None", "scale = want.abs().max() if scale is None")]),
    "nan slips through the max": (nan_or_inf_in_the_result_fails,
                                  [("if not torch.isfinite(got64).all():", "if False:")]),
    "a nan reference is compared": (a_non_finite_reference_is_a_grader_bug,
                                    [("if not torch.isfinite(want).all():", "if False:")]),
    "shapes broadcast silently": (shapes_must_match_even_where_they_broadcast,
                                  [("elif got64.shape != want.shape:", "elif got64.dim() > 9:")]),
    "dtype not checked": (the_dtype_is_part_of_the_contract,
                          [("if dtype is not None and got.dtype != dtype:", "if False:")]),
    "lists are accepted": (only_a_tensor_is_a_result,
                           [("    if not isinstance(got, torch.Tensor):\n        kind",
                             "    if isinstance(got, tuple):\n        kind"),
                            ("    return got\n", "    return torch.as_tensor(got)\n")]),
    "the error is one-sided": (the_bound_is_atol_plus_rtol_times_scale,
                               [("err = (got64 - want).abs()", "err = (got64 - want)")]),
    "rtol ignored": (the_bound_is_atol_plus_rtol_times_scale,
                     [("return self.atol + self.rtol * scale", "return self.atol + self.rtol + 0 * scale")]),
    "scale ignored": (scale_widens_the_bound_where_given,
                      [("else torch.broadcast_to(as_float64(scale).abs(), want.shape)", "else want.abs()")]),
    "budget spread over the tensor": (the_float32_budget_widens_only_its_own_entry,
                                      [("want, budget = want.value, as_float64(want.budget)",
                                        "want, budget = want.value, as_float64(want.budget).max()")]),
    "gradients not compared": (a_loss_must_be_one_number_with_the_right_gradients,
                               [("    for key, want_grad in want.grads.items():", "    for key, want_grad in {}.items():")]),
    "a vector loss is accepted": (a_loss_must_be_one_number_with_the_right_gradients,
                                  [("if got.numel() != 1:", "if got.numel() < 1:"),
                                   ("assert_close(got.reshape(()),", "assert_close(got.mean().reshape(()),")]),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_each_rule_catches_a_comparison_that_breaks_it(name):
    rule, edits = MUTANTS[name]
    broken = mutant(compare, *edits)
    with pytest.raises(AssertionError):
        rule(broken)
