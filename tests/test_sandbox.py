"""The sandbox around the student's kernel (autograder/boundary/sandbox.py): what the probe finds and says, what
a kernel behind the walls can see and do, and that grading without them says so. The attacks themselves are in
test_hostile.py."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from autograder import course
from autograder.boundary import process, sandbox
from autograder.boundary.kernel import StudentKernel
from autograder.cli import main as cli

pytestmark = pytest.mark.usefixtures("kernel_zygote")  # kernels fork from it (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
WALLS = sandbox.probe()


@pytest.fixture
def fresh_probe():
    sandbox._probe.cache_clear()
    yield
    sandbox._probe.cache_clear()


def test_off_names_every_wall_as_not_in_force():
    off = sandbox.probe("off")
    assert not any(getattr(off, wall) for wall in sandbox.Protections.WALLS)
    assert off.summary().startswith("sandbox: none; limits on memory")
    assert "NOT in force: a user of its own (--sandbox off); a file system of its own (--sandbox off)" in off.summary()


def test_the_mode_comes_from_the_environment(monkeypatch, fresh_probe):
    monkeypatch.setenv("DIFFCOURSE_SANDBOX", "off")
    assert sandbox.probe().mode == "off"
    monkeypatch.setenv("DIFFCOURSE_SANDBOX", "sometimes")
    with pytest.raises(ValueError, match="use one of auto, require, off"):
        sandbox.probe()


def test_without_bubblewrap_the_report_says_what_is_missing_and_require_refuses(monkeypatch, fresh_probe):
    real = sandbox.shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda tool: None if tool == "bwrap" else real(tool))
    found = sandbox.probe("auto")
    assert not found.files and not found.processes
    assert found.missing["files"] == "bubblewrap not found (apt-get install bubblewrap)"
    assert "NOT in force: " in found.summary() and "a file system of its own (bubblewrap not found" in found.summary()
    if os.geteuid() == 0:  # root still gets no network (unshare), and a uid of its own where the Python
        assert found.network  # installation is readable by another user (else the report says why not)
        assert found.user or found.missing["user"]
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap not found"):
        sandbox.probe("require")


def test_not_root_gets_no_uid_of_its_own(monkeypatch, fresh_probe):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    found = sandbox.probe("auto")
    assert not found.user and found.missing["user"] == "the grader does not run as root"


def test_the_command_shows_the_kernel_only_what_it_needs(tmp_path):
    walls = sandbox.Protections("auto", user=True, files=True, processes=True, network=True)
    launch, run, work = tmp_path / "launch", tmp_path / "run", tmp_path / "work"
    argv = sandbox.wrap(["python", "boot.py"], walls, uid=sandbox.UID_BASE + 7, launch=launch, run=run, workdir=work)
    binds = {argv[i + 1]: argv[i] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--tmpfs")}
    assert binds[str(launch)] == "--ro-bind" and binds[str(run)] == binds[str(work)] == "--bind"
    assert str(ROOT) not in binds or binds[str(ROOT)] == "--tmpfs"
    assert not [p for p, how in binds.items() if how != "--tmpfs" and (p == str(ROOT) or p.startswith(f"{ROOT}/")
                                                                       and not p.startswith(f"{ROOT}/.venv"))]
    for option in ("--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session"):
        assert option in argv
    assert argv[-2:] == ["python", "boot.py"] and f"--reuid={sandbox.UID_BASE + 7}" in argv


def _kernel(workdir: Path, forked: bool) -> StudentKernel:
    """A kernel behind the walls: launched as a fresh Python, or forked from the kernel zygote (up and serving)."""
    address = None
    if forked:
        address = process.zygote_address(WALLS)
        deadline = time.monotonic() + 60
        while not os.path.exists(address) and time.monotonic() < deadline:
            time.sleep(0.1)
    limits = course.Limits()
    return StudentKernel(workdir, process=process.KernelProcess(
        workdir, limits=limits.kernel(), protections=WALLS, output_bytes=int(limits.output_mb * 2**20),
        zygote=address))


@pytest.mark.skipif(not WALLS.complete, reason=f"needs every wall: {WALLS.summary()}")
@pytest.mark.parametrize("forked", [False, True], ids=["launched", "forked-from-the-zygote"])
def test_a_kernel_behind_the_walls(tmp_path, forked):
    """Its own uid, none of the course's files or other folders, only its own processes, no network, its work
    folder writable and nothing else, limits it cannot raise: a file past `file_mb` and more than `open_files`
    files fail inside the kernel; every process of its uid in its control group. The same for a kernel forked
    from the zygote, which also holds none of the course's modules in memory."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    (tmp_path / "work").mkdir()
    k = _kernel(tmp_path / "work", forked)
    shelf = Path(tempfile.mkdtemp(prefix="dc-test-shelf-"))  # world-readable: only the mount namespace hides it
    os.chmod(shelf, 0o755)
    outside = shelf / "outside.txt"
    outside.write_text("a secret any user could read")
    os.chmod(outside, 0o644)
    try:
        k.start()
        code = f"""
import json, os, resource, socket
def ls(path):
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
    except PermissionError:
        return "denied"
import sys
facts = {{"uid": os.getuid(), "groups": os.getgroups(), "cwd_writable": os.access(".", os.W_OK),
         "modules": [m for m in sys.modules if m.split(".")[0] in ("autograder", "course_core")],
         "sid": os.getsid(0), "env": sorted(os.environ),
         "repo": ls({str(ROOT)!r}), "root": ls("/"), "outside": os.path.exists({str(outside)!r}),
         "tmp": os.listdir("/tmp"), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
         "usr_writable": os.access("/usr/lib", os.W_OK),
         "status": dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines()),
         "nproc": resource.getrlimit(resource.RLIMIT_NPROC), "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)}}
try:
    import course_core
    facts["course_core"] = True
except ImportError:
    facts["course_core"] = False
try:
    socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=1)
    facts["network"] = True
except OSError:
    facts["network"] = False
try:
    with open("big.bin", "wb") as fh:
        for _ in range(facts["fsize"][0] // 2**20 + 2):
            fh.write(bytes(2**20))
    facts["big_file"] = "written"
except OSError as err:
    facts["big_file"] = err.errno
finally:
    os.remove("big.bin")
handles = []
try:
    for _ in range(100_000):
        handles.append(open(os.devnull))
    facts["many_files"] = "opened"
except OSError as err:
    facts["many_files"] = err.errno
for h in handles:
    h.close()
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (10**6, 10**6))
    facts["raised"] = True
except (ValueError, OSError):
    facts["raised"] = False
print(json.dumps(facts))
"""
        run = k.execute(code, 60)
        assert run.status == "ok", run
        facts = json.loads(run.stdout)
        assert k.forked == forked, k.process.zygote_error
        theirs = {p.pid for p in psutil.process_iter(["uids"])
                  if p.info["uids"] and p.info["uids"].real == k.process.uid}  # skips one that ends meanwhile
        group = k.process.budget.pids()
        theirs = {pid for pid in theirs if psutil.pid_exists(pid)}  # one that ended in between was in no group
        assert theirs and theirs <= group  # the kernel and the placeholder (forked), in its group
    finally:
        k.shutdown()
        shutil.rmtree(shelf)
        with pytest.raises(OSError):
            server.accept()  # nobody called
        server.close()
    limits = course.Limits()
    assert facts["uid"] >= sandbox.UID_BASE and facts["groups"] == [] and facts["modules"] == [] and facts["sid"] > 0
    ipykernel_sets = {"CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "GIT_PAGER", "PAGER", "PYDEVD_USE_FRAME_EVAL",
                      "TERM"}
    popped_by_boot = {"DC_LIMITS", "DC_BRIDGE_FD"}
    assert set(facts["env"]) == set(process.kernel_env(k.workdir, limits={}, tag="", bridge_fd=0)) - popped_by_boot \
        | ipykernel_sets | {"PWD"}  # nothing of the grader's or of the zygote's
    assert facts["cwd_writable"] and not facts["usr_writable"]
    # the course folder: absent, or (the virtual environment inside it is bound) a folder it may not list
    assert facts["repo"] in ([], "denied") and not {"work", "srv", "home", "opt", "mnt"} & set(facts["root"]) - {
        ROOT.parts[1]}
    bound = (k.workdir, k.process.private, *sandbox._python_roots())  # a clone in /tmp binds its .venv there
    own = {Path(folder).relative_to("/tmp").parts[0] for folder in bound if Path(folder).is_relative_to("/tmp")}
    assert not facts["outside"] and set(facts["tmp"]) <= own and not facts["course_core"]  # /tmp: its folders' tops
    assert len(facts["pids"]) <= 3 and facts["pids"][0] == 1  # bubblewrap's init, the kernel (and its own children)
    assert not facts["network"] and not facts["raised"]
    assert facts["nproc"] == [limits.processes] * 2 and facts["fsize"] == [int(limits.file_mb * 2**20)] * 2
    status = {key: value.strip() for key, value in facts["status"].items()}
    assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == status["CapInh"] == "0" * 16
    assert status["NoNewPrivs"] == "1"  # no setuid program gives anything back
    assert facts["big_file"] == errno.EFBIG and facts["many_files"] == errno.EMFILE  # Python ignores SIGXFSZ


def test_grading_without_the_walls_says_so(tmp_path):
    """--sandbox off grades as before issue 11 and the terminal, grading.json and Gradescope's staff data say
    which walls were not in force; --sandbox require where a wall is missing refuses before writing anything."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["grade", "hw1_score", str(folder), "--out", str(out), "--sandbox", "off"])
    assert done.exit_code == 0, done.output
    line = sandbox.probe("off").summary()
    assert line in done.output
    assert json.loads((out / "grading.json").read_text())["sandbox_summary"] == line
    assert json.loads((out / "results" / "empty.json").read_text())["extra_data"]["sandbox"] == line

    def refuse(mode=None):
        raise sandbox.SandboxUnavailable("--sandbox require: not in force here: no network (testing)")

    import autograder.grading.batch as batch

    original = batch.sandbox.probe
    batch.sandbox.probe = refuse
    try:
        refused = CliRunner().invoke(cli, ["grade", "hw1_score", str(folder), "--out", str(tmp_path / "o2"),
                                           "--sandbox", "require"])
    finally:
        batch.sandbox.probe = original
    assert refused.exit_code == 1 and "not in force here: no network (testing)" in refused.output
    assert not (tmp_path / "o2").exists()


@pytest.mark.skipif(not WALLS.budget, reason=f"needs a control group: {WALLS.summary()}")
def test_the_kernels_processes_share_one_memory_budget(tmp_path):
    """Six children touching 512 MiB each, under a 2 GiB budget: the per-process cap (2 GiB of address space)
    lets each one through, the shared budget does not (the OOM killer stops some of them), and the kernel lives."""
    k = StudentKernel(tmp_path / "work", limits=course.Limits(memory_gb=2))
    k.workdir.mkdir()
    code = """
import os
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(2**29)
            block[::4096] = b"1" * len(block[::4096])
        finally:
            os._exit(0)
    children.append(pid)
print(sorted(os.waitpid(pid, 0)[1] for pid in children))
"""
    try:
        k.start()
        run = k.execute(code, 120)
        assert run.status == "ok", run
        statuses = json.loads(run.stdout)
        assert k.execute("print('alive')", 30).stdout.strip() == "alive"
    finally:
        k.shutdown()
    assert statuses.count(9) >= 1, statuses  # killed by SIGKILL (the OOM killer), not exited
    assert k.process.budget is not None and not any(folder.exists() for folder in k.process.budget.folders)


@pytest.mark.skipif(not WALLS.budget, reason=f"needs a control group: {WALLS.summary()}")
def test_empty_budgets_left_by_a_killed_batch_are_swept_and_busy_ones_kept():
    import subprocess

    from autograder.boundary.cgroup import Budget, sweep_stale

    left = Budget(f"kernel-test-left-{os.getpid()}", memory_bytes=2**28, processes=8)
    busy = Budget(f"kernel-test-busy-{os.getpid()}", memory_bytes=2**28, processes=8)
    sleeper = subprocess.Popen(busy.enter(["sleep", "30"]))
    try:
        for _ in range(100):  # until the shell has entered the group
            if busy.pids():
                break
            __import__("time").sleep(0.05)
        assert sweep_stale(age=3600) == 0 or left.folders[0].exists()  # young: kept
        sweep_stale(age=-1)
        assert not any(f.exists() for f in left.folders)
        assert all(f.exists() for f in busy.folders)
    finally:
        sleeper.kill()
        sleeper.wait()
        busy.remove()
        left.remove()


@pytest.mark.skipif(os.geteuid() != 0 or not WALLS.network, reason="needs root (setpriv, unshare)")
def test_without_bubblewrap_a_root_grader_still_gives_a_uid_of_its_own_and_no_network(tmp_path):
    """The fallback a container without namespaces for bubblewrap gets (Gradescope's, say): setpriv and
    `unshare --net`; the course folder is then readable, which the report says."""
    from autograder.boundary.process import KernelProcess

    walls = sandbox.Protections("auto", user=True, network=True, missing={"files": "testing"})
    if sandbox._trial(walls):  # the Python installation is not readable by another user (a clone in a 0700
        # folder): the probe finds that and reports the wall missing rather than using it
        assert sandbox._trial(walls).startswith("ModuleNotFoundError") or sandbox._trial(walls)
        return
    work = tmp_path / "work"
    work.mkdir()
    limits = course.Limits()
    k = StudentKernel(work, process=KernelProcess(work, limits=limits.kernel(), protections=walls))
    server = socket.create_server(("127.0.0.1", 0))  # listening here, outside the kernel's network namespace
    try:
        k.start()
        run = k.execute(f"""
import os, socket
try:
    socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=1)
    net = "connected"
except OSError as err:
    net = type(err).__name__
print(os.getuid(), os.access({str(ROOT / 'course_core' / 'score.py')!r}, os.R_OK), net)
""", 60)
    finally:
        k.shutdown()
        server.close()
    uid, readable, net = run.stdout.split()
    # (the course folder is readable there unless a folder above it is private: no wall hides it)
    assert int(uid) >= sandbox.UID_BASE and readable in ("True", "False") and net != "connected", run.stdout
    assert "a file system of its own (testing)" in walls.summary()


@pytest.mark.skipif(not WALLS.files, reason=f"needs bubblewrap: {WALLS.summary()}")
def test_a_normal_install_of_the_course_packages_is_an_empty_folder_behind_the_walls(tmp_path, monkeypatch):
    """Installed beside the libraries (a normal install, as on Gradescope), `course_core` and `autograder` lie
    inside a folder the kernel must see; there each is covered by an empty read-only folder."""
    prefix = tmp_path / "prefix"
    packages = prefix / "lib" / "site-packages"
    for name in ("course_core", "autograder", "torchlike"):
        (packages / name).mkdir(parents=True)
        (packages / name / "__init__.py").write_text("SECRET = 1\n")
    os.chmod(tmp_path, 0o755)
    monkeypatch.setattr(sandbox, "_python_roots", lambda: [str(prefix), sys.base_prefix, sys.prefix])
    monkeypatch.setattr(sandbox, "blocked_folders", lambda: [str(packages / "course_core"), str(packages / "autograder")])
    walls = sandbox.Protections("auto", files=True, processes=True, network=True)
    work = tmp_path / "work"
    work.mkdir()
    argv = sandbox.wrap(["ls", "-A", *(str(packages / n) for n in ("course_core", "autograder", "torchlike"))], walls,
                        uid=0, launch=tmp_path / "work", run=tmp_path / "work", workdir=work)
    listing = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert "torchlike:\n__init__.py" in listing  # the libraries are there
    assert listing.count("__init__.py") == 1  # the course's packages are not


@pytest.mark.skipif(os.geteuid() != 0 or not WALLS.network, reason="needs root (setpriv, unshare)")
def test_a_batch_behind_a_uid_and_no_network_alone_grades(tmp_path, monkeypatch):
    """The walls a root grader gets in a container that refuses namespaces to bubblewrap (Gradescope's): the
    kernel's uid must reach its folder through the batch's scratch folders, and grades as anywhere else."""
    import hostile

    import autograder.grading.batch as batch

    walls = sandbox.Protections("auto", user=True, network=True, missing={"files": "testing", "processes": "testing"})
    if sandbox._trial(walls):  # the Python installation is not readable by another user (a clone in a 0700
        # folder): the probe finds that and reports the wall missing rather than using it
        assert sandbox._trial(walls).startswith("ModuleNotFoundError") or sandbox._trial(walls)
        return
    monkeypatch.setattr(batch.sandbox, "probe", lambda mode=None: walls)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "right.ipynb").write_bytes(hostile.notebook([hostile.TWEEDIE]))
    [result] = batch.grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False,
                                  cell_timeout=60.0, call_timeout=20.0)
    assert result.status == "ok", result.notes
    assert result.points_by_question()["tweedie_denoiser"] == result.points_by_question()["langevin_step"] == 3
    assert result.sandbox == walls.to_json()


@pytest.mark.skipif(os.geteuid() != 0 or not WALLS.files, reason="needs root and bubblewrap")
def test_a_root_kernel_without_a_uid_of_its_own_keeps_no_capability(tmp_path):
    """Where setpriv is missing, the kernel behind bubblewrap is root, but with no capability (no remount of the
    empty folder over course_core, no mknod)."""
    walls = sandbox.Protections("auto", files=True, processes=True, network=True)
    work = tmp_path / "work"
    work.mkdir()
    argv = sandbox.wrap(["grep", "^Cap", "/proc/self/status"], walls, uid=0, launch=work, run=work, workdir=work)
    caps = dict(line.split(":\t") for line in subprocess.run(argv, capture_output=True, text=True, check=True)
                .stdout.splitlines())
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapInh"] == caps["CapAmb"] == "0" * 16, caps
    # (bubblewrap leaves the bounding set; what it binds is mounted nosuid, so no program can raise them again)
