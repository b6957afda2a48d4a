"""The student's kernel as the grader uses it: run cells, then call the student's functions.

`StudentKernel` puts together the process (`process.py`), the Jupyter channel (`channel.py`) and the
bridge (`bridge.py`, running in the kernel). The grader never imports, unpickles or trusts anything from
the student's side: it sends code to run (the notebook's cells, then one line that starts the bridge's
loop) and exchanges arguments and results as payloads of numeric arrays (`codec.py`). Every wait has a
deadline; a kernel that dies or stops answering is reported as `KernelLost` and can be restarted.
"""

from __future__ import annotations

import contextlib
import select
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..course import Limits
from . import bridge, codec, sandbox
from .channel import Channel, Execution
from .process import KernelProcess, zygote_address

INTERRUPT_GRACE = 5.0  # seconds an interrupted call gets to unwind before the kernel is killed
FRAME_GRACE = 10.0  # seconds a message that started arriving gets to arrive whole


class KernelLost(BaseException):
    """The student's kernel died or did not answer in time; no further code can run in it.

    A BaseException so that property-based search (hypothesis) stops at once instead of
    shrinking against a dead kernel.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BridgeUnavailable(KernelLost):
    """The kernel runs, but the bridge's loop does not answer (the notebook broke it): no call can be made."""


class CallTimeout(BaseException):
    """A call ran past its limit and was interrupted; the kernel is still usable.

    A BaseException for the same reason as `KernelLost`: another example would only lose the same time.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DeviceFailed(RuntimeError):
    """The kernel could not put a call's arguments on the grading device (a driver or sandbox problem): graded as
    a grader error, never as the student's."""


class StudentError(Exception):
    """The student's function raised, or returned something that is not numbers."""


@dataclass
class Reply:
    """A call's result: outputs as tensors, what they were, inputs changed in place, and gradients."""

    outputs: tuple
    meta: list
    mutated: list = field(default_factory=list)
    grads: dict = field(default_factory=dict)  # "model.W" -> tensor (absent: the loss does not depend on it)
    grads_error: str | None = None


def reply_from(header: dict, payload: bytes) -> Reply:
    """A `Reply` from the bridge's result message (raises StudentError for a failed call)."""
    if not header.get("ok"):
        raise StudentError(str(header.get("error", "failed without a message"))[:2000])
    try:
        arrays = codec.unpack(payload)
        outs = {k: v for k, v in arrays.items() if k.startswith("out")}
        outputs, meta = codec.decode_outputs(header.get("outputs"), outs)
        grads = {k[len("grad."):]: torch.from_numpy(v.copy()) for k, v in arrays.items() if k.startswith("grad.")}
        mutated = [str(m) for m in header.get("mutated", [])]
    except (codec.WireError, TypeError, AttributeError) as err:
        raise StudentError(f"returned something that is not an array of numbers ({err})") from None
    return Reply(outputs, meta, mutated, grads, header.get("grads_error"))


class StandIns:
    """The reference functions that answer the student's helpers while one check runs."""

    def __init__(self):
        self.helpers: dict = {}

    def contracts(self) -> dict:
        return bridge.standin_contracts(self.helpers)

    def answer(self, header: dict, payload: bytes):
        """The reply to one stand-in request: the reference applied to the student's arguments."""
        name = header.get("name")
        if name not in self.helpers:
            return {"op": "standin_reply", "ok": False, "error": f"no stand-in for {name!r} in this check"}, b""
        try:
            args = codec.decode_args(header.get("spec", {}), codec.unpack(payload))
            meta, arrays = codec.encode_outputs(self.helpers[name](**args))
        except Exception as err:  # noqa: BLE001 - a bad call from the student's code fails there, not here
            return {"op": "standin_reply", "ok": False, "error": f"{type(err).__name__}: {err}"[:2000]}, b""
        return {"op": "standin_reply", "ok": True, "outputs": meta}, codec.pack(arrays)

    @contextlib.contextmanager
    def active(self, helpers: dict):
        """Within the block, calls install stand-ins for `helpers` (name -> reference function)."""
        self.helpers = dict(helpers)
        try:
            yield
        finally:
            self.helpers = {}


class StudentKernel:
    """One kernel running in `workdir`, with the course's reference code out of its reach."""

    def __init__(self, workdir: Path, *, mpl_cache: Path | None = None, startup_timeout: float = 60.0,
                 limits: Limits | None = None, process: KernelProcess | None = None):
        """`process`: a `KernelProcess` for `workdir`, possibly launched already (the worker launches it
        before importing torch and the checks, so both start up at the same time). Without it, one is made with
        `limits` (default: `course.Limits()`) behind the walls `sandbox.probe()` finds, forked from this process's
        kernel zygote if one runs (`process.zygote_address`)."""
        self.workdir = Path(workdir)
        if process is None:
            limits = limits or Limits()
            walls = sandbox.probe()
            process = KernelProcess(self.workdir, limits=limits.kernel(), protections=walls,
                                    output_bytes=int(limits.output_mb * 2**20), mpl_cache=mpl_cache,
                                    zygote=zygote_address(walls, start=False))
        self.process = process
        self.startup_timeout = startup_timeout
        self.standins = StandIns()
        self.channel: Channel | None = None
        self._conn = None
        self._serving: str | None = None  # the execute request running the bridge's loop
        self._calls = 0  # ids of call requests
        self.tampered: list[str] = []  # the grader's names the notebook reassigned in the kernel (see boot.py)

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def tag(self) -> str:
        return self.process.tag

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def started(self) -> float | None:
        return self.process.started

    @property
    def forked(self) -> bool:
        """Whether the running kernel was forked from the kernel zygote (`process.zygote_address`)."""
        return self.process.forked

    def alive(self) -> bool:
        return self.process.alive()

    def launch(self) -> None:
        """Start the kernel process without waiting for it (the caller may do other work meanwhile)."""
        if self.process.km is None:
            self.process.start()
        self._conn = self.process.conn
        self.channel = Channel(self.process.client, self.alive)

    def start(self) -> None:
        """Launch the kernel (unless `launch` did) and wait until it answers."""
        if self.channel is None:
            self.launch()
        client = self.channel.client
        try:
            client.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as err:
            if self.process.forked:  # forked from the zygote and did not come up: once more, launched afresh
                self.process.unfork(f"the forked kernel did not start: {err}")
                self._close()
                return self.start()
            self.shutdown()
            raise KernelLost(f"the kernel did not start: {err}") from None

    def restart(self) -> None:
        self._close()
        self.start()

    def shutdown(self) -> None:
        self._close()
        self.process.remove()

    def _close(self) -> None:
        self.channel = self._conn = self._serving = None
        self.process.stop()

    # -- cells -----------------------------------------------------------------------------------
    def execute(self, code: str, timeout: float) -> Execution:
        """Run `code`; on timeout interrupt it, and kill the kernel if the interrupt is ignored."""
        if self._serving:
            self.close_bridge()
        if self.channel is None or not self.alive():
            return Execution("died", "the kernel is not running")
        msg_id = self.channel.begin(code)
        result = self.channel.wait(msg_id, timeout)
        if result.status == "timeout":
            self.process.interrupt()
            if self.channel.wait(msg_id, INTERRUPT_GRACE).status not in ("ok", "error"):
                self.process.kill()
        return result

    # -- calls -------------------------------------------------------------------------------------
    def open_bridge(self, timeout: float = 30.0) -> None:
        """Start the bridge's loop in the kernel (after the notebook ran) and wait until it answers.

        Raises BridgeUnavailable when the loop does not start (a notebook that broke the bridge), KernelLost
        when the kernel is gone.
        """
        if self._serving:
            return
        if self.channel is None or not self.alive():
            raise KernelLost("the kernel is not running")
        self._serving = self.channel.begin("import _dc_bridge\n_dc_bridge.serve(get_ipython().user_ns)")
        try:
            bridge.send(self._conn, {"op": "ping"})
        except OSError:
            self._serving = None
            raise KernelLost("the kernel died before the grader could call its functions") from None
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline, "the bridge started")
            op = message[0].get("op") if message else None
            if op == "pong":
                names = message[0].get("tampered")
                if isinstance(names, list):
                    self.tampered = sorted({*self.tampered, *(str(n)[:100] for n in names[:50])})
                return
            if op != "result":  # a late answer of an interrupted call is skipped; anything else is wrong
                self._serving = None
                raise BridgeUnavailable("the grader could not call the notebook's functions (the bridge "
                                        + ("did not answer in time)" if message is None else "answered nonsense)"))

    def close_bridge(self, timeout: float = 5.0) -> Execution:
        """Stop the bridge's loop; returns its execute request's outcome (output printed during calls)."""
        if self._serving is None or self.channel is None:
            self._serving = None
            return Execution("ok")
        deadline = time.monotonic() + timeout
        try:
            bridge.send(self._conn, {"op": "stop"})
            while (message := self._next(deadline, "the bridge stopped")) and message[0].get("op") != "stopped":
                pass
        except (OSError, KernelLost):
            pass
        msg_id, self._serving = self._serving, None
        return self.channel.wait(msg_id, max(deadline - time.monotonic(), 0.5)) if msg_id else Execution("ok")

    def call(self, name: str, kwargs: dict, *, timeout: float, grads: tuple = (), no_grad: bool = False) -> Reply:
        """Call the student's `name(**kwargs)` (arguments named as in the contract); with `no_grad`, inside
        `torch.no_grad()`.

        Stand-ins set with `self.standins.active(...)` replace the student's helpers during the call.
        Raises StudentError when the function raises or returns something other than numbers,
        CallTimeout when it was interrupted at its time limit, KernelLost when the kernel died, and
        BridgeUnavailable when the bridge's loop stopped.
        """
        self.open_bridge()
        spec, arrays = codec.encode_args(kwargs)
        self._calls += 1
        request = {"op": "call", "id": self._calls, "name": name, "spec": spec, "grads": list(grads),
                   "standins": self.standins.contracts(), **({"no_grad": True} if no_grad else {})}
        try:
            bridge.send(self._conn, request, codec.pack(arrays))
        except OSError:
            self._serving = None
            raise KernelLost(f"the kernel died before {name} was called") from None
        header, payload = self._receive(time.monotonic() + timeout, name, self._calls)
        if header.get("interrupted"):
            raise CallTimeout(f"{name} did not return within {timeout:g} s (an infinite loop?)")
        if header.get("device_error"):  # the grading device failed in the kernel: the grader's problem
            raise DeviceFailed(f"the kernel could not use the grading device: {str(header['device_error'])[:500]}")
        if header.get("lost"):  # a CUDA error that leaves the process's GPU context unusable
            raise KernelLost(f"{name} {str(header.get('error'))[:500]}; after a CUDA error the GPU is unusable in "
                             "that process, so the kernel was restarted")
        return reply_from(header, payload)

    def _next(self, deadline: float, what: str):
        """The next whole message from the bridge, or None at `deadline`.

        KernelLost when the kernel is gone or sends something malformed; BridgeUnavailable when the bridge's
        loop has stopped (the kernel lives, but nothing will answer).
        """
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._conn], [], [], min(left, 0.1))
            if ready:
                try:
                    return bridge.recv(self._conn, deadline=time.monotonic() + FRAME_GRACE)
                except EOFError:
                    self._serving = None
                    raise KernelLost(f"the kernel died while {what} (os._exit, a crash, or out of memory)") from None
                except (TimeoutError, OSError, ValueError) as err:  # codec.WireError is a ValueError
                    self._serving = None
                    raise KernelLost(f"the kernel sent a malformed message while {what} ({err})") from None
            if self._serving is not None:
                run = self.channel.finished(self._serving)
                if run is not None:
                    self._serving = None
                    if not self.alive():
                        raise KernelLost(f"the kernel died while {what} (os._exit, a crash, or out of memory)")
                    raise BridgeUnavailable("the grader could not call the notebook's functions: the bridge "
                                            f"stopped ({run.error or 'it returned'})")

    def _receive(self, deadline: float, what: str, call_id):
        """The reply to call `call_id`, answering stand-in requests meanwhile and ignoring results of other
        ids; interrupts the kernel at the deadline, and kills it if the call ignores the interrupt."""
        interrupted = False
        while True:
            message = self._next(deadline, f"{what} ran")
            if message is None:
                if interrupted:
                    self.process.kill()
                    self._serving = None
                    raise KernelLost(f"{what} did not return and ignored the interrupt; the kernel was stopped")
                interrupted = True
                self.process.interrupt()
                deadline = time.monotonic() + INTERRUPT_GRACE
                continue
            header, payload = message
            if header.get("op") == "standin":
                reply = (self.standins.answer(header, payload) if not interrupted else
                         ({"op": "standin_reply", "ok": False, "error": "the call's time limit was reached"}, b""))
                try:
                    bridge.send(self._conn, *reply)
                except OSError:
                    self._serving = None
                    raise KernelLost(f"the kernel died while {what} ran") from None
                continue
            if header.get("op") != "result" or header.get("id") != call_id:
                continue  # not the answer to this call (a forged or a stale message)
            if interrupted and not header.get("interrupted"):
                header = {**header, "interrupted": True}  # it finished just as the limit passed
            return header, payload
