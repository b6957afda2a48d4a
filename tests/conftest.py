"""Shared pytest configuration: a derandomized hypothesis profile so every run sees the same examples."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")

# Tiny tensors: one thread is faster and steadier than two on a shared 2-core machine.
import torch  # noqa: E402

torch.set_num_threads(1)
