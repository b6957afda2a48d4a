"""Launcher of the student's kernel (run as `python -I kernel_boot.py -f CONNECTION_FILE`).

Read as text and written to a private folder by the grader; never imported. Before any student
code runs it removes every way the interpreter knows to import the course's reference code
(`course_core`) or the grader (`autograder`): the editable-install finders, any `sys.path` entry
that holds those packages, and any module already loaded. A finder at the front of `sys.meta_path`
refuses them by name. Then it loads the call bridge as the module `_dc_bridge` and starts ipykernel.
"""

import os
import sys
import types

_BLOCKED = ("course_core", "autograder")


def _blocked(name):
    root = name.split(".")[0]
    return root in _BLOCKED or root.startswith("__editable__")


class _Refuse:
    """Meta-path finder that refuses the course's reference code and the grader."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if _blocked(name):
            raise ModuleNotFoundError(f"No module named {name!r} (the grading kernel cannot import "
                                      "the course's reference code)", name=name)
        return None


def _holds_blocked(entry):
    try:
        return any(os.path.exists(os.path.join(entry, pkg, "__init__.py")) for pkg in _BLOCKED)
    except (TypeError, ValueError, OSError):
        return False


def _sanitize():
    sys.meta_path[:] = [_Refuse()] + [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
    sys.path[:] = [p for p in sys.path if p and not _holds_blocked(p)]
    for name in [m for m in sys.modules if _blocked(m)]:
        del sys.modules[name]
    sys.path_importer_cache.clear()
    sys.path.insert(0, os.getcwd())  # the student's folder: toy.py, tests/


def _load_bridge():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_side.py")
    module = types.ModuleType("_dc_bridge")
    with open(path, encoding="utf-8") as fh:
        exec(compile(fh.read(), "_dc_bridge", "exec"), module.__dict__)
    sys.modules["_dc_bridge"] = module


def _limit_memory():
    """Cap the kernel's address space (DC_MEMORY_BYTES) so a runaway allocation fails inside it."""
    limit = int(os.environ.pop("DC_MEMORY_BYTES", "0") or 0)
    if limit > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    _limit_memory()
    _sanitize()
    _load_bridge()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
