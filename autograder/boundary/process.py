"""The student's kernel as an OS process: its private launch folder, its environment, start and kill.

A kernel is started from a private folder of the grader's (`launch/` holds `boot.py`, `codec.py` and
`bridge.py`; `run/` its connection file and Jupyter sockets; its log and kernel spec stay outside its view),
in the submission's work folder, behind the sandbox's walls (`sandbox.py`), with a minimal environment, the
limits `boot.py` sets, and one end of a socket pair (the bridge's channel to the grader). Every process it
starts carries an environment tag, so the ones that leave its session (setsid, double fork) are found and
killed with it (`sweep`) where there is no pid namespace to take them down.

Behind all the walls on the CPU, the kernel is forked from the grader's kernel zygote (`zygote.py`: torch, numpy
and ipykernel imported once) into the sandbox bubblewrap built, instead of a fresh Python importing them again:
about 3 CPU-s less per kernel. The walls, the environment, the limits and `boot.py` are the same; where the zygote
is not running yet or refuses, the kernel is launched the usual way (``DIFFCOURSE_ZYGOTE=off``: always).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psutil
import zmq
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from . import sandbox
from .cgroup import Budget

_HERE = Path(__file__).resolve().parent
_LAUNCH_FILES = ("boot.py", "codec.py", "bridge.py")
# The command behind the walls when the zygote forks the kernel in: once it runs as the kernel's uid, the sandbox
# is up; it says so on the pipe it was given and waits (the kernel's end ends the sandbox: see zygote.py).
HOLDER = ("import os, signal\nfd = int(os.environ.pop('DC_READY_FD'))\nos.write(fd, b'x')\nos.close(fd)\n"
          "while True:\n    signal.pause()\n")


def sweep(tag: str) -> int:
    """Kill every process whose environment carries ``DC_KERNEL_TAG=tag``; returns how many."""
    killed = 0
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("DC_KERNEL_TAG") == tag:
                proc.kill()
                killed += 1
        except (psutil.Error, OSError):
            continue
    return killed


def started_at(pid: int | None) -> float | None:
    """When process `pid` started (psutil's create time), to tell it from a later process given the same pid."""
    try:
        return psutil.Process(pid).create_time() if pid else None
    except psutil.Error:
        return None


def kill_tree(pid: int | None, started: float | None = None) -> None:
    """Kill a process, its process group and its descendants (best effort).

    With `started` (from `started_at`) only while `pid` still names that process: a pid written down earlier
    (by a worker now dead) may since have been given to another student's kernel or worker — pids wrap around
    at 32768 on many machines.
    """
    if not pid:
        return
    try:
        root = psutil.Process(pid)
        if started is not None and root.create_time() != started:
            return
    except psutil.Error:
        return
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        for proc in [*root.children(recursive=True), root]:
            proc.kill()
    except psutil.Error:
        pass


def kernel_env(workdir: Path, *, limits: dict, tag: str, bridge_fd: int, device: str = "cpu") -> dict:
    """The kernel's whole environment: nothing of the grader's leaks in (on CUDA, the GPU its worker was lent)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(workdir),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figures come back as PNGs, for feedback
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "IPYTHONDIR": str(workdir / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TMPDIR": str(workdir / ".tmp"),
        "DC_LIMITS": json.dumps(limits),
        "DC_KERNEL_TAG": tag,
        "DC_BRIDGE_FD": str(bridge_fd),
        "DC_DEVICE": device,
    }
    if device == "cuda":
        env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"  # deterministic cuBLAS (torch.use_deterministic_algorithms)
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # indices as the sandbox reads them (sandbox.gpu_devices)
        for name in ("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):  # its GPU; where the driver's library is
            if name in os.environ:
                env[name] = os.environ[name]
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""  # graded on the CPU: no GPU, even where the machine has one
    return env


def prepare_workdir(workdir: Path, mpl_cache: Path | None) -> None:
    """The kernel's temporary folder and a private copy of matplotlib's font cache (fast start, nothing shared).
    Done once, before the first launch: once student code has run, the grader (root) does not write into the
    folder again, where a symlink the student planted would redirect the write."""
    (workdir / ".tmp").mkdir(exist_ok=True)
    if mpl_cache is not None and mpl_cache.is_dir():
        shutil.copytree(mpl_cache, workdir / ".matplotlib", dirs_exist_ok=True)


class KernelProcess:
    """Starts and kills one kernel; `start` returns the client and the grader's end of the bridge socket.

    `limits` (``course.Limits.kernel()``) are set in the kernel before any student code; the process limit
    only with a uid of its own. `output_bytes` caps each message the grader accepts from it. The kernel dies
    with the thread that launched it (a parent-death signal, which Linux ties to the thread): launch it from
    one that outlives it.
    """

    def __init__(self, workdir: Path, *, limits: dict, protections: sandbox.Protections,
                 output_bytes: int = 16 * 2**20, mpl_cache: Path | None = None, device: str = "cpu",
                 zygote: str | None = None):
        """`zygote`: the socket of a kernel zygote (`zygote_address`) to fork the kernel from, where the walls
        allow it; without one, or when it refuses, the kernel is a fresh Python."""
        self.workdir = Path(workdir)
        self.protections = protections
        self.device = device
        # On CUDA no address-space cap (the driver maps far more than it uses); the control group bounds memory.
        self.limits = {k: v for k, v in limits.items() if (protections.user or k != "processes")
                       and (device != "cuda" or k != "memory")}
        self.budget = None  # the kernel's control group (cgroup.py), where protections.budget
        self.output_bytes = output_bytes
        self.mpl_cache = mpl_cache
        self.private = Path(tempfile.mkdtemp(prefix="dc-kernel-"))
        self.launch, self.run = self.private / "launch", self.private / "run"
        self.uid = sandbox.draw_uid()  # used when protections.user
        self.tag = os.urandom(8).hex()  # marks every process this kernel starts (see `sweep`)
        self.km: KernelManager | None = None
        self._started: float | None = None
        self.client = None  # the Jupyter client of the running kernel
        self.conn: socket.socket | None = None  # the grader's end of the bridge's socket
        self._log = None
        self._launches = 0
        forkable = protections.user and protections.files and protections.processes and device == "cpu"
        self.zygote = zygote if forkable else None
        self.forked = False  # whether the running kernel was forked from the zygote
        self.zygote_error: str | None = None  # why the last try to fork it failed
        self.launch.mkdir()
        for name in _LAUNCH_FILES:
            shutil.copy(_HERE / name, self.launch / name)
            os.chmod(self.launch / name, 0o644)
        os.chmod(self.launch, 0o755)
        if protections.budget:
            self.budget = Budget(budget_name(self.tag), memory_bytes=limits["memory"], processes=limits["processes"])
        self._spec("dc-student", [sys.executable, "-I", str(self.launch / "boot.py"), "-f", "{connection_file}"])
        if self.zygote:
            self._spec("dc-student-forked", [sys.executable, "-I", "-S", "-c", HOLDER])

    def _spec(self, name: str, argv: list) -> None:
        """A kernel spec `name` that runs `argv` behind the walls (and in the budget)."""
        argv = sandbox.wrap(argv, self.protections, uid=self.uid, launch=self.launch, run=self.run,
                            workdir=self.workdir, devices=sandbox.gpu_devices(os.environ.get("CUDA_VISIBLE_DEVICES"))
                            if self.device == "cuda" else ())
        if self.budget is not None:
            argv = self.budget.enter(argv)
        spec_dir = self.private / "kernels" / name
        spec_dir.mkdir(parents=True)
        spec = {"argv": argv,
                "display_name": "diffcourse student kernel", "language": "python",
                # behind bubblewrap the kernel is not the launched process: interrupt it by a control message
                "interrupt_mode": "message" if self.protections.processes else "signal"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def start(self) -> None:
        """Launch the kernel; `client` and `conn` are set once the launch is under way (not yet ready)."""
        if self.zygote and os.path.exists(self.zygote):  # not up yet (it is importing torch): the usual launch
            try:
                self._launch(forked=True)
                return
            except OSError as err:  # it refused or is gone: this launch is the usual one
                self.zygote_error = str(err)
                self.stop()
        self._launch(forked=False)

    def unfork(self, why: str) -> None:
        """Launch this kernel the usual way from now on (a forked one did not come up: `why`)."""
        self.zygote, self.zygote_error = None, why

    def _launch(self, forked: bool) -> None:
        shutil.rmtree(self.run, ignore_errors=True)
        self.run.mkdir()
        ksm = KernelSpecManager(kernel_dirs=[str(self.private / "kernels")], ensure_native_kernel=False)
        self.km = KernelManager(kernel_name="dc-student-forked" if forked else "dc-student", kernel_spec_manager=ksm,
                                transport="ipc", ip=str(self.run / "ipc"),
                                connection_file=str(self.run / "connection.json"))
        self.km.write_connection_file()  # before the launch, to hand it to the kernel's uid
        self._log = open(self.private / "kernel.log", "ab")  # the kernel's own stderr, not the TA's terminal
        ours, theirs = socket.socketpair()
        ready = ()
        try:
            env = kernel_env(self.workdir, limits=self.limits, tag=self.tag, bridge_fd=theirs.fileno(),
                             device=self.device)
            first = self._launches == 0
            if first:
                prepare_workdir(self.workdir, self.mpl_cache)
            if self.protections.user:  # run/ is new for each launch; the work folder is the kernel's from the first
                sandbox.hand_over(self.uid, *([self.run, self.workdir] if first else [self.run]))
            self._launches += 1
            if forked:  # the sandbox with its placeholder, then the kernel forked into it
                ready = os.pipe()
                self.km.start_kernel(cwd=str(self.workdir), env={"PATH": env["PATH"], "DC_READY_FD": str(ready[1])},
                                     stdout=self._log, stderr=self._log, pass_fds=(ready[1],))
                os.close(ready[1])
                ready = (ready[0],)
                self._started = started_at(self.pid)  # so that a refusal's clean-up finds the sandbox
                umask = os.umask(0o077)
                os.umask(umask)
                request = {"bwrap": self.pid, "uid": self.uid, "workdir": str(self.workdir), "umask": umask,
                           "boot": str(self.launch / "boot.py"), "connection_file": self.km.connection_file,
                           "env": {**{k: v for k, v in env.items() if k != "DC_BRIDGE_FD"},
                                   "PWD": str(self.workdir)},  # as bubblewrap's --chdir sets it
                           "cgroups": [str(f / "cgroup.procs") for f in self.budget.folders] if self.budget else []}
                fork_from_zygote(self.zygote, request, [ready[0], theirs.fileno(), self._log.fileno()])
            else:
                self.km.start_kernel(cwd=str(self.workdir), env=env, stdout=self._log, stderr=self._log,
                                     pass_fds=(theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            for fd in ready:
                os.close(fd)
        self.forked = forked
        self._started = started_at(self.pid)  # now, while the pid is surely the kernel's
        self.conn = ours
        self.client = self.km.blocking_client()
        self.client.context.setsockopt(zmq.MAXMSGSIZE, self.output_bytes)  # a larger message drops, not the grader
        self.client.start_channels()

    @property
    def pid(self) -> int | None:
        try:
            return self.km.provisioner.process.pid  # type: ignore[union-attr]
        except AttributeError:
            return None

    @property
    def started(self) -> float | None:
        """The kernel process's start time, read at launch (see `kill_tree`)."""
        return self._started

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def interrupt(self) -> None:
        try:
            self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001 - the process may be gone
            pass

    def kill(self) -> None:
        """Kill the kernel and everything it started (its session, and detached processes with its tag).

        Returns once the kernel process is gone, so that `alive()` is false right after.
        """
        if self._started is not None:  # the pid only while it is still the kernel's: once reaped it is reused
            kill_tree(self.pid, self._started)
        sweep(self.tag)
        if self.budget is not None:  # whatever else is in its control group, detached or not
            self.budget.kill()
        try:
            self.km.provisioner.process.wait(timeout=10)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - no process, or one that cannot be waited for
            pass

    def stop(self) -> None:
        """Kill the kernel and release its resources; the private folder stays for a restart."""
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.km is not None:
            self.kill()
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - the process is already gone
                pass
            self.km.cleanup_resources()
            self.km = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self) -> None:
        self.stop()
        if self.budget is not None:
            self.budget.remove()
        shutil.rmtree(self.private, ignore_errors=True)


def budget_name(tag: str) -> str:
    """The control group of the kernel tagged `tag` (so a batch can remove it after the worker died)."""
    return f"kernel-{tag}"


_zygote_lock = threading.Lock()
_zygote: dict = {}  # "proc": the server (subprocess.Popen), "path": its socket


def zygote_address(protections: sandbox.Protections, device: str = "cpu", *, start: bool = True) -> str | None:
    """The socket of this process's kernel zygote (`zygote.py`), started now unless it runs already or `start` is
    false; None where kernels are not forked: without every wall but the budget (the kernel joins bubblewrap's
    namespaces as root, then drops to its uid), on CUDA, or with ``DIFFCOURSE_ZYGOTE=off``. The socket appears once
    the server has imported torch (about 3 s); a kernel launched before that is launched the usual way."""
    if (os.environ.get("DIFFCOURSE_ZYGOTE", "on") == "off" or device != "cpu" or not sys.platform.startswith("linux")
            or not (protections.user and protections.files and protections.processes)):
        return None
    with _zygote_lock:
        proc = _zygote.get("proc")
        if proc is None or proc.poll() is not None:
            if not start:
                return None
            folder = Path(tempfile.mkdtemp(prefix="dc-zygote-"))  # 0700: only the grader may connect
            env = {k: v for k, v in kernel_env(folder, limits={}, tag="", bridge_fd=-1).items()
                   if not k.startswith("DC_")}
            with open(folder / "zygote.log", "ab") as log:
                proc = subprocess.Popen([sys.executable, "-I", str(_HERE / "zygote.py"), str(folder / "socket")],
                                        stdin=subprocess.PIPE, stdout=log, stderr=log, env=env, cwd=folder,
                                        start_new_session=True)
            _zygote.update(proc=proc, path=str(folder / "socket"))
            atexit.register(_stop_zygote, proc, folder)
        return _zygote["path"]


def _stop_zygote(proc: subprocess.Popen, folder: Path) -> None:
    proc.kill()
    proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


def fork_from_zygote(path: str, request: dict, fds: list, timeout: float = 90.0) -> int:
    """Ask the zygote at `path` to fork a kernel (`zygote.py` says what `request` and `fds` are); returns its pid.
    OSError when it is not there or refused (the message says why)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(path)
        data = json.dumps(request).encode()
        sent = socket.send_fds(conn, [data], fds)
        conn.sendall(data[sent:])
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    try:
        answer = json.loads(reply)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or not isinstance(answer.get("pid"), int):
        why = answer.get("error") if isinstance(answer, dict) else None
        raise OSError(f"the kernel zygote did not fork the kernel: {why or 'no answer'}"[:1000])
    return answer["pid"]
