"""The walls around the student's kernel: its own user, file system, processes and budget, no network, limits.

Each wall is used where the platform allows it, and `Protections` says which were in force (the grade table
prints it, `grading.json` and Gradescope's staff data record it); none is dropped silently.

- **A user of its own.** Where the grader runs as root, the kernel runs as an unprivileged uid drawn per kernel
  from ``[UID_BASE, UID_BASE + 2**20)`` (``setpriv``, or the same steps in `zygote.py` for a kernel forked from the
  kernel zygote: no groups, no capabilities, no new privileges), so it can
  neither signal the grader nor write anything the grader owns, and the process limit counts its processes only.
- **A file system of its own** (bubblewrap's mount namespace). It sees the operating system (``/usr``, ``/etc``,
  the libraries), the Python installation with the course's packages (`course_core`, `autograder`) replaced by
  empty folders, its three launch files, and its own work folder, which is the only place it can write (and a
  private ``/tmp``). The course folder, the submissions, the output folder, the batch's scratch and every other
  kernel's folder are not there.
- **Processes of its own** (a pid namespace): it sees and can signal only its own processes, and all of them die
  with the kernel, or with the worker that started it (``--die-with-parent``), however they detached.
- **No network** (a network namespace with only its own loopback; ``unshare --net`` where bubblewrap is missing).
- **A memory and process budget of its own** (a control group, `cgroup.py`): the kernel and everything it
  starts share `memory_gb` of resident memory, `processes` tasks and one CPU's worth of time; past the memory,
  the OOM killer stops a process of this group, not another student's.
- **Limits** (set by `boot.py` before any student code): address space, processes (only with a uid of its own:
  the limit counts every process of the uid), open files, size of a file written, CPU time, no core files. The
  grader caps each Jupyter message it accepts from the kernel (`Limits.output_mb`).

Modes (``--sandbox`` or ``DIFFCOURSE_SANDBOX``): ``auto`` uses what the platform allows; ``require`` refuses to
grade unless every wall is up; ``off`` is the plain process boundary (limits only), as before issue 11.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

MODES = ("auto", "require", "off")
UID_BASE = 1_900_000_000  # far above any account a machine has; the kernel's uid is drawn from 2**20 above it
BLOCKED = ("course_core", "autograder")
_SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(RuntimeError):
    """``require`` was asked for and a wall cannot be had here; the message says which and why."""


@dataclass(frozen=True)
class Protections:
    """Which walls a kernel runs behind; `missing` maps each wall not in force to why."""

    mode: str
    user: bool = False  # a uid of its own (not the grader's)
    files: bool = False  # a mount namespace: the course, other submissions and the grader's files absent
    processes: bool = False  # a pid namespace: sees and signals only its own processes; all die with it
    network: bool = False  # a network namespace: no network
    budget: bool = False  # a control group: memory and tasks of the kernel and all it starts, together
    missing: dict = field(default_factory=dict)

    WALLS = {"user": "a user of its own", "files": "a file system of its own",
             "processes": "processes of its own", "network": "no network",
             "budget": "a memory and process budget of its own"}

    @property
    def complete(self) -> bool:
        return all(getattr(self, wall) for wall in self.WALLS)

    def summary(self) -> str:
        """One line for the report: what was in force, and what was not and why."""
        up = [text for wall, text in self.WALLS.items() if getattr(self, wall)]
        line = "sandbox: " + (", ".join(up) if up else "none") + "; limits on memory, files, CPU time and output"
        if self.missing:
            line += ". NOT in force: " + "; ".join(f"{self.WALLS[w]} ({why})" for w, why in self.missing.items())
        return line

    def to_json(self) -> dict:
        return asdict(self)


def mode_from_env(mode: str | None = None) -> str:
    mode = mode or os.environ.get("DIFFCOURSE_SANDBOX", "auto")
    if mode not in MODES:
        raise ValueError(f"sandbox mode {mode!r}: use one of {', '.join(MODES)}")
    return mode


def _runs(argv: list, cwd: Path) -> str:
    """'' when `argv` runs and exits 0 within 60 s, else why not (its last line of stderr)."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=60, check=False, cwd=cwd, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if done.returncode == 0:
        return ""
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def probe(mode: str | None = None) -> Protections:
    """The walls this platform gives, found by starting Python behind each (once per process and mode: 0.3 s
    here). `mode`: ``auto``, ``require`` or ``off`` (default: ``$DIFFCOURSE_SANDBOX``, else ``auto``). Raises
    SandboxUnavailable for ``require`` when one is missing."""
    return _probe(mode_from_env(mode))


@functools.lru_cache(maxsize=None)
def _probe(mode: str) -> Protections:
    if mode == "off":
        return Protections("off", missing={wall: "--sandbox off" for wall in Protections.WALLS})
    if not sys.platform.startswith("linux"):
        return _checked(Protections(mode, missing={w: f"not Linux ({sys.platform})" for w in Protections.WALLS}))
    root = os.geteuid() == 0
    candidates, missing = _candidates(mode, root)
    failures = {}
    for candidate in candidates:  # the first whose trial passes
        why = _trial(candidate)
        if not why:
            break
        for wall in Protections.WALLS:
            if getattr(candidate, wall):
                failures.setdefault(wall, why)
    else:
        candidate = Protections(mode)
    why = _budget_trial() if root else "the grader does not run as root"
    if why:
        missing["budget"] = why
    for wall in Protections.WALLS:
        if not getattr(candidate, wall) and wall != "budget":
            missing.setdefault(wall, failures.get(wall, "no tool for it here (bubblewrap, unshare)"))
    found = Protections(mode, candidate.user, candidate.files, candidate.processes, candidate.network, not why,
                        missing)
    return _checked(found)


def _candidates(mode: str, root: bool) -> tuple[list, dict]:
    """The combinations of walls worth a trial here, best first, and the walls already known to be missing."""
    setpriv, bwrap, unshare = (shutil.which(tool) for tool in ("setpriv", "bwrap", "unshare"))
    missing: dict = {}
    if not root:
        missing["user"] = "the grader does not run as root"
    elif not setpriv:
        missing["user"] = "setpriv not found (util-linux)"
    candidates = []
    if bwrap:
        if root and setpriv:
            candidates.append(Protections(mode, user=True, files=True, processes=True, network=True))
        candidates.append(Protections(mode, files=True, processes=True, network=True))
    else:
        for wall in ("files", "processes"):
            missing[wall] = "bubblewrap not found (apt-get install bubblewrap)"
    if root and unshare and setpriv:
        candidates.append(Protections(mode, user=True, network=True))
    if root and unshare:
        candidates.append(Protections(mode, network=True))
    if root and setpriv:
        candidates.append(Protections(mode, user=True))
    return candidates, missing


def _budget_trial() -> str:
    """'' when a control group with limits can be made and entered here, else why not."""
    from .cgroup import Budget, BudgetUnavailable

    try:
        budget = Budget(f"probe-{os.getpid()}-{draw_uid()}", memory_bytes=2**28, processes=64)
    except BudgetUnavailable as err:
        return str(err)
    try:
        with tempfile.TemporaryDirectory(prefix="dc-probe-") as tmp:
            return _runs(budget.enter(["true"]), cwd=Path(tmp))
    finally:
        budget.remove()


def _checked(found: Protections) -> Protections:
    if found.mode == "require" and not found.complete:
        raise SandboxUnavailable("--sandbox require: not in force here: " + "; ".join(
            f"{Protections.WALLS[w]} ({why})" for w, why in found.missing.items()))
    return found


def _trial(candidate: Protections) -> str:
    """'' when the kernel's Python starts behind `candidate` and imports ipykernel, else why not."""
    with tempfile.TemporaryDirectory(prefix="dc-probe-") as tmp:
        launch, run, work = (Path(tmp) / name for name in ("launch", "run", "work"))
        for folder in (launch, run, work):
            folder.mkdir()
        uid = draw_uid()
        if candidate.user:
            hand_over(uid, run, work)
        argv = wrap([sys.executable, "-I", "-c", "import ipykernel"], candidate, uid=uid, launch=launch, run=run,
                    workdir=work)
        return _runs(argv, cwd=work)


def draw_uid() -> int:
    return UID_BASE + random.SystemRandom().randrange(2**20)


def _namespaces() -> list:
    return ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--tmpfs", "/dev/shm"]


def _system_binds() -> list:
    args = []
    for path in _SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _drop(setpriv: str, uid: int) -> list:
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _python_roots() -> list:
    """The folders the Python installation lives in: prefixes and site-packages (real paths, deduplicated)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             *(sysconfig.get_paths().get(key, "") for key in ("stdlib", "platstdlib", "purelib", "platlib"))}
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)})
    return [p for p in real if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in real)]


def _inside(path: str, folders) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def blocked_folders() -> list:
    """Where `course_core` and `autograder` live in this Python (each package's folder)."""
    found = []
    for name in BLOCKED:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            found.append(os.path.realpath(folder))
    return found


_NVIDIA_SHARED = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "nvidia-caps")


def _gpu_minors(proc: Path) -> list:
    """``(uuid, minor)`` of each GPU the driver reports, in PCI bus order (``CUDA_DEVICE_ORDER=PCI_BUS_ID``)."""
    out = []
    for folder in sorted(proc.glob("*")):
        try:
            info = dict(line.split(":", 1) for line in (folder / "information").read_text().splitlines() if ":" in line)
            out.append((info.get("GPU UUID", "").strip(), int(info["Device Minor"])))
        except (OSError, KeyError, ValueError):
            return []
    return out


def gpu_devices(visible: str | None = None, *, proc: Path = Path("/proc/driver/nvidia/gpus"),
                dev: Path = Path("/dev")) -> list:
    """The NVIDIA device files a CUDA kernel needs: the driver's shared ones (``nvidiactl``, ``nvidia-uvm``,
    ``nvidia-caps/`` for MIG) and the GPUs `visible` (``CUDA_VISIBLE_DEVICES``: indices in PCI order, or UUIDs)
    names, so a kernel cannot open another submission's GPU; every GPU's files where they cannot be told apart."""
    shared = [str(dev / name) for name in _NVIDIA_SHARED if (dev / name).exists()]
    every = sorted(str(p) for p in dev.glob("nvidia[0-9]*"))
    gpus, wanted = _gpu_minors(proc), []
    for item in (visible or "").split(","):
        item = item.strip()
        match = [m for i, (uuid, m) in enumerate(gpus) if item == str(i) or (item and uuid.startswith(item))]
        if len(match) != 1:
            return shared + every
        wanted.append(str(dev / f"nvidia{match[0]}"))
    return shared + [p for p in every if p in wanted]


def wrap(argv: list, protections: Protections, *, uid: int, launch: Path, run: Path, workdir: Path,
         devices=()) -> list:
    """`argv` (the kernel's command) behind the walls in `protections`. `launch` (read-only) and `run` and
    `workdir` (writable) are the only folders of the grader's the kernel sees; `devices` (a GPU's files) the only
    device files beyond bubblewrap's minimal /dev."""
    prefix = []
    if protections.files:
        roots = [r for r in _python_roots() if not _inside(r, _SYSTEM)]
        binds = [*(("--ro-bind", r) for r in roots), ("--ro-bind", str(launch)), ("--bind", str(run)),
                 ("--bind", str(workdir))]
        prefix = [shutil.which("bwrap"), *_namespaces(), *_system_binds()]
        made = set()
        for _, path in binds:  # the folders above a bound one, made enterable (bubblewrap makes them 0700)
            for parent in reversed(Path(path).parents):
                if str(parent) != "/" and str(parent) not in made and not _inside(str(parent), _SYSTEM):
                    prefix += ["--perms", "0711", "--dir", str(parent)]
                    made.add(str(parent))
        for option, path in binds:
            prefix += [option, path, path]
        for path in devices:
            prefix += ["--dev-bind", path, path]
        if devices and os.path.isdir("/sys"):  # the CUDA driver reads the GPU's PCI topology there
            prefix += ["--ro-bind", "/sys", "/sys"]
        for folder in blocked_folders():
            if _inside(folder, [*roots, *_SYSTEM]):
                prefix += ["--tmpfs", folder, "--remount-ro", folder]
        if not protections.user and os.geteuid() == 0:  # a root kernel keeps no capability (no remounts)
            prefix += ["--cap-drop", "ALL"]
        prefix += ["--chdir", str(workdir), "--"]
    elif protections.network:
        prefix = [shutil.which("unshare"), "--net", "--"]
    if protections.user:
        prefix += _drop(shutil.which("setpriv"), uid)
    return prefix + list(argv)


def hand_over(uid: int, *paths: Path) -> None:
    """Give the kernel's uid its writable folders (recursively), and let it reach them: those of their ancestors
    inside the temporary folder that only the grader may enter get the others' execute bit (enter, not list)."""
    for path in paths:
        for folder, _, files in os.walk(path):
            os.chown(folder, uid, uid)
            for name in files:
                os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)
        temp = Path(tempfile.gettempdir()).resolve()
        for parent in Path(path).resolve().parents:  # only the grader's own temporary folders
            if temp not in parent.parents:
                break
            info = parent.stat()
            if info.st_uid == os.geteuid() and not info.st_mode & 0o001:
                os.chmod(parent, info.st_mode | 0o001)
