"""What a grading worker imports before it grades, imported once by the worker server (`spawn`): torch, the kernel
client, the engine and every assignment's checks. Importing it runs nothing else: no check, no CUDA, no thread pool,
no read of the course folder or of the environment."""

import importlib
import pkgutil

import torch

# One intra-op thread, set before anything computes: a suite that builds a tensor at import would otherwise start
# OpenMP's pool here, whose threads a fork does not copy (a worker's first parallel op would wait on them forever).
# A worker computes small references while its kernel runs beside it on one thread too (process.kernel_env).
torch.set_num_threads(1)

from .. import checks
from ..boundary import kernel, process  # noqa: F401
from . import engine, worker  # noqa: F401

for _module in pkgutil.iter_modules(checks.__path__, prefix=f"{checks.__name__}."):
    try:  # every assignment's suite and catalog, with the course_core modules they use
        importlib.import_module(_module.name)
    except Exception:  # noqa: BLE001 - a broken suite is the worker's to report, when it grades that assignment
        pass
