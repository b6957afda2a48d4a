"""Start a batch's workers forked from a server that has imported torch and the checks once.

Each submission keeps a worker process of its own (a submission that takes its grader down costs only itself),
but a fresh Python that imports torch, the kernel client, the engine and one assignment's checks pays about 4.6 s of
CPU before it grades anything (measured on a quiet two-core AMD EPYC; torch alone is about 3.3 s): more than the
hidden checks of a small submission cost. The standard library's
forkserver (`multiprocessing`) imports `autograder.grading.preload` once, in a process of its own started the first
time a worker is needed, and forks each worker from that state; the worker then runs `worker.main` with the
arguments, environment, working folder and log a `subprocess.Popen` would have given it.

The server never runs a submission, a check or a CUDA call (importing torch starts neither CUDA nor a thread pool),
so every worker starts from the same clean state. It exits when the process that started it does (the standard
library watches a pipe; `lifeline` also checks the server's parent once a second and kills the server's workers),
and the workers die with it (`_serve`), so a batch killed outright still leaves nothing behind. On CUDA the batch
starts its workers with `subprocess` as before (`batch.Runner`).
"""

from __future__ import annotations

import ctypes
import io
import multiprocessing
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from multiprocessing import context, forkserver, popen_forkserver, spawn, util

import setproctitle

PRELOAD = "autograder.grading.preload"
LIFELINE = "autograder.grading.lifeline"  # imported last, by the server alone: it ends with its batch
SERVER_BATCH = "DIFFCOURSE_SERVER_BATCH"  # the pid of the batch starting a server, for its lifeline; set only then

_lock = threading.Lock()
_context = None


def _server():
    """The forkserver context, its preload set the first time (the server itself starts with the first worker)."""
    global _context
    with _lock:
        if _context is None:
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload([PRELOAD, LIFELINE])
            _context = server
        return _context


class _WithoutMain(popen_forkserver.Popen):
    """The standard library's forkserver launch, less one thing: the child does not import the parent's main script
    again (as ``__mp_main__``). A TA's script that grades a folder without an ``if __name__ == "__main__"`` guard
    would otherwise start grading again in every worker, and `diffcourse` would import its CLI in each. The rest is
    `multiprocessing.popen_forkserver.Popen._launch` as of Python 3.10-3.13."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            context.reduction.dump(prep_data, buf)
            context.reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # the child's sentinel of this process, as the standard library keeps it
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Worker(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _WithoutMain(process_obj)


class Forked:
    """A worker forked by the server, with the part of `subprocess.Popen`'s interface `batch.Runner` uses:
    ``pid`` (its own session and process group), ``poll()``, ``wait(timeout)`` and ``returncode`` (negative for a
    signal, as Popen's)."""

    def __init__(self, argv: list, env: dict, log: str):
        """`argv`: `worker.main`'s arguments; `env`: its whole environment; `log`: the file its stdout and stderr
        are appended to."""
        self.args = argv
        _server()
        with _lock:  # a server started now checks that this process, its batch, is alive (lifeline.py)
            os.environ[SERVER_BATCH] = str(os.getpid())
            try:
                forkserver.ensure_running()
            finally:
                del os.environ[SERVER_BATCH]
        server = forkserver._forkserver._forkserver_pid  # noqa: SLF001 - the worker checks it is still its parent
        self._process = _Worker(target=_serve, args=(list(argv), dict(env), os.getcwd(), str(log), server),
                                daemon=True, name="diffcourse-worker")
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self._process.exitcode


def _serve(argv: list, env: dict, cwd: str, log: str, server: int) -> None:
    """In the forked worker: become what `subprocess.Popen(..., start_new_session=True)` would have started, then
    grade. Exits with `worker.main`'s code (an exception: 1, its traceback in the log). Dies with the server
    (`server`: its pid), which dies with the batch; forked just as the server went, it stops at once."""
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG, before anything else
    if os.getppid() != server:  # the server is gone already (so is the batch): its death signal will not come
        os._exit(1)
    _leave_the_server_free()
    setproctitle.setproctitle(shlex.join([sys.executable, "-m", "autograder.grading.worker", *argv]))
    os.setsid()
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, target in ((null, 0), (out, 1), (out, 2)):
        os.dup2(fd, target)
    os.close(out)
    os.close(null)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # recomputed from the worker's TMPDIR
    os.chdir(cwd)
    from .worker import main

    main.main(args=argv, prog_name="autograder.grading.worker")


def _leave_the_server_free() -> None:
    """Close this worker's copy of the pipe that keeps the server alive while its clients live. The standard library
    hands every forked process one (so that it may start processes of its own); kept, a worker that outlived its
    batch (a hung check) would keep the server up, and the server's exit is what kills the worker
    (`worker._die_with_parent`): neither would ever go."""
    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        os.close(fd)
        server._forkserver_alive_fd = None
