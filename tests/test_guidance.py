"""course_core.guidance against the exact class-conditional mixture: the identities guidance rests on."""

import pytest
import torch

from autograder.build.support import support_source
from course_core import ddim, guidance, guide_toy, schedules, toy
from mutation import catches, mutant

F64 = torch.float64


def _oracle():
    """The ring of 8 modes, alternate modes labelled 0 and 1, unequal weights."""
    weights, means, covs = toy.ring_mixture(radius=0.7, std=0.1)
    weights = torch.linspace(1.0, 2.0, 8, dtype=F64)
    return guidance.LabelledMixture(weights / weights.sum(), means, covs, torch.arange(8) % 2)


def _points(n=12, seed=0):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=F64)


@pytest.mark.parametrize("alpha_bar", [0.999, 0.5, 0.01])
@pytest.mark.parametrize("scale", [0.0, 1.0, 3.5])
def test_classifier_guidance_of_the_unconditional_model_is_cfg_at_the_same_scale(alpha_bar, scale):
    """With exact scores, eps_u - s sqrt(1 - ab) grad log p(y | x) = eps_u + s (eps_c - eps_u)."""
    oracle, x = _oracle(), _points()
    y = torch.arange(12) % 2
    eps_u, eps_c = oracle.eps(x, alpha_bar), oracle.eps(x, alpha_bar, y)
    grad = oracle.classifier_grad(x, alpha_bar, y)
    cg = guidance.classifier_guided_eps(eps_u, grad, torch.full((12,), alpha_bar, dtype=F64), scale)
    torch.testing.assert_close(cg, guidance.cfg_eps(eps_c, eps_u, scale), rtol=1e-10, atol=1e-10)


def test_guidance_scale_one_is_conditional_and_zero_unconditional():
    oracle, x = _oracle(), _points()
    y = torch.ones(12, dtype=torch.int64)
    eps_u, eps_c = oracle.eps(x, 0.3), oracle.eps(x, 0.3, y)
    torch.testing.assert_close(guidance.cfg_eps(eps_c, eps_u, 1.0), eps_c)
    torch.testing.assert_close(guidance.cfg_eps(eps_c, eps_u, 0.0), eps_u)


def test_classifier_grad_by_autograd_is_the_exact_gradient_of_log_p_y_given_x():
    oracle, x = _oracle(), _points(seed=1)
    y = torch.arange(12) % 2
    got = guidance.classifier_grad(lambda z: oracle.logits(z, 0.4), x, y)
    torch.testing.assert_close(got, oracle.classifier_grad(x, 0.4, y), rtol=1e-8, atol=1e-10)
    with torch.no_grad():  # the gradient is taken even inside no_grad
        torch.testing.assert_close(guidance.classifier_grad(lambda z: oracle.logits(z, 0.4), x, y), got)


def test_the_gradient_of_the_logits_is_not_the_classifier_gradient():
    """The classic mistake: grad of logits[y] instead of log_softmax[y] differs (by the softmax-weighted mean)."""
    oracle, x = _oracle(), _points(seed=2)
    y = torch.arange(12) % 2
    xg = x.clone().requires_grad_(True)
    wrong = torch.autograd.grad(oracle.logits(xg, 0.4).gather(1, y[:, None]).sum(), xg)[0]
    assert (wrong - oracle.classifier_grad(x, 0.4, y)).abs().max() > 1e-2


def test_drop_labels_uses_the_draws_passed_in_and_refuses_a_colliding_null_label():
    y = torch.tensor([0, 1, 2, 1])
    u = torch.tensor([0.05, 0.5, 0.09, 0.95])
    torch.testing.assert_close(guidance.drop_labels(y, 0.1, 3, u), torch.tensor([3, 1, 3, 1]))
    torch.testing.assert_close(guidance.drop_labels(y, 0.0, 3, u), y)
    with pytest.raises(ValueError, match="null_label 0 is also a real label"):
        guidance.drop_labels(y, 0.1, 0, u)


def test_stronger_guidance_raises_the_classifiers_confidence_and_lowers_diversity():
    """Sampling the exact model with CFG: the exact classifier's mean confidence in the target class rises with
    the guidance scale (0.45, 0.988, 0.99999 at scales 0, 1, 4), and the samples' spread around their nearest
    mode shrinks (0.088, 0.079, 0.043; the modes' own std is 0.1)."""
    oracle = _oracle()
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    timesteps = ddim.ddim_timesteps(1000, 50, "trailing")
    g = torch.Generator().manual_seed(5)
    x_T = torch.randn(400, 2, generator=g, dtype=F64)
    y = torch.zeros(400, dtype=torch.int64)
    noise = torch.zeros(50, 400, 2, dtype=F64)

    def eps_model(x, t, labels):
        ab = float(alpha_bar[int(t[0])])
        uncond = labels == 2
        out = oracle.eps(x, ab)
        if (~uncond).any():
            out[~uncond] = oracle.eps(x[~uncond], ab, labels[~uncond])
        return out

    confidence, spread = [], []
    for scale in (0.0, 1.0, 4.0):
        x0 = guidance.cfg_ddim_sample(eps_model, x_T, y, 2, scale, alpha_bar, timesteps, 0.0, noise)
        p = torch.softmax(oracle.logits(x0, float(alpha_bar[0])), dim=1)[:, 0]
        confidence.append(float(p.mean()))
        nearest = torch.cdist(x0, oracle.mixture.means).argmin(1)
        spread.append(float(torch.stack([x0[nearest == k].std(0).mean() for k in range(8)
                                         if (nearest == k).sum() > 5]).mean()))
    assert confidence[0] < confidence[1] < confidence[2], confidence
    assert spread[2] < spread[1] < spread[0], spread


@pytest.mark.parametrize("alpha_bar", [0.95, 0.3, 0.02])
def test_implicit_classifier_of_the_exact_predictions_is_the_exact_classifier(alpha_bar):
    """Ho & Salimans' implicit classifier: -(eps_c - eps_u) / sqrt(1 - ab) is grad log p(y | x_t) when both
    predictions are exact; in float32 as well, to float32 precision."""
    oracle, x = _oracle(), _points(seed=3)
    y = torch.arange(12) % 2
    ab = torch.full((12,), alpha_bar, dtype=F64)
    got = guidance.implicit_classifier_grad(oracle.eps(x, alpha_bar, y), oracle.eps(x, alpha_bar), ab)
    want = oracle.classifier_grad(x, alpha_bar, y)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    got32 = guidance.implicit_classifier_grad(oracle.eps(x, alpha_bar, y).float(), oracle.eps(x, alpha_bar).float(), ab)
    assert got32.dtype == torch.float32
    torch.testing.assert_close(got32, want.float(), rtol=1e-4, atol=1e-4 / (1 - alpha_bar) ** 0.5)


def test_guide_toy_is_the_oracle_in_the_students_copy():
    """hw4's support module (the student's copy, inlined by the build) gives the oracle's conditional and
    unconditional eps and logits, and carries the reference's own DDIM step."""
    module = {}
    exec(compile(support_source("guide_toy.py"), "guide_toy.py", "exec"), module)
    oracle, x = _oracle(), _points(seed=4)
    m = oracle.mixture
    labels = torch.arange(8) % 2
    y = torch.tensor([0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 0, 2])  # 2 is the null label
    for ab in (0.9, 0.2):
        got = module["class_eps"](x, ab, m.weights, m.means, m.covs, labels, y, 2)
        want = torch.where((y == 2)[:, None], oracle.eps(x, ab), oracle.eps(x, ab, y.clamp(max=1)))
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(module["class_logits"](x, ab, m.weights, m.means, m.covs, labels),
                                   oracle.logits(x, ab), rtol=1e-10, atol=1e-10)
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(100))
    args = (x, torch.full((12,), 50), torch.full((12,), 30), _points(seed=5), alpha_bar, 0.7, _points(seed=6))
    torch.testing.assert_close(module["ddim_step"](*args), ddim.ddim_step(*args), rtol=0, atol=0)
    assert torch.equal(module["ddim_timesteps"](1000, 7, "linspace"), ddim.ddim_timesteps(1000, 7, "linspace"))
    with pytest.raises(ValueError, match="no mixture component has label 3"):
        guide_toy.class_eps(x, 0.5, m.weights, m.means, m.covs, labels, torch.full((12,), 3), 2)


def test_dynamic_threshold_rescales_by_the_percentile_of_the_absolute_values():
    """Saharia et al. 2022, §2.3: s = quantile(|x0|, p), at least 1; clip to [-s, s], divide by s; per sample."""
    x = torch.tensor([[0.5, -2.0, 3.0, 1.0, -4.0], [0.2, -0.9, 0.4, 1.0, -0.3]], dtype=F64)
    got = guidance.dynamic_threshold(x, 0.75)  # |x| sorted 0.5, 1, 2, 3, 4: the 0.75 quantile is 3
    torch.testing.assert_close(got[0], torch.tensor([0.5 / 3, -2 / 3, 1.0, 1 / 3, -1.0], dtype=F64))
    torch.testing.assert_close(got[1], x[1], rtol=0, atol=0)  # inside [-1, 1]: s = 1, nothing changes
    torch.testing.assert_close(guidance.dynamic_threshold(x[:1], 0.75), got[:1])  # one sample's s is its own
    torch.testing.assert_close(guidance.dynamic_threshold(x[:1], 0.5), x[:1].clamp(-2, 2) / 2)  # median 2
    torch.testing.assert_close(guidance.dynamic_threshold(x[:1], 1.0), x[:1] / 4)  # the max: no clipping at all
    images = 3 * torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=F64)
    out = guidance.dynamic_threshold(images, 0.995)
    assert out.shape == images.shape and out.abs().max() <= 1
    assert guidance.dynamic_threshold(images.float(), 0.995).dtype == torch.float32


# ----------------------------------------------------------------------------- mutation tests of the tests
MUTANTS = [
    pytest.param(test_classifier_guidance_of_the_unconditional_model_is_cfg_at_the_same_scale, dict(alpha_bar=0.5, scale=3.5),
                 [("return eps_pred - scale * torch.sqrt(1 - _per_sample(alpha_bar_t, eps_pred)) * grad_log_p_y",
                   "return eps_pred - scale * grad_log_p_y")], id="guided-eps-without-the-sqrt"),
    pytest.param(test_guidance_scale_one_is_conditional_and_zero_unconditional, {},
                 [("return eps_uncond + guidance_scale * (eps_cond - eps_uncond)",
                   "return (1 + guidance_scale) * eps_cond - guidance_scale * eps_uncond")], id="cfg-w-for-one-plus-w"),
    pytest.param(test_classifier_grad_by_autograd_is_the_exact_gradient_of_log_p_y_given_x, {},
                 [("log_p = torch.log_softmax(logits_fn(x), dim=-1)", "log_p = logits_fn(x)")], id="grad-of-the-logit"),
    pytest.param(test_drop_labels_uses_the_draws_passed_in_and_refuses_a_colliding_null_label, {},
                 [("if bool((y == null_label).any()):", "if False:")], id="null-label-collision-allowed"),
    pytest.param(test_implicit_classifier_of_the_exact_predictions_is_the_exact_classifier, dict(alpha_bar=0.3),
                 [("return -(eps_cond - eps_uncond) / torch.sqrt(1 - _per_sample(alpha_bar_t, eps_cond))",
                   "return (eps_cond - eps_uncond) / torch.sqrt(1 - _per_sample(alpha_bar_t, eps_cond))")],
                 id="implicit-grad-sign"),
    pytest.param(test_stronger_guidance_raises_the_classifiers_confidence_and_lowers_diversity, {},
                 [("guided = lambda x, t: cfg_eps(eps_model(x, t, y), eps_model(x, t, null), guidance_scale)",
                   "guided = lambda x, t: cfg_eps(eps_model(x, t, y), eps_model(x, t, y), guidance_scale)")],
                 id="sampler-unconditional-pass-given-y"),
]


@pytest.mark.parametrize("test,kwargs,edits", MUTANTS)
def test_repaired_tests_catch_mutant(test, kwargs, edits):
    """Each test above fails when a realistic mistake is edited into course_core/guidance.py."""
    broken = mutant(guidance, *edits)
    names = ["classifier_guided_eps", "cfg_eps", "classifier_grad", "drop_labels", "implicit_classifier_grad",
             "cfg_ddim_sample"]
    catches(test, broken=[(guidance, n, getattr(broken, n)) for n in names], **kwargs)
