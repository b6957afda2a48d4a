"""Launcher of the student's kernel: ``python -I boot.py -f CONNECTION_FILE``.

Copied by the grader into a private folder and run there; never imported. Before any student code runs:
1. the limits are set, soft and hard alike, so no student code can raise them (``DC_LIMITS``: address space,
   processes, open files, size of a file written, CPU time; no core files), and the kernel asks to be killed
   when the worker that started it dies (behind bubblewrap its pid namespace does that anyway);
2. the course's reference code (`course_core`) and the grader (`autograder`) are made unimportable:
   a finder at the front of `sys.meta_path` refuses their names, the editable-install finders and path
   hooks are removed, and so are `sys.path` entries that hold them, except site-packages folders (a
   normal install keeps course_core beside torch and ipykernel; there the finder alone refuses it);
3. the codec and the bridge are loaded as `_dc_codec` and `_dc_bridge`, and the bridge gets its end of
   the grader's socket (``DC_BRIDGE_FD``);
4. both are sealed (`_seal`): their functions resolve names in private copies of their namespaces, so a
   notebook that reassigns ``_dc_bridge.<name>`` changes the module, not the loop that answers the grader,
   and the loop reports the change (`bridge.tampered`);
then ipykernel starts.
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


def _site_dirs():
    import site

    dirs = set(site.getsitepackages() + [site.getusersitepackages()])
    return {os.path.realpath(d) for d in dirs}


def _holds_blocked(entry, site_dirs):
    try:
        if os.path.realpath(entry) in site_dirs or os.path.basename(entry) in ("site-packages", "dist-packages"):
            return False
        return any(os.path.exists(os.path.join(entry, pkg, "__init__.py")) for pkg in _BLOCKED)
    except (TypeError, ValueError, OSError):
        return False


def _sanitize():
    site_dirs = _site_dirs()
    sys.meta_path[:] = [_Refuse()] + [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
    sys.path[:] = [p for p in sys.path if p and not _holds_blocked(p, site_dirs)]
    for name in [m for m in sys.modules if _blocked(m)]:
        del sys.modules[name]
    sys.path_importer_cache.clear()
    sys.path.insert(0, os.getcwd())  # the student's folder: toy.py


def _load(name, filename, extra=None):
    module = types.ModuleType(name)
    module.__dict__.update(extra or {})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), filename)
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), name, "exec")
    sys.modules[name] = module
    exec(code, module.__dict__)
    return module


def _seal(module, replace=None):
    """A private copy of `module`'s namespace in which its own functions resolve their global names (with
    `replace`: name -> object swapped in); the module's functions become the sealed ones. Returns the copy."""
    frozen = {**module.__dict__, **(replace or {})}
    for name, obj in list(frozen.items()):
        if isinstance(obj, types.FunctionType) and obj.__globals__ is module.__dict__:
            sealed = types.FunctionType(obj.__code__, frozen, obj.__name__, obj.__defaults__, obj.__closure__)
            sealed.__kwdefaults__, sealed.__doc__ = obj.__kwdefaults__, obj.__doc__
            frozen[name] = sealed
            setattr(module, name, sealed)
    return frozen


def _load_bridge():
    codec = _load("_dc_codec", "codec.py")
    bridge = _load("_dc_bridge", "bridge.py")
    fd = os.environ.pop("DC_BRIDGE_FD", "")
    if fd:
        import socket

        bridge.CONN = socket.socket(fileno=int(fd))
    sealed_codec = types.SimpleNamespace(**_seal(codec))
    frozen = _seal(bridge, {"codec": sealed_codec})
    frozen["SEALED"] = {"_dc_bridge": (bridge, dict(bridge.__dict__)), "_dc_codec": (codec, dict(codec.__dict__))}


_RLIMITS = {"memory": "RLIMIT_AS", "processes": "RLIMIT_NPROC", "open_files": "RLIMIT_NOFILE",
            "file_bytes": "RLIMIT_FSIZE", "cpu_seconds": "RLIMIT_CPU", "core_bytes": "RLIMIT_CORE"}


def _limit():
    import json
    import resource

    limits = json.loads(os.environ.pop("DC_LIMITS", "{}") or "{}")
    for name, value in {"core_bytes": 0, **limits}.items():
        if name in _RLIMITS and value is not None and int(value) >= 0:
            resource.setrlimit(getattr(resource, _RLIMITS[name]), (int(value), int(value)))
    # ipykernel's parent poller takes a pid namespace's init for a dead parent; the death signal replaces it
    os.environ.pop("JPY_PARENT_PID", None)
    try:  # die with the worker (Linux); a no-op elsewhere
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    _limit()
    _sanitize()
    _load_bridge()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
