"""The student's kernel: a separate process the grader talks to over the Jupyter protocol.

The grader never imports, unpickles or trusts anything from the student's side. It sends code to
run (the notebook's cells, then one bridge call per check example) and receives arrays as `.npz`
bytes loaded with `allow_pickle=False`. Every execution has a deadline; a kernel that dies or
stops answering is reported as `KernelLost` and can be restarted.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import zmq
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from . import wire

RESULT_MIME = "application/x-diffcourse-result+json"
_HERE = Path(__file__).resolve().parent
_MAX_TEXT = 4000  # characters of student output kept for feedback


class KernelLost(BaseException):
    """The student's kernel died or did not answer in time; no further code can run in it.

    A BaseException so that property-based search (hypothesis) stops at once instead of
    shrinking against a dead kernel.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StudentError(Exception):
    """The student's function raised, or returned something that is not an array of numbers."""


@dataclass
class Execution:
    """What one execution request produced."""

    status: str  # "ok", "error", "timeout" or "died"
    error: str = ""
    stdout: str = ""
    payloads: list = field(default_factory=list)


def sweep(tag: str) -> int:
    """Kill every process whose environment carries `tag` (a kernel's detached leftovers); returns the count.

    A student's code can start processes that leave the kernel's process group (setsid, double fork);
    they still inherit the kernel's environment, so this finds them after the kernel is gone.
    """
    needle = f"DC_KERNEL_TAG={tag}".encode()
    killed = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (OSError, ValueError):
            continue
    return killed


def _kernel_env(workdir: Path, mpl_cache: Path | None, memory_bytes: int, tag: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(workdir),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "IPYTHONDIR": str(workdir / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TMPDIR": str(workdir / ".tmp"),
        "DC_MEMORY_BYTES": str(int(memory_bytes)),
        "DC_KERNEL_TAG": tag,
    }
    (workdir / ".tmp").mkdir(exist_ok=True)
    if mpl_cache is not None:  # a private copy of the font cache: fast start, nothing shared
        shutil.copytree(mpl_cache, workdir / ".matplotlib", dirs_exist_ok=True)
    return env


class StudentKernel:
    """One kernel process running in `workdir` with the course's reference code out of reach."""

    def __init__(self, workdir: Path, *, mpl_cache: Path | None = None, startup_timeout: float = 60.0,
                 memory_bytes: int = 4 * 2**30):
        self.workdir = Path(workdir)
        self.memory_bytes = memory_bytes
        self.mpl_cache = mpl_cache
        self.startup_timeout = startup_timeout
        self._private = Path(tempfile.mkdtemp(prefix="dc-kernel-"))
        self._token = "\x00dc-rpc:" + os.urandom(8).hex() + ":"
        self.tag = os.urandom(8).hex()  # marks every process this kernel starts (see `sweep`)
        self.km: KernelManager | None = None
        self.kc = None
        self.rpc: Callable[[dict], dict] | None = None  # answers proxy requests (set by the grader)
        self._write_kernelspec()

    # -- lifecycle -------------------------------------------------------------------------
    def _write_kernelspec(self) -> None:
        for name in ("kernel_boot.py", "kernel_side.py"):
            shutil.copy(_HERE / name, self._private / name)
        spec_dir = self._private / "kernels" / "dc-student"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-I", str(self._private / "kernel_boot.py"), "-f", "{connection_file}"],
            "display_name": "diffcourse student kernel",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def start(self) -> None:
        ksm = KernelSpecManager(kernel_dirs=[str(self._private / "kernels")], ensure_native_kernel=False)
        self.km = KernelManager(kernel_name="dc-student", kernel_spec_manager=ksm)
        self._log = open(self.workdir / ".kernel.log", "ab")  # the kernel's own stderr, not the TA's terminal
        self.km.start_kernel(cwd=str(self.workdir), env=_kernel_env(self.workdir, self.mpl_cache, self.memory_bytes, self.tag),
                             stdout=self._log, stderr=self._log)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as err:
            self.shutdown()
            raise KernelLost(f"the kernel did not start: {err}") from None

    def restart(self) -> None:
        self.shutdown(keep_private=True)
        self.start()

    def shutdown(self, keep_private: bool = False) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            self._kill_group()
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - the process may already be gone
                pass
            self.km.cleanup_resources()
            self.km = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if not keep_private:
            shutil.rmtree(self._private, ignore_errors=True)

    def _kill_group(self) -> None:
        """Kill the kernel and anything it started (its session, and detached processes with its tag)."""
        pid = self.pid
        if pid:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
        sweep(self.tag)

    @property
    def pid(self) -> int | None:
        try:
            return self.km.provisioner.process.pid  # type: ignore[union-attr]
        except AttributeError:
            return None

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    # -- execution -------------------------------------------------------------------------
    def execute(self, code: str, timeout: float) -> Execution:
        """Run `code`; on timeout interrupt it, and kill the kernel if the interrupt is ignored."""
        if not self.alive():
            return Execution("died", "the kernel is not running")
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=True, stop_on_error=False)
        result = self._collect(msg_id, time.monotonic() + timeout)
        if result.status == "timeout":
            self._interrupt()
        return result

    def _interrupt(self) -> None:
        """Interrupt a runaway execution; a kernel that does not settle within 5 s is killed."""
        try:
            self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001
            pass
        probe = self.kc.execute("pass", store_history=False, stop_on_error=False)
        if self._collect(probe, time.monotonic() + 5.0).status not in ("ok", "error"):
            self._kill_group()

    def _collect(self, msg_id: str, deadline: float) -> Execution:
        out = Execution("ok")
        stdout: list[str] = []
        poller = zmq.Poller()
        iopub, stdin = self.kc.iopub_channel.socket, self.kc.stdin_channel.socket
        poller.register(iopub, zmq.POLLIN)
        poller.register(stdin, zmq.POLLIN)
        while True:
            if time.monotonic() > deadline:
                out.status, out.error = "timeout", "did not finish in time"
                break
            ready = dict(poller.poll(50))
            if stdin in ready:
                self._answer_stdin()
            if iopub not in ready:
                if not ready and not self.km.is_alive():
                    out.status, out.error = "died", "the kernel process exited"
                    break
                continue
            try:
                msg = self.kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "stream" and sum(map(len, stdout)) < _MAX_TEXT:
                stdout.append(content.get("text", ""))
            elif kind == "error":
                out.status = "error"
                out.error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:_MAX_TEXT]
            elif kind == "display_data" and RESULT_MIME in content.get("data", {}):
                out.payloads.append(content["data"][RESULT_MIME])
        out.stdout = "".join(stdout)[:_MAX_TEXT]
        return out

    def _answer_stdin(self) -> None:
        """Answer `input()` requests: the bridge's proxy calls go to `self.rpc`, others get ''."""
        try:
            msg = self.kc.stdin_channel.get_msg(timeout=0)
        except queue.Empty:
            return
        prompt = msg["content"].get("prompt", "")
        answer = ""
        if prompt.startswith(self._token) and self.rpc is not None:
            try:
                answer = json.dumps(self.rpc(json.loads(prompt[len(self._token):])))
            except Exception as err:  # noqa: BLE001 - report to the kernel, never crash the grader
                answer = json.dumps({"ok": False, "error": f"grader stand-in failed: {err}"})
        self.kc.input(answer)

    # -- calling the student's functions ---------------------------------------------------
    def call(self, name: str, spec: dict, arrays: dict, timeout: float) -> dict:
        """Call the student's `name(**args)` and return its outputs as numpy arrays.

        Raises StudentError when the function raises or returns non-numbers, KernelLost when
        the kernel dies or the call does not finish within `timeout` seconds.
        """
        code = (
            "import _dc_bridge as __dc\n"
            f"__dc.call(get_ipython().user_ns, {name!r}, {json.dumps(json.dumps(spec))}, "
            f"{wire.encode(arrays)!r})\n"
            "del __dc"
        )
        run = self.execute(code, timeout)
        if run.status == "timeout":
            raise KernelLost(f"{name} did not return within {timeout:g} s (an infinite loop?)")
        if run.status == "died":
            raise KernelLost(f"the kernel died while {name} ran (os._exit, a crash, or out of memory)")
        if not run.payloads:
            raise StudentError(f"raised {run.error}" if run.error else "produced no result (did it exit?)")
        payload = run.payloads[-1]
        if not isinstance(payload, dict) or not payload.get("ok"):
            raise StudentError(str(payload.get("error", "unknown error")) if isinstance(payload, dict) else "bad result")
        try:
            return wire.decode(payload["arrays"])
        except (ValueError, KeyError, TypeError) as err:
            raise StudentError(f"returned something that is not an array of numbers ({err})") from None

    def install_proxies(self, helpers: dict[str, list[str]], timeout: float = 10.0) -> None:
        """Replace the student's helpers (name -> parameter names) by grader-answered stand-ins."""
        code = (
            "import _dc_bridge as __dc\n"
            "__dc_saved = globals().setdefault('__dc_saved', {})\n"
            f"for __n, __p in {helpers!r}.items():\n"
            "    __dc_saved.setdefault(__n, globals().get(__n))\n"
            f"    globals()[__n] = __dc.make_proxy(__n, {self._token!r}, __p, __dc_saved[__n])\n"
            "del __dc, __n, __p"
        )
        self._require_ok(self.execute(code, timeout))

    def remove_proxies(self, timeout: float = 10.0) -> None:
        code = (
            "for __n, __f in globals().pop('__dc_saved', {}).items():\n"
            "    globals()[__n] = __f\n"
            "    if __f is None: del globals()[__n]\n"
        )
        self._require_ok(self.execute(code, timeout))

    @staticmethod
    def _require_ok(run: Execution) -> None:
        if run.status in ("timeout", "died"):
            raise KernelLost(run.error)
