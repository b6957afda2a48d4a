"""Kernels forked from the kernel zygote (autograder/boundary/zygote.py): graded as launched ones, their death ends
their sandbox, a zygote that is absent or refuses costs a launch and nothing else, and the zygote goes with its
grader. What a forked kernel can see and do is test_sandbox.py's `test_a_kernel_behind_the_walls`, run both ways,
and every attack of test_hostile.py meets forked kernels (its batch starts the zygote)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograder import course
from autograder.boundary import process, sandbox
from autograder.boundary.kernel import StudentKernel
from autograder.grading.batch import grade_folder

ROOT = Path(__file__).resolve().parents[1]
WALLS = sandbox.probe()
pytestmark = pytest.mark.skipif(not (WALLS.user and WALLS.files and WALLS.processes),
                                reason=f"kernels are forked only behind bubblewrap as root: {WALLS.summary()}")


def _serving() -> str:
    address = process.zygote_address(WALLS)
    deadline = time.monotonic() + 60
    while not os.path.exists(address):
        assert time.monotonic() < deadline, "the zygote did not come up"
        time.sleep(0.1)
    return address


def _kernel(workdir: Path, address: str | None) -> StudentKernel:
    workdir.mkdir()
    limits = course.Limits()
    return StudentKernel(workdir, process=process.KernelProcess(workdir, limits=limits.kernel(), protections=WALLS,
                                                                zygote=address))


def test_a_batch_forks_its_kernels_and_grades_them_as_launched_ones(tmp_path, monkeypatch):
    folder = ROOT / "tests" / "submissions" / "hw1_score"
    picked = tmp_path / "in"
    picked.mkdir()
    for name in ("wrong_tweedie_sigma", "wrong_dsm_no_sigma_weight", "hostile_import_reference"):
        (picked / f"{name}.ipynb").write_bytes((folder / f"{name}.ipynb").read_bytes())
    _serving()
    graded = {}
    for way in ("on", "off"):
        monkeypatch.setenv("DIFFCOURSE_ZYGOTE", way)
        graded[way] = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=picked,
                                                             out=tmp_path / way, workers=2, progress=False,
                                                             cache=False)}
    assert sorted(graded["on"]) == sorted(graded["off"]) == sorted(p.stem for p in picked.iterdir())
    for name, forked in graded["on"].items():
        launched = graded["off"][name]
        assert forked.kernel["forked"] and not launched.kernel["forked"]
        assert forked.questions == launched.questions and forked.flags == launched.flags
        assert (tmp_path / "on" / "feedback" / f"{name}.txt").read_text() == \
            (tmp_path / "off" / "feedback" / f"{name}.txt").read_text()
    assert graded["on"]["hostile_import_reference"].flags  # the attack is caught in a forked kernel too


def test_a_forked_kernels_death_ends_its_sandbox_and_leaves_nothing(tmp_path):
    address = _serving()
    zygote = psutil.Process(process._zygote["proc"].pid)
    kernels = [_kernel(tmp_path / f"work{i}", address) for i in range(2)]
    try:
        draws = []
        for k in kernels:
            k.start()
            assert k.forked, k.process.zygote_error
            run = k.execute("import random, numpy as np\nprint(random.random(), np.random.rand())", 30)
            assert run.status == "ok", run
            draws.append(run.stdout)
        assert draws[0] != draws[1]  # each kernel reseeds what it inherited
        k = kernels[0]
        uid = k.process.uid
        k.execute("import subprocess; subprocess.Popen(['sleep', '300'], start_new_session=True)", 30)
        died = k.execute("import os; os._exit(3)", 60)
        assert died.status == "died" and not k.alive()  # the sandbox ended with its kernel: seen, not timed out
        time.sleep(0.5)
        assert _processes_of(uid) == []  # the detached sleep too
        assert kernels[1].alive() and kernels[1].execute("print(1)", 30).stdout == "1\n"
    finally:
        for k in kernels:
            k.shutdown()
    deadline = time.monotonic() + 10
    while zygote.children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert zygote.children() == []  # no child of the zygote outlives its kernel


def _false_zygote(path: Path, answer: dict) -> threading.Thread:
    """A server on `path` that takes one request and gives `answer` without forking anything."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1 << 16, 8)
            for fd in fds:
                os.close(fd)
            while conn.recv(1 << 16):  # the rest of the request, as the zygote reads it
                pass
            conn.sendall(json.dumps(answer).encode())
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("zygote", ["absent", "refusing", "forking nothing"])
def test_a_zygote_absent_refusing_or_failing_costs_a_launch_and_nothing_else(tmp_path, zygote):
    """Not up yet: the kernel is launched at once. It refuses, or says it forked a kernel that never answers: the
    sandbox it was offered is stopped and the kernel launched afresh."""
    address = tmp_path / "socket"
    server = None
    if zygote != "absent":
        server = _false_zygote(address, {"error": "no kernels today"} if zygote == "refusing" else {"pid": 1})
    (tmp_path / "work").mkdir()
    limits = course.Limits()
    process_ = process.KernelProcess(tmp_path / "work", limits=limits.kernel(), protections=WALLS,
                                     zygote=str(address))
    k = StudentKernel(tmp_path / "work", process=process_, startup_timeout=15)
    try:
        k.start()
        assert not k.forked
        if zygote == "absent":
            assert process_.zygote_error is None  # nothing was asked of it
        else:
            assert {"refusing": "no kernels today", "forking nothing": "the forked kernel did not start"}[zygote] \
                in process_.zygote_error
        assert k.execute("print(6 * 7)", 30).stdout == "42\n"
        ours = [p.info["name"] for p in psutil.process_iter(["name", "ppid"]) if p.info["ppid"] == os.getpid()]
        assert ours.count("bwrap") == 1  # the offered one is gone
    finally:
        k.shutdown()
    if server is not None:
        server.join(5)


def test_the_zygote_goes_with_its_grader(tmp_path):
    code = ("import os, sys, time\nfrom autograder.boundary import process, sandbox\n"
            "address = process.zygote_address(sandbox.probe())\n"
            "while not os.path.exists(address): time.sleep(0.1)\n"
            "print(process._zygote['proc'].pid, flush=True)\ntime.sleep(600)\n")
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        zygote = psutil.Process(int(grader.stdout.readline()))
        assert zygote.is_running()
        grader.send_signal(signal.SIGKILL)  # no clean-up runs: the zygote sees its stdin close
        zygote.wait(timeout=15)
    finally:
        grader.kill()
        grader.wait()


def test_the_zygote_forks_nothing_outside_a_kernels_walls(tmp_path):
    """A request for a root kernel, for a control group that is not a kernel's budget, or into a 'sandbox' whose
    command does not run as the requested uid is refused before anything is forked or written."""
    address = _serving()
    nested = subprocess.Popen(["sh", "-c", "sh -c 'sleep 60; true'; true"])  # a process, its child, its grandchild
    try:
        time.sleep(0.5)
        uid = sandbox.draw_uid()
        cases = [({"uid": 0}, "never runs as root"),
                 ({"uid": uid, "cgroups": ["/etc/passwd"]}, "not a kernel's budget"),
                 ({"uid": uid, "cgroups": ["/sys/fs/cgroup/memory/diffcourse/kernel-x/../../cgroup.procs"]},
                  "not a kernel's budget"),
                 ({"uid": uid, "cgroups": []}, "does not run as the kernel's uid")]  # the grandchild runs as root
        for fields, why in cases:
            ready_r, ready_w = os.pipe()
            os.write(ready_w, b"x")  # as the placeholder would
            os.close(ready_w)
            request = {"bwrap": nested.pid, "workdir": str(tmp_path), "boot": "/nonexistent", "umask": 0o077,
                       "connection_file": "/nonexistent", "env": {}, **fields}
            ours, theirs = socket.socketpair()
            try:
                with open(os.devnull, "wb") as log, pytest.raises(OSError, match=why):
                    process.fork_from_zygote(address, request, [ready_r, theirs.fileno(), log.fileno()])
            finally:
                os.close(ready_r)
                ours.close()
                theirs.close()
    finally:
        nested.kill()
        nested.wait()
    assert _processes_of(uid) == []


def _processes_of(uid: int) -> list:
    """The pids of the processes running as `uid` (one that ends while they are listed is left out)."""
    return [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
