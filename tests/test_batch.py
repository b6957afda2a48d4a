"""The batch's own paths, on small notebooks (hw1_score's functions only, no training cells), so each costs a
few seconds: a function that kills its worker (retried around it, then out of retries), the time limit and the
kill after the grace period, a zip and a notebook of one name, an unreadable file among good ones, and the
result cache following the checks' code."""

import csv
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import course
from autograder.grading import batch, cache
from autograder.cli import main as cli
from autograder.grading.batch import grade_folder

sys.path.insert(0, str(Path(__file__).resolve().parent / "submissions"))
from kit import INFINITE_LOOP, load  # noqa: E402

pytestmark = pytest.mark.usefixtures("kernel_zygote")  # kernels fork from it (conftest.py)

LIMITS = dict(cell_timeout=60.0, call_timeout=20.0, timeout=300.0)  # headroom on a loaded 2-core machine
REFERENCE = load("hw1_score").functions()


def _notebook(path: Path, functions: dict, extra_cells=()) -> Path:
    cells = [nbformat.v4.new_code_cell(code) for code in [*functions.values(), *extra_cells]]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def _killing(function: str, marker: Path | None) -> dict:
    """The reference, with `function` killing the grader's worker (its kernel's parent) when called: every
    time, or only the first time (while `marker` does not exist yet)."""
    guard = f"if not os.path.exists({str(marker)!r}):\n        open({str(marker)!r}, 'w').close()\n        " if marker \
        else ""
    code = REFERENCE[function].replace(f"def {function}(", f"def _real_{function}(", 1)
    params = code.split(f"def _real_{function}(", 1)[1].split(")", 1)[0]
    names = ", ".join(p.split("=")[0].strip() for p in params.split(",") if p.strip())
    code += (f"\n\nimport os\n\n\ndef {function}({params}):\n    {guard}os.kill(os.getppid(), 9)\n"
             f"    return _real_{function}({names})\n")
    return {**REFERENCE, function: code}


def _points(result) -> dict:
    return {q.name: (q.points, q.possible) for q in result.auto_questions()}


def _workers_left() -> list:
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "autograder.grading.worker" in " ".join(p.cmdline()):
                found.append(p)
        except psutil.Error:  # gone, or a zombie its parent has not reaped yet (not a worker that outlived anything)
            continue
    return found


def test_a_function_that_kills_its_worker_is_retried_around_and_then_runs_out_of_retries(tmp_path):
    """Killed once: the retry fails that check only and keeps every other point. Killed by every call: each
    retry fails one more check; after the last try the result is `crashed`, with the points earned before kept.
    Neither is cached (the outcome of a crash may not repeat)."""
    folder = tmp_path / "in"
    folder.mkdir()
    _notebook(folder / "once.ipynb", _killing("langevin_step", tmp_path / "killed-once"))
    _notebook(folder / "always.ipynb", _killing("tweedie_denoiser", None))  # three checks call it: three kills
    # Behind the sandbox a kernel cannot signal its worker at all (test_hostile.py); the retries are for
    # whatever else takes a worker down, and are tested here with the plain process boundary.
    results = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out",
                                                     workers=2, progress=False, sandbox_mode="off", **LIMITS)}
    once, always = results["once"], results["always"]

    assert set(once.flags) == {"killed-grader", "flagged"}, once.notes  # flagged: the code calls os.kill
    lost = [c for q in once.auto_questions() for c in q.checks if not c.passed]
    assert [c.message for c in lost] == ["the grader's worker stopped unexpectedly (exit code -9) while this check ran"]
    assert {q for q, (got, possible) in _points(once).items() if got < possible} == {"langevin_step"}

    assert set(always.flags) == {"killed-grader", "crashed", "flagged"} and always.finished, always.notes
    tweedie = next(q for q in always.auto_questions() if q.name == "tweedie_denoiser")
    killed = [c for c in tweedie.checks if "stopped unexpectedly" in c.message]
    assert len(killed) == len(tweedie.checks) == batch.MAX_TRIES and tweedie.points == 0
    order = [q.name for q in always.auto_questions()]
    before = order[:order.index("tweedie_denoiser")]
    assert before and all(got == possible for q, (got, possible) in _points(always).items() if q in before)
    assert not any((tmp_path / "out" / ".cache").glob("*.json"))
    assert _workers_left() == []


def test_a_worker_past_the_time_limit_and_grace_is_killed_and_reported(tmp_path, monkeypatch):
    """A worker still running at the submission limit plus the grace period is killed, with its kernel, and
    tried again; after the last try the result says it ran past its time limit (0.5 s here: no worker can
    even start in that time)."""
    monkeypatch.setattr(batch, "GRACE", 0.0)
    folder = tmp_path / "in"
    folder.mkdir()
    _notebook(folder / "slow.ipynb", REFERENCE)
    [result] = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False,
                            timeout=0.5, cell_timeout=60.0, call_timeout=20.0)
    assert result.flags == ["timeout"] and result.finished and result.total == 0
    assert any("ran past its time limit" in note for note in result.notes)
    assert _workers_left() == []


def test_the_submission_time_limit_stops_a_slow_notebook_and_fails_what_did_not_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _notebook(folder / "slow.ipynb", REFERENCE, ["import time\ntime.sleep(3)"] * 20)
    [result] = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False,
                            timeout=20.0, cell_timeout=60.0, call_timeout=20.0)
    assert "timeout" in result.flags and result.finished
    assert any("ran out of time while its notebook executed" in note for note in result.notes)
    assert result.total < result.possible


def test_a_zip_and_a_notebook_of_one_name_and_an_unreadable_file_among_them(tmp_path):
    """`a.zip` and `a.ipynb` are two submissions with two rows; a file that is not a notebook gets an
    `invalid` row with the reason, and costs no one else anything."""
    folder = tmp_path / "in"
    folder.mkdir()
    good = _notebook(tmp_path / "good.ipynb", REFERENCE)
    shutil.copy(good, folder / "a.ipynb")
    with zipfile.ZipFile(folder / "a.zip", "w") as zf:
        zf.write(good, "hw1_score.ipynb")
    (folder / "broken.ipynb").write_text('{"cells": [')
    results = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out",
                                                     workers=2, progress=False, **LIMITS)}
    assert set(results) == {"a.ipynb", "a.zip", "broken"}
    for name in ("a.ipynb", "a.zip"):
        assert results[name].total == results[name].possible and results[name].flags == [], results[name].notes
    assert results["broken"].flags == ["invalid"] and results["broken"].total == 0
    assert any("not a readable Jupyter notebook" in note for note in results["broken"].notes)
    rows = {r["submission"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert set(rows) == set(results) and rows["broken"]["status"] == "invalid"
    assert json.loads((tmp_path / "out" / "results" / "a.zip.json").read_text())["score"] == results["a.zip"].possible


def test_the_cache_key_follows_the_checks_code(tmp_path, monkeypatch):
    """Editing a hidden check (one tolerance) changes every cache key, so no result graded by the old check is
    reused; the same bytes give the same key."""
    real = cache.package_files("autograder", "course_core")
    checks = Path(importlib.import_module("autograder.checks").__file__).parent / "hw1_score.py"
    assert checks in real
    copy = tmp_path / "hw1_score.py"
    shutil.copy(checks, copy)
    monkeypatch.setattr(cache, "package_files", lambda *packages: [copy if p == checks else p for p in real])
    sub = tmp_path / "a.ipynb"
    sub.write_text("{}")
    a = course.get("hw1_score")

    def key():
        return cache.ResultCache(tmp_path / "c", a, {}).key(sub, "a")

    same = key()
    monkeypatch.undo()
    assert cache.ResultCache(tmp_path / "c", a, {}).key(sub, "a") == same  # the copy stands in faithfully
    monkeypatch.setattr(cache, "package_files", lambda *packages: [copy if p == checks else p for p in real])
    copy.write_text(copy.read_text().replace("rtol=", "rtol=2 * ", 1))
    assert key() != same


def _mistake(name: str) -> dict:
    examples = load("hw1_score")
    [m] = [m for m in examples.mistakes if m.name == name]
    return examples.mistake(m)


def test_cli_check_prints_the_feedback(tmp_path, capsys):
    """`diffcourse check`, the self-study command: a notebook's feedback, with the points of each question."""
    notebook = _notebook(tmp_path / "mine.ipynb", _mistake("langevin_no_factor2"))
    with pytest.raises(SystemExit) as exit_info:
        cli(["check", "hw1_score", str(notebook)], standalone_mode=False)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "[langevin_step] 0 / 3" in text
    assert "Automatically graded: 23 / 26 points   (status: ok)" in text and "[gmm_score] 6 / 6" in text
    assert "This is a known mistake (langevin no factor2)" in text  # the misconception is named


def test_the_cache_serves_unchanged_results_and_no_cache_regrades(tmp_path, capsys):
    """The cache serves unchanged submissions; `diffcourse grade --no-cache` ignores it (a tampered entry is
    not believed) and prints the grade table; a resubmission is regraded."""
    folder = tmp_path / "in"
    folder.mkdir()
    _notebook(folder / "a.ipynb", _mistake("tweedie_sigma"))
    out = tmp_path / "out"
    first = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    assert first[0].flags == [] and first[0].total < first[0].possible
    [entry] = list((out / ".cache").glob("*.json"))
    assert grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS) == first

    data = json.loads(entry.read_text())
    for q in data["questions"]:
        for c in q["checks"]:
            c["points"], c["passed"] = c["possible"], True
    entry.write_text(json.dumps(data))
    tampered = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    assert tampered[0].total == tampered[0].possible  # the cache is trusted by default ...
    capsys.readouterr()
    cli(["grade", "hw1_score", str(folder), "--out", str(out), "--no-cache", "--cell-timeout", "60",
         "--call-timeout", "20", "--timeout", "300"], standalone_mode=False)  # LIMITS: the same cache key
    row = next(csv.DictReader((out / "grades.csv").open()))
    assert float(row["total"]) == first[0].total < first[0].possible  # ... and --no-cache does not believe it
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:2] == ["submission", "gmm_score"]
    assert printed[1].split()[0] == "a" and printed[1].split()[-2] == f"{first[0].total:g}/{first[0].possible:g}"

    _notebook(folder / "a.ipynb", REFERENCE)  # a resubmission is regraded
    third = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    assert third[0].total == third[0].possible


def test_the_cache_key_changes_with_library_versions(tmp_path, monkeypatch):
    """A result graded under other versions of torch, numpy or hypothesis is not reused."""
    a = course.get("hw1_score")
    sub = tmp_path / "a.ipynb"
    sub.write_text("{}")
    key = cache.ResultCache(tmp_path, a, {}).key(sub, "a")
    for library in ("torch", "numpy", "hypothesis"):
        real = cache.versions()
        monkeypatch.setattr(cache, "versions", lambda lib=library: {**real, lib: "0.0.0"})
        assert cache.ResultCache(tmp_path, a, {}).key(sub, "a") != key, library
        monkeypatch.undo()
    assert cache.ResultCache(tmp_path, a, {}).key(sub, "a") == key


def test_a_worker_that_dies_before_grading_is_retried_and_then_reported(tmp_path):
    """No progress written (an import failing, the machine out of memory) is retried like any crash, and the
    last try gives a clear `crashed` result, which is never cached."""
    from types import SimpleNamespace

    from autograder.grading.batch import TRANSIENT, Job, Runner

    runner = Runner("hw1_score", tmp_path, 10.0, [])
    job = Job(tmp_path / "a.ipynb", "a", tmp_path / "0.json")
    (tmp_path / "0.log").write_text("Traceback: MemoryError\n")
    dead = SimpleNamespace(returncode=1)
    assert runner._finish(job, dead, overdue=False, last=False) is None
    result = runner._finish(job, dead, overdue=False, last=True)
    assert result.finished and result.status == "crashed" and result.total == 0
    assert "exit code 1" in " ".join(result.notes)
    assert "crashed" in TRANSIENT


def test_looping_cells_are_interrupted_and_a_cell_that_ignores_the_interrupt_is_skipped(tmp_path):
    """A cell that loops is interrupted at the cell limit; one that ignores the interrupt gets its kernel
    killed, is skipped, and the notebook re-runs without it. Both keep every point their functions earn (a
    3 s cell limit: each costs what it tests and no more)."""
    folder = tmp_path / "in"
    folder.mkdir()
    _notebook(folder / "loops.ipynb", REFERENCE, [INFINITE_LOOP])
    _notebook(folder / "ignores.ipynb", REFERENCE, ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                   + INFINITE_LOOP])
    results = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out",
                                                     workers=2, progress=False, timeout=300.0, cell_timeout=3.0,
                                                     call_timeout=20.0)}
    loops, ignores = results["loops"], results["ignores"]
    n = len(REFERENCE)
    assert loops.flags == ["timeout"] and loops.total == loops.possible
    assert loops.notes == [f"cell {n} timed out after 3 s; it was interrupted and is skipped on re-runs"]
    assert ignores.flags == ["timeout"] and ignores.total == ignores.possible
    assert ignores.notes == [f"cell {n} timed out and did not stop; it was skipped and the notebook re-run"]


@pytest.fixture(autouse=True)
def _no_worker_outlives_a_test():
    yield
    for p in _workers_left():
        p.kill()


def test_a_recorded_kernel_pid_now_owned_by_another_process_is_left_alone(tmp_path):
    """Pids wrap around (at 32768 here), so the pid of a dead worker's kernel may since belong to another
    student's kernel: the batch kills by a recorded pid only while it names the same process (its start
    time), and otherwise by the kernel's tag alone. (Found when a detached test process died at random.)"""
    from autograder.boundary.process import started_at
    from autograder.grading.batch import Job, Runner
    from autograder.grading.result import Result

    other = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        runner = Runner("hw1_score", tmp_path, 10.0, [])
        job = Job(tmp_path / "a.ipynb", "a", tmp_path / "0.json")
        worker = subprocess.Popen(["true"])
        worker.wait()
        partial = Result("hw1_score", "a", [])
        for started, survives in ((started_at(other.pid) - 100.0, True), (None, True), (started_at(other.pid), False)):
            partial.kernel = {"pid": other.pid, "started": started, "tag": "no-such-tag"}
            job.result_file.write_text(json.dumps(partial.to_json()))
            runner._kill(job, worker)
            if survives:
                assert other.poll() is None, started
        assert other.wait(timeout=30) == -9
    finally:
        other.kill()
        other.wait()


def test_a_notebook_replayed_after_its_kernel_died_shows_each_figure_once(tmp_path):
    """A figure drawn before a cell that kills the kernel is drawn again by the replay; the feedback page shows
    it once (the replay's), and the progress writes never carried it (only the final result does)."""
    folder = tmp_path / "in"
    folder.mkdir()
    plot = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"
    _notebook(folder / "dies.ipynb", {}, extra_cells=[plot, "import os\nos._exit(3)"])  # no functions: cheap checks
    [result] = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", workers=1,
                            progress=False, cache=False, **LIMITS)
    assert "kernel-died" in result.flags, result.notes
    assert [f["cell"] for f in result.figures] == [0]
    assert (tmp_path / "out" / "feedback" / "dies.html").read_text().count("<img ") == 1


def _tweedie(code: str) -> dict:
    return {"langevin_step": REFERENCE["langevin_step"], "tweedie_denoiser": code}


def test_a_batch_killed_outright_is_resumed_and_a_second_grader_is_refused(tmp_path):
    """SIGKILL to the grader mid-batch takes its workers and kernels with it; the same command (with --no-cache)
    run again regrades only what had not finished and loses nothing; while it runs, a second grader on the same
    output folder is refused and changes nothing."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    right = REFERENCE["tweedie_denoiser"]
    wrong = right.replace("alpha=sigma * sigma", "alpha=sigma")
    assert wrong != right
    slow = ["import time\ntime.sleep(2)"]  # each submission takes a while, so the kill lands mid-batch
    for i in range(4):
        _notebook(folder / f"s{i}.ipynb", _tweedie(right if i % 2 == 0 else wrong), slow + [f"# {i}"])
    command = [sys.executable, "-c", "from autograder.cli import main; main()", "grade", "hw1_score", str(folder),
               "--out", str(out), "--workers", "1", "--no-cache", "--cell-timeout", "60", "--call-timeout", "20"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / ".cache" / "unfinished.json"
    deadline = time.monotonic() + 300
    while not (journal.exists() and json.loads(journal.read_text())["keys"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    first.kill()  # SIGKILL, to the grader alone
    killed = time.time()
    first.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / ".cache").glob("*.json") if p.name != "unfinished.json"}
    assert 1 <= len(finished) < 4
    deadline = time.monotonic() + 30
    while _workers_of(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for p in _workers_of(out):
        try:
            left.append((p.pid, p.ppid(), p.status(), round(p.create_time() - killed, 1), _lifelines(p.ppid())))
        except psutil.Error:  # gone meanwhile
            continue
    assert left == [], ("a worker outlived the batch that started it (pid, parent, status, started after the kill, "
                        "what keeps its parent alive)")
    assert not (out / "grades.csv").exists()

    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _workers_of(out) and time.monotonic() < deadline:  # it holds the lock once it grades
        time.sleep(0.1)
    third = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert third.returncode == 1 and "is being written by another `diffcourse grade`" in third.stderr, third.stderr
    stdout, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not regraded
    assert f"{4 - len(finished)}/{4 - len(finished)}" in stderr  # the progress bar counted only the rest
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert sorted(rows) == ["s0", "s1", "s2", "s3"]
    assert [float(rows[f"s{i}"]["tweedie_denoiser"]) for i in range(4)] == [3, 0, 3, 0]
    assert all(rows[f"s{i}"]["status"] == "ok" for i in range(4))
    assert not journal.exists()


def _lifelines(pid: int) -> dict:
    """Who could keep process `pid` waiting: its command line, and each process holding the write end of a pipe
    `pid` reads (the worker server waits for EOF on one)."""
    def pipes(proc: int) -> dict:
        found = {}
        for fd in os.listdir(f"/proc/{proc}/fd"):
            try:
                target = os.readlink(f"/proc/{proc}/fd/{fd}")
                flags = int(Path(f"/proc/{proc}/fdinfo/{fd}").read_text().split("flags:")[1].split()[0], 8)
            except (OSError, IndexError, ValueError):
                continue
            if target.startswith("pipe:"):
                found[int(fd)] = (target, "w" if flags & os.O_WRONLY else "r")
        return found

    try:
        reads = {target for target, mode in pipes(pid).values() if mode == "r"}
        facts = {"cmdline": " ".join(psutil.Process(pid).cmdline())[:200], "writers": []}
    except (OSError, psutil.Error) as err:
        return {"error": repr(err)}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            held = [(fd, target) for fd, (target, mode) in pipes(proc.pid).items() if mode == "w" and target in reads]
        except OSError:
            continue
        if held:
            facts["writers"].append((proc.pid, held, " ".join(proc.info["cmdline"] or [])[:200]))
    return facts


def _workers_of(out: Path) -> list:
    return [p for p in psutil.process_iter(["cmdline"])
            if "autograder.grading.worker" in " ".join(p.info["cmdline"] or [])
            and any(batch.scratch_prefix(out) in part for part in p.info["cmdline"] or [])]
