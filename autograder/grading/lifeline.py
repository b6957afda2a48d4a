"""The worker server's tie to the batch that started it: imported by the server alone (`spawn` makes it the last
module the server preloads), never by a worker, a kernel or the grader.

The standard library ends the server once every copy of a pipe's write end is closed: the batch's, and one it hands
each worker (which `spawn._serve` closes first thing). A copy held anywhere else keeps the server up after the batch
is gone, and with it every worker it forked, since a worker dies with the server (`spawn._serve`). Three times in
seven runs of the whole suite (one of them CI's) a worker forked just before its batch was SIGKILLed was still
grading 30 s later, its server alive. So the server does not rely on the pipe alone: once a second it checks that the batch is still its
parent (a process whose parent dies is handed to another, so the answer cannot be fooled by a reused pid), and when
it is not, it kills every worker it forked, finished starting or not, and exits without Python's slow shutdown.
Its ordinary end (the pipe closed) skips that shutdown too: tearing down torch and the checks took about 1 CPU-s,
and the server has nothing to flush or to clean up."""

from __future__ import annotations

import atexit
import os
import signal

import psutil

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
    this process's parent; end this process and its children when it is not. A worker forked from here inherits the
    handler but not the timer, and resets the handler (`spawn._serve`)."""

    def check(signum, frame) -> None:
        if os.getppid() != batch:
            _end()

    signal.signal(signal.SIGALRM, check)
    signal.setitimer(signal.ITIMER_REAL, PERIOD, PERIOD)


atexit.register(os._exit, 0)  # run first (last registered); a worker never runs it (the server ends it by os._exit)
# The server is the batch's own child (the standard library starts it directly). A batch gone while the server was
# still importing is not seen here, but then no worker holds the pipe yet and the standard library ends the server.
arm(os.getppid())
