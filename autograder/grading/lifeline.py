"""The worker server's tie to the batch that started it: imported by the server alone (`spawn` makes it the last
module the server preloads), never by a worker, a kernel or the grader.

The standard library ends the server once every copy of a pipe's write end is closed: the batch's, and one it hands
each worker (which `spawn._serve` closes first thing). A copy held anywhere else keeps the server up after the batch
is gone, and with it every worker it forked, since a worker dies with the server (`spawn._serve`). Three times in
seven runs of the whole suite (one of them CI's) a worker forked just before its batch was SIGKILLed was still
grading 30 s later, its server alive. So the server does not rely on the pipe alone: once a second it checks that
the batch is still its parent (a process whose parent dies is handed to another, so the answer cannot be fooled by a
reused pid), and when it is not, it kills every worker it forked, finished starting or not, and exits without
Python's slow shutdown. Its ordinary end (the pipe closed) skips that shutdown too: tearing down torch and the
checks took about 1 CPU-s, and the server has nothing to clean up. The batch's pid comes from `spawn` (an
environment variable the server inherits), not from the server's parent at import time: a batch killed while the
server was still importing is seen too."""

from __future__ import annotations

import atexit
import os
import signal
import sys

import psutil

from .spawn import SERVER_BATCH

PERIOD = 1.0  # seconds between checks; the server otherwise sleeps in select(), and each check is one system call


def _end() -> None:
    """Kill every child of this process (workers, and any forked one still starting), then exit at once."""
    for child in psutil.Process().children():
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    os._exit(0)


def arm(batch: int) -> None:
    """Check every `PERIOD` seconds (SIGALRM; the server's own loop is the standard library's) that `batch` is still
    this process's parent; end this process and its children when it is not, or already now. A process forked from
    here (a worker) inherits neither the timer nor the handler."""

    def check(signum, frame) -> None:
        if os.getppid() != batch:
            _end()

    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGALRM, signal.SIG_DFL))
    signal.signal(signal.SIGALRM, check)
    signal.setitimer(signal.ITIMER_REAL, PERIOD, PERIOD)
    check(signal.SIGALRM, None)  # the batch went while the server was importing


def _quick_exit() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# Only in a server `spawn` started, which names its batch (in its environment as the server started, and nowhere
# else): imported anywhere else, this module does nothing.
_batch = os.environ.pop(SERVER_BATCH, "")
if _batch.isdigit():
    atexit.register(_quick_exit)  # runs first (registered last); a worker never runs atexit (the server os._exits it)
    arm(int(_batch))
