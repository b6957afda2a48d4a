"""Grade a folder of submissions: one worker process per submission, N at a time.

A worker that dies (a submission that kills its grader) or overruns its time is killed with its kernel,
and the submission is tried again with the offending cell skipped or the offending check failed, so it
keeps what it earned elsewhere. The batch always finishes. This process never imports torch or the checks
unless a submission's worker died before it could describe a single check.

One batch at a time writes to an output folder (`OutputLock`: a second is refused, naming the first). Each
finished result is stored in ``OUT/.cache`` as it comes; a batch killed outright (SIGKILL, a lost node) takes
its workers and kernels with it (they die with their parent), and the same command run again regrades only
what had not finished, with ``--no-cache`` too (``OUT/.cache/unfinished.json`` lists what the killed run
finished).
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import course
from ..boundary import sandbox
from ..boundary.cgroup import remove_budget, sweep_stale
from ..boundary.process import budget_name, kill_tree, sweep, zygote_address
from ..reports.report import write_reports
from .cache import ResultCache
from .device import GpuPool, resolve
from .profiles import Profile
from .result import Flag, Result, write_atomic
from .spawn import Forked
from .submission import named_submissions

MAX_TRIES = 3
GRACE = 60.0  # seconds a worker gets beyond the submission limit before it is killed
# A batch of this many submissions starts the kernel zygote (process.zygote_address) if it is not running: its ~4 CPU-s
# are repaid by the second kernel forked from it (a fresh kernel's imports cost ~3.5), and the first few kernels of a
# batch start while it imports.
ZYGOTE_FROM = 3
# Results whose outcome may not repeat (a crash, a load-dependent time-out, a grader bug) are never cached.
TRANSIENT = {Flag.CRASHED.value, Flag.KILLED_GRADER.value, Flag.TIMEOUT.value, Flag.GRADER_ERROR.value}


class OutputLocked(RuntimeError):
    """Another batch is writing to the same output folder."""


class OutputLock:
    """``OUT/.lock``, held (flock) while a batch writes to OUT; the kernel releases it when the holder dies."""

    def __init__(self, out: Path):
        self.path = Path(out) / ".lock"
        self._fh = None

    def __enter__(self) -> "OutputLock":
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise OutputLocked(f"{self.path.parent} is being written by another `diffcourse grade` ({holder}); "
                               "wait for it to finish, or stop it, or grade into another --out folder") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


class Journal:
    """The keys of the results a batch finished, kept until the batch completes (``unfinished.json``): a batch
    started after one that was killed reuses them even with ``--no-cache``."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / "unfinished.json"
        try:
            self.keys = set(json.loads(self.path.read_text())["keys"])
        except (OSError, ValueError, KeyError, TypeError):
            self.keys = set()

    def add(self, key: str) -> None:
        self.keys.add(key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({"keys": sorted(self.keys)}))

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def scratch_prefix(out: Path) -> str:
    """The start of the batch's scratch folder's path: one family per output folder, so what a killed batch
    left is removed by the next batch on that folder."""
    digest = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"dc-batch-{digest}-")


def scratch_folder(out: Path) -> Path:
    """A new, empty scratch folder for a batch on `out` (call it holding `OutputLock`), after removing the ones
    a killed batch on `out` left. Others may enter it (a kernel with a uid of its own reaches its folder through
    it) but not list it; the batch's and the workers' files in it are theirs alone (0600)."""
    prefix = scratch_prefix(out)
    for old in Path(prefix).parent.glob(Path(prefix).name + "*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=Path(prefix).name, dir=Path(prefix).parent))
    os.chmod(folder, 0o711)
    return folder


@dataclass
class Job:
    path: Path
    name: str
    result_file: Path
    plan: dict = field(default_factory=lambda: {"skip_cells": [], "failed_checks": {}})


def mpl_font_cache() -> Path | None:
    """matplotlib's font cache, built once per user and matplotlib version, copied into each kernel."""
    try:
        import importlib.metadata

        import platformdirs

        version = importlib.metadata.version("matplotlib")
        folder = Path(platformdirs.user_cache_dir("diffcourse")) / f"matplotlib-{version}"
        if not any(folder.glob("fontlist-*.json")):
            folder.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "MPLCONFIGDIR": str(folder), "MPLBACKEND": "Agg"}
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        return folder if any(folder.glob("fontlist-*.json")) else None
    except Exception:  # noqa: BLE001 - without it each kernel builds its own cache: slower, not wrong
        return None


class Runner:
    """Runs worker processes for jobs, retries around crashes, and kills everything on request."""

    def __init__(self, assignment: str, scratch: Path, limit: float, worker_args: list, gpus: GpuPool | None = None,
                 fork: bool = True, zygote: str | None = None):
        """`gpus`: on CUDA, the GPUs lent one per submission (none: the worker sees what this process sees).
        `fork`: start CPU workers from the worker server (`spawn.Forked`), not as a fresh Python each. `zygote`:
        the kernel zygote's socket (`process.zygote_address`) the CPU workers fork their kernels from."""
        self.fork = fork and "cuda" not in worker_args  # CUDA starts in a fresh Python, never in a fork
        self.zygote = zygote
        self.assignment = assignment
        self.gpus = gpus or GpuPool("cpu")
        self.scratch = scratch
        self.limit = limit
        self.worker_args = worker_args
        self.stopping = threading.Event()
        self._running: dict = {}  # job name -> Popen
        self._lock = threading.Lock()

    def run(self, job: Job) -> Result | None:
        """The job's result after up to MAX_TRIES workers; None when the batch was stopped."""
        with self.gpus.take() as gpu:
            return self._run(job, gpu)

    def _run(self, job: Job, gpu: str | None) -> Result | None:
        for tries in range(1, MAX_TRIES + 1):
            if self.stopping.is_set():
                return None
            proc = self._start(job, tries, gpu)
            try:
                proc.wait(timeout=self.limit + GRACE)
                overdue = False
            except subprocess.TimeoutExpired:
                overdue = True
            self._kill(job, proc)
            result = self._finish(job, proc, overdue, last=tries == MAX_TRIES)
            if result is not None or self.stopping.is_set():
                return result
        return None

    def stop_all(self) -> None:
        self.stopping.set()
        with self._lock:
            procs = list(self._running.values())
        for proc in procs:
            if proc.poll() is None:  # not yet reaped: its pid is still its own
                kill_tree(proc.pid)

    def _start(self, job: Job, tries: int, gpu: str | None) -> subprocess.Popen:
        stem = job.result_file.stem
        plan_file = self.scratch / f"{stem}.plan.json"
        plan_file.touch(mode=0o600)
        plan_file.write_text(json.dumps(job.plan))
        job.result_file.unlink(missing_ok=True)
        tmp = self.scratch / f"{stem}.tmp"  # the worker's temporary folders: removed with the batch's,
        tmp.mkdir(mode=0o711, exist_ok=True)  # even when the worker is killed before it cleans up
        os.chmod(tmp, 0o711)
        argv = [self.assignment, str(job.path), str(job.result_file), "--name", job.name, "--plan", str(plan_file),
                *self.worker_args]
        env = {**os.environ, "TMPDIR": str(tmp), "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp / "hypothesis"),
               **({"CUDA_VISIBLE_DEVICES": gpu, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"} if gpu is not None else {}),
               **({"DC_ZYGOTE": self.zygote} if self.zygote and gpu is None else {})}
        log = self.scratch / f"{stem}.log"
        if gpu is None and self.fork:  # forked from the worker server (spawn.py); CUDA gets a fresh Python
            proc = Forked(argv, env, log)
        else:
            with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as fh:
                proc = subprocess.Popen([sys.executable, "-m", "autograder.grading.worker", *argv], stdout=fh,
                                        stderr=fh, stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        with self._lock:
            self._running[job.name] = proc
        return proc

    def _kill(self, job: Job, proc: subprocess.Popen) -> None:
        """Kill a worker, its process group, and the kernel it started (which runs in its own session)."""
        with self._lock:
            self._running.pop(job.name, None)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        partial = Result.read(job.result_file)
        if partial is not None and partial.kernel:
            if partial.kernel.get("started") is not None:  # a recorded pid is only trusted with its start time
                kill_tree(partial.kernel.get("pid"), partial.kernel["started"])
            if partial.kernel.get("tag"):
                sweep(partial.kernel["tag"])
                remove_budget(budget_name(partial.kernel["tag"]))

    def _finish(self, job: Job, proc: subprocess.Popen, overdue: bool, last: bool) -> Result | None:
        """The job's result, or None when it should be tried again around what took its worker down."""
        partial = Result.read(job.result_file)
        if partial is not None and partial.finished:
            return partial
        current = (partial.current if partial else None) or {}
        cause = "ran past its time limit" if overdue else f"stopped unexpectedly (exit code {proc.returncode})"
        if not last:  # try again: around what was running, or as it was (it died before grading began)
            if current.get("phase") == "cell":
                job.plan["skip_cells"].append(current["cell"])
            elif current.get("phase") == "check":
                key = f"{current['question']}/{current['check']}"
                job.plan["failed_checks"][key] = f"the grader's worker {cause} while this check ran"
            return None
        if partial is None:
            log = (self.scratch / f"{job.result_file.stem}.log").read_text(errors="replace")[-2000:]
            print(f"\n[diffcourse] the worker grading {job.name} {cause}; its log ends:\n{log}", file=sys.stderr)
            from ..checks import load_suite

            partial = Result.blank(self.assignment, job.name, load_suite(self.assignment))
        if current.get("phase") == "check":  # the check that was running is the one the crash cost
            for q in partial.auto_questions():
                for c in q.checks:
                    if (q.name, c.name) == (current["question"], current["check"]):
                        c.message = f"the grader's worker {cause} while this check ran"
        partial.note(f"the grader's worker {cause}; points earned before that are kept")
        partial.flag(Flag.TIMEOUT if overdue else Flag.CRASHED)
        partial.current = None
        partial.finished = True
        return partial


def _score_sheet(path: Path, assignment, names: list):
    """The checked score sheet (`written.sheet.Scores`); ScoreSheetError or RubricError before anything runs."""
    from ..written.rubric import written_questions
    from ..written.sheet import read_scores

    return read_scores(path, questions=written_questions(assignment), submissions=names)


def grade_folder(*, assignment: str, submissions: Path, out: Path, workers: int | None = None,
                 timeout: float | None = None, cell_timeout: float | None = None, call_timeout: float | None = None,
                 progress: bool = True, cache: bool = True, manual: Path | None = None,
                 sandbox_mode: str | None = None, device: str | None = None, profile: Profile | None = None,
                 regrade: str | None = None, only: tuple = ()) -> list[Result]:
    """Grade every `.zip` / `.ipynb` in `submissions`; write the reports under `out`; return the results.

    `timeout`, `cell_timeout` and `call_timeout` override grading_config/<id>.toml (seconds per
    submission, per notebook cell, per call of a student's function). With `cache`, results of
    unchanged submissions are reused from `out/.cache`; without it every submission is graded afresh
    (and the cache refreshed), except what a killed batch on `out` had finished (`Journal`).

    `manual`: a filled score sheet of `diffcourse written` (`autograder.written.sheet`). It is read and
    checked against the rubrics and the submissions' names before anything is graded or written (a bad sheet
    or rubric raises `written.WrittenError` and leaves `out` as it was), and merged into the results (cached
    ones included) when the reports are written; the returned results carry the written points.

    `sandbox_mode`: ``auto`` (default, or ``$DIFFCOURSE_SANDBOX``), ``require`` or ``off`` (`boundary.sandbox`);
    ``require`` raises `sandbox.SandboxUnavailable` before anything is written when a wall cannot be had.
    `profile` (`profiles.Profile`): the backend (``local`` or ``ray``; ``slurm`` is `slurm.emit`), the device and
    the workers, `workers` and `device` given here winning over it; ``cuda`` without a GPU raises
    `device.DeviceUnavailable` before anything is written (on Ray the device is decided on each node).
    `regrade`: the command line that regrades one submission, for the class report (``SUBMISSION`` in it).
    `only`: grade just the submissions of these names (ValueError naming any that is not in `submissions`).
    Raises `OutputLocked` when another batch is writing to `out`.
    """
    runner = (profile or Profile()).override(workers=workers, device=device)
    if runner.backend not in ("local", "ray"):
        raise ValueError(f"the {runner.backend} backend does not grade here: write its job with slurm.emit")
    a = course.get(assignment)
    limit = timeout if timeout is not None else a.config.limits.submission
    everyone = named_submissions(Path(submissions))
    named = select(everyone, only)
    names, paths = [n for n, _ in named], [p for _, p in named]
    scores = None if manual is None else _score_sheet(manual, a, [n for n, _ in everyone])
    if only:
        _refuse_to_shrink(Path(out), names)
    walls = sandbox.probe(sandbox_mode)
    where = resolve(runner.device) if runner.backend == "local" else runner.device
    settings = Settings(limit, cell_timeout, call_timeout, sandbox_mode, where)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with OutputLock(out):
        results = _grade(a, out, names, paths, settings, walls, runner, progress=progress, cache=cache)
        ordered = [results[n] for n in names if n in results]
        if scores is not None:
            ordered = scores.apply(ordered)
        regrade = regrade or regrade_command(a.id, Path(submissions), out, settings, manual=manual,
                                             profile=profile.name if profile is not None else "")
        write_reports(ordered, out, a.config.hidden_visibility, written=scores is not None, sandbox=walls,
                      regrade=regrade, assignment=a.id)
        Journal(out / ".cache").close()  # the batch is complete: a later --no-cache regrades everything
    return ordered


def _refuse_to_shrink(out: Path, names: list) -> None:
    """`only` writes reports of the named submissions alone: refuse an output folder holding others' grades."""
    try:
        with open(out / "grades.csv", newline="") as fh:
            others = {row[0] for row in list(csv.reader(fh))[1:] if row} - set(names)
    except OSError:
        return
    if others:
        raise ValueError(f"{out} holds the grades of {len(others)} other submission(s); --only writes a report of "
                         "the named ones alone: give another --out")


def regrade_command(assignment: str, submissions: Path, out: Path, settings: "Settings", *, profile: str = "",
                    manual: Path | None = None) -> str:
    """The command that grades one submission (SUBMISSION) again as this batch did, into ``OUT/regrade``."""
    q = lambda v: shlex.quote(str(v))  # noqa: E731
    parts = ["diffcourse", "grade", assignment, q(submissions), "--out", q(Path(out) / "regrade"), "--only",
             "SUBMISSION", "--no-cache", "--timeout", f"{settings.limit:g}"]
    parts += [arg for key, value in (("cell", settings.cell), ("call", settings.call)) if value is not None
              for arg in (f"--{key}-timeout", f"{value:g}")]
    parts += ["--device", settings.device] if settings.device != "cpu" else []
    parts += ["--sandbox", settings.sandbox_mode] if settings.sandbox_mode else []
    parts += ["--profile", q(profile)] if profile else []
    parts += ["--manual", q(manual)] if manual else []
    return " ".join(parts)


def select(named: list, only) -> list:
    """The ``(name, path)`` pairs of `named` whose names are in `only` (all of them when it is empty)."""
    unknown = sorted(set(only) - {n for n, _ in named})
    if unknown:
        raise ValueError(f"no submission named {', '.join(unknown)} (names are file names without .ipynb/.zip)")
    return [(n, p) for n, p in named if not only or n in only]


@dataclass(frozen=True)
class Settings:
    """What a submission is graded with, on any backend: the limits (seconds), the sandbox mode and the device
    (``cpu``/``cuda``, or ``auto`` where each node decides)."""

    limit: float
    cell: float | None = None
    call: float | None = None
    sandbox_mode: str | None = None
    device: str = "cpu"

    def worker_args(self, walls, device: str) -> list:
        """The worker's options (`worker.main`) for a submission graded behind `walls` on `device`."""
        args = ["--timeout", str(self.limit), "--sandbox", json.dumps(walls.to_json()), "--device", device]
        args += [arg for key, value in (("cell", self.cell), ("call", self.call)) if value is not None
                 for arg in (f"--{key}-timeout", str(value))]
        mpl = mpl_font_cache()
        return args + (["--mpl-cache", str(mpl)] if mpl is not None else [])


def cache_settings(settings: Settings, walls) -> dict:
    """The grading settings a cached result depends on: the limits, the sandbox's walls and the device."""
    return {"submission": settings.limit, "cell": settings.cell, "call": settings.call, "sandbox": walls.to_json(),
            **({"device": settings.device} if settings.device != "cpu" else {})}


def grade_here(assignment: str, path: Path, name: str, settings: Settings) -> Result:
    """Grade one submission on this machine as a local batch does (a fresh worker process, tried again around
    what took it down), behind the walls this machine allows and on its device (`settings.device` ``auto``: a GPU
    when this process was lent one). What a Ray task and a Slurm array task run."""
    walls = sandbox.probe(settings.sandbox_mode)
    device = resolve(settings.device)
    scratch = Path(tempfile.mkdtemp(prefix="dc-one-"))
    os.chmod(scratch, 0o711)
    try:
        runner = Runner(assignment, scratch, settings.limit, settings.worker_args(walls, device))
        return runner.run(Job(Path(path), name, scratch / "result.json"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _grade(a, out: Path, names: list, paths: list, settings: Settings, walls, runner: Profile, *, progress: bool,
           cache: bool) -> dict:
    """name -> Result for every submission: reused, or graded on the profile's backend."""
    store = ResultCache(out / ".cache", a, cache_settings(settings, walls))
    journal = Journal(out / ".cache")
    keys = {name: store.key(path, name) for path, name in zip(paths, names)}
    results = {}
    for name in names:
        if cache or keys[name] in journal.keys:
            hit = store.get(keys[name])
            if hit is not None:
                results[name] = hit
    todo = [(p, n) for p, n in zip(paths, names) if n not in results]
    if runner.backend == "ray":
        from .raybackend import grade_on_ray

        finished = grade_on_ray(a.id, todo, settings, runner)
    else:
        finished = _grade_locally(a.id, out, todo, settings, walls, runner.workers)
    with tqdm(total=len(todo), desc=f"grading {a.id}", unit="sub", disable=not progress) as bar:
        try:
            for name, result in finished:
                results[name] = result
                if not set(result.flags) & TRANSIENT:
                    store.put(keys[name], result)
                    journal.add(keys[name])
                bar.update(1)
        finally:
            finished.close()  # on Ctrl-C here too: the backend stops its workers or cancels its tasks
    return results


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _grade_locally(assignment: str, out: Path, todo: list, settings: Settings, walls, workers: int):
    """Yield ``(name, Result)`` as worker processes on this machine finish, `workers` at a time (on CUDA one GPU
    each); Ctrl-C takes every worker and kernel down."""
    if walls.budget:
        sweep_stale()  # empty groups a killed batch left, a day old
    scratch = scratch_folder(out)
    gpus = GpuPool(settings.device)
    runner = Runner(assignment, scratch, settings.limit, settings.worker_args(walls, settings.device), gpus,
                    zygote=zygote_address(walls, settings.device, start=len(todo) >= ZYGOTE_FROM))
    jobs = [Job(p, n, scratch / f"{i}.json") for i, (p, n) in enumerate(todo)]
    jobs.sort(key=lambda job: -_size(job.path))  # the biggest first: the batch does not end on one long notebook
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(runner.run, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    result = future.result()
                    if result is not None:
                        yield futures[future].name, result
            except BaseException:  # Ctrl-C: take every worker and kernel down with the batch
                runner.stop_all()
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
