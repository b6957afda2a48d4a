"""Workers forked from the worker server (autograder/grading/spawn.py): started as `subprocess.Popen` would start
them, and able to compute after the fork. Batches graded through them are test_batch.py's and test_grading.py's."""

import os
import subprocess
import sys
import time

import psutil
import pytest

from autograder.grading import spawn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _finished(worker, seconds=120.0):
    return worker.wait(timeout=seconds)


def test_a_forked_worker_runs_with_the_given_arguments_environment_and_log(tmp_path):
    """Its output goes to the log (appended), its environment is the one given (not the server's), and its exit code
    is the worker's: 0 for --help, 2 for a usage error (click), as a fresh `python -m` would give."""
    log = tmp_path / "worker.log"
    log.write_text("before\n")
    worker = spawn.Forked(["--help"], {"PATH": os.environ.get("PATH", ""), "DC_MARK": "x"}, log)
    assert _finished(worker) == 0 and worker.returncode == worker.poll() == 0
    text = log.read_text()
    assert text.startswith("before\n") and "Grade one submission" in text
    bad = spawn.Forked(["--no-such-option"], dict(os.environ), log)
    assert _finished(bad) == 2 and "No such option" in log.read_text()


def test_a_forked_worker_leads_a_session_of_its_own_and_is_waited_with_a_timeout(tmp_path):
    """Like Popen(start_new_session=True): the batch kills it with its process group; wait() past the timeout raises
    TimeoutExpired, and a killed worker's code is minus the signal, as Popen's. Its command line is the worker's
    (what the tests and a TA's `ps` look for), not the server's."""
    fifo = tmp_path / "blocks.ipynb"
    os.mkfifo(fifo)  # the worker waits on it until killed
    worker = spawn.Forked(["hw1_score", str(fifo), str(tmp_path / "r.json")], dict(os.environ), tmp_path / "log")
    deadline = time.monotonic() + 60
    while os.getsid(worker.pid) != worker.pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.getpgid(worker.pid) == os.getsid(worker.pid) == worker.pid
    title = " ".join(psutil.Process(worker.pid).cmdline())  # ps shows the worker as a fresh `python -m` would be
    assert "-m autograder.grading.worker hw1_score" in title and str(fifo) in title
    with pytest.raises(subprocess.TimeoutExpired):
        worker.wait(timeout=0.01)
    os.killpg(worker.pid, 9)
    assert _finished(worker) == -9


def test_the_server_starts_no_thread_pool_a_fork_would_lose():
    """After importing what the server preloads (every suite: some build tensors at import), a forked child still
    runs a parallel matrix product on two threads. Without `torch.set_num_threads(1)` first in preload.py the
    child waited forever on OpenMP threads the fork had not copied."""
    script = (
        "import os, signal, sys, torch\n"
        "import autograder.grading.preload\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    signal.alarm(60)  # a hung child dies, and the test fails saying so\n"
        "    torch.set_num_threads(2)\n"
        "    a = torch.ones(1500, 1500)\n"
        "    os._exit(0 if float((a @ a)[0, 0]) == 1500.0 else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n")
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=180, capture_output=True, text=True)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:], time.monotonic() - began)


def test_a_worker_dies_with_the_batch_that_started_it_even_while_it_waits(tmp_path):
    """SIGKILL to the batch: the server sees its client gone and exits, and the worker goes with the server, even
    one stuck on a read. Had the worker kept the server's lifeline (the standard library gives it one), neither
    would ever exit."""
    fifo = tmp_path / "blocks.ipynb"
    os.mkfifo(fifo)
    script = ("import os, sys, time\n"
              "from autograder.grading import spawn\n"
              f"w = spawn.Forked(['hw1_score', {str(fifo)!r}, {str(tmp_path / 'r.json')!r}], dict(os.environ), "
              f"{str(tmp_path / 'log')!r})\n"
              "print(w.pid, flush=True)\n"
              "time.sleep(600)\n")
    batch = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(batch.stdout.readline())
        deadline = time.monotonic() + 60
        while _state(pid) not in ("S", None) and time.monotonic() < deadline:  # blocked on the pipe
            time.sleep(0.05)
        assert _state(pid) == "S"
    finally:
        batch.kill()
        batch.wait()
    deadline = time.monotonic() + 30
    while _state(pid) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(pid) in (None, "Z"), "the worker outlived its batch"


def test_the_server_ends_with_its_batch_even_when_another_process_holds_its_lifeline(tmp_path):
    """The standard library keeps the server up while any process holds the write end of its pipe; here a process
    the batch forked holds it (as any fork of the batch would) and outlives the batch. The server checks its batch
    itself (lifeline.py): once the batch is SIGKILLed, the server and the worker it forked go all the same."""
    fifo = tmp_path / "blocks.ipynb"
    os.mkfifo(fifo)
    script = ("import os, sys, time\n"
              "from multiprocessing import forkserver\n"
              "from autograder.grading import spawn\n"
              f"w = spawn.Forked(['hw1_score', {str(fifo)!r}, {str(tmp_path / 'r.json')!r}], dict(os.environ), "
              f"{str(tmp_path / 'log')!r})\n"
              "holder = os.fork()\n"
              "if holder == 0:  # every descriptor of the batch's, the server's pipe among them\n"
              "    time.sleep(300)\n"
              "    os._exit(0)\n"
              "print(w.pid, forkserver._forkserver._forkserver_pid, holder, flush=True)\n"
              "time.sleep(600)\n")
    batch = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    holder = None
    try:
        worker, server, holder = map(int, batch.stdout.readline().split())
        deadline = time.monotonic() + 60
        while _state(worker) not in ("S", None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(worker) == "S" and _state(server) is not None
        batch.kill()
        batch.wait()
        deadline = time.monotonic() + 30
        while {_state(worker), _state(server)} - {None, "Z"} and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _state(holder) not in (None, "Z"), "the holder was to outlive the batch"
        assert _state(server) in (None, "Z"), "the server outlived its batch"
        assert _state(worker) in (None, "Z"), "the worker outlived its batch"
    finally:
        batch.kill()
        batch.wait()
        if holder is not None:
            os.kill(holder, 9)


def _state(pid: int) -> str | None:
    """The process's state letter (`S` sleeping, `Z` zombie, ...), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_a_script_without_a_main_guard_is_not_run_again_in_its_workers(tmp_path):
    """The standard library's forkserver imports the parent's main script in each child (as `__mp_main__`): a TA's
    script that grades at top level would grade again in every worker. spawn's launch leaves the main script out."""
    runs = tmp_path / "runs.txt"
    script = tmp_path / "grade_my_class.py"
    script.write_text("import os\n"
                      "from autograder.grading import spawn\n"
                      f"with open({str(runs)!r}, 'a') as fh:\n"
                      "    fh.write('ran\\n')\n"
                      f"print(spawn.Forked(['--help'], dict(os.environ), {str(tmp_path / 'log')!r}).wait(timeout=120))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "0", done.stderr[-2000:]
    assert runs.read_text() == "ran\n"
    assert "Grade one submission" in (tmp_path / "log").read_text()
