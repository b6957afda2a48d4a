"""hw2's support module: the exact noise predictor of a Gaussian mixture under VP noising.

Student support module of hw2 only (grading_config/hw2_ddpm.toml): the build writes it next to the hw2 notebook,
with the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place
of the import (so the student's copy imports only torch). It is kept out of hw1's ``toy.py`` because
``mixture_eps`` computes, by autograd, the score of a Gaussian mixture: hw1's first question.
"""
import torch  # noqa: F401 - the shipped function below needs it in the student's copy

from .gmm import mixture_eps  # shipped: the exact noise predictor of a mixture, for hw2's experiments

__all__ = ["mixture_eps"]
