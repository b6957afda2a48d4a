"""Running code in the kernel over the Jupyter protocol: one execute request, its output, its end.

`jupyter_client`'s `execute_interactive` does this loop too, but it waits on iopub and stdin only, so a
kernel that dies (a cell calling `os._exit`) is noticed only when its timeout runs out; this loop also
watches the shell reply and the process, and notices within 50 ms. Measured on the 2-core machine: a
`pass` round trip takes 6.8 ms here and 7.1 ms with `execute_interactive`.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field

import zmq

MAX_TEXT = 4000  # characters of student output kept for feedback
MAX_IMAGES = 4  # PNG images kept per execute request (a cell's figures, for the student's feedback)
MAX_IMAGE_CHARS = 2_000_000  # base64 characters of one image (about 1.5 MB); larger ones are dropped


@dataclass
class Execution:
    """What one execute request produced."""

    status: str  # "ok", "error", "timeout" or "died"
    error: str = ""
    stdout: str = ""
    images: list = field(default_factory=list)  # base64 PNGs the code displayed (figures), at most MAX_IMAGES


class Channel:
    """Execute requests on a started kernel (`client`), with death noticed through `alive()`."""

    def __init__(self, client, alive):
        self.client = client
        self.alive = alive

    def begin(self, code: str) -> str:
        """Send `code` for execution; returns the request id. `input()` in it raises (no stdin)."""
        return self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)

    def wait(self, msg_id: str, timeout: float) -> Execution:
        """Collect the request's output until the kernel reports it done, dies, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        out, text = Execution("ok"), []
        iopub, shell = self.client.iopub_channel.socket, self.client.shell_channel.socket
        poller = zmq.Poller()
        poller.register(iopub, zmq.POLLIN)
        poller.register(shell, zmq.POLLIN)
        replied = idle = False
        grace = None  # after the reply, a moment for the last output to arrive
        while not idle:
            now = time.monotonic()
            if grace is not None and now > grace:
                break
            if now > deadline:
                out.status, out.error = "timeout", "did not finish in time"
                break
            ready = dict(poller.poll(50))
            if not ready:
                if not self.alive():
                    out.status, out.error = "died", "the kernel process exited"
                    break
                continue
            if shell in ready:
                replied |= self._shell_reply(msg_id, out)
                if replied and grace is None:
                    grace = time.monotonic() + 1.0
            if iopub in ready:
                idle = self._iopub(msg_id, out, text)
        out.stdout = "".join(text)[:MAX_TEXT]
        return out

    def finished(self, msg_id: str) -> Execution | None:
        """The request's outcome if its reply has arrived, without waiting; None while it runs."""
        out = Execution("ok")
        while self.client.shell_channel.socket.poll(0):
            if self._shell_reply(msg_id, out):
                return out
        return None

    def execute(self, code: str, timeout: float) -> Execution:
        if not self.alive():
            return Execution("died", "the kernel is not running")
        return self.wait(self.begin(code), timeout)

    def _shell_reply(self, msg_id: str, out: Execution) -> bool:
        try:
            msg = self.client.get_shell_msg(timeout=0)
        except queue.Empty:
            return False
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            return False
        content = msg.get("content", {})
        if content.get("status") == "error" and out.status == "ok":
            out.status = "error"
            out.error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:MAX_TEXT]
        return True

    def _iopub(self, msg_id: str, out: Execution, text: list) -> bool:
        """Read one iopub message; True when it says the request is done. (The caps here bound what is kept, not
        what arrives: refusing a message too large for memory is the sandbox's job, issue 11.)"""
        try:
            msg = self.client.get_iopub_msg(timeout=0)
        except queue.Empty:
            return False
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            return False
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content.get("execution_state") == "idle":
            return True
        if kind == "stream" and sum(map(len, text)) < MAX_TEXT:
            text.append(content.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            png = (content.get("data") or {}).get("image/png")
            if isinstance(png, str) and len(png) <= MAX_IMAGE_CHARS and len(out.images) < MAX_IMAGES:
                out.images.append(png)
        elif kind == "error":
            out.status = "error"
            out.error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:MAX_TEXT]
        return False
