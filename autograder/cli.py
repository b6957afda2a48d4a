"""`diffcourse`: a thin command line over `autograder.build`, `autograder.grading` and `autograder.course`."""

from __future__ import annotations

import functools
import shlex
import sys
from pathlib import Path

import click

from . import course


class _AssignmentId(click.ParamType):
    """An assignment id, checked against the course's discovered assignments."""

    name = "assignment"

    def convert(self, value, param, ctx):
        try:
            return course.get(value).id
        except (ValueError, FileNotFoundError) as err:
            self.fail(str(err), param, ctx)


ASSIGNMENT = _AssignmentId()




def _config_errors(fn):
    """A malformed grading_config, rubric or score sheet is reported with its file and line (or cell), without a
    traceback, and the command exits with status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .written import WrittenError

        try:
            return fn(*args, **kwargs)
        except (course.ConfigError, WrittenError) as err:
            raise click.ClickException(str(err)) from None

    return wrapper


@click.group()
def main() -> None:
    """Build, grade and self-check the assignments of course 236759 (Diffusion Models)."""


@main.command(name="list")
def list_assignments() -> None:
    """Print the course's assignments (one id per line)."""
    for assignment in course.assignment_ids():
        click.echo(assignment)


@main.command()
@click.argument("ids", nargs=-1, type=ASSIGNMENT)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Assignments built at once (default: one per CPU). Each runs its master notebook on one thread.")
@_config_errors
def build(ids: tuple[str, ...], force: bool, jobs: int | None) -> None:
    """Run otter assign, refresh assignments/ID and write dist/ID-autograder.zip (all assignments by default, and
    then the practice notebooks in assignments/practice). Assignments are built side by side; each one's line is
    printed in order once it is done, and the first failure stops the command after the builds under way."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .build import build_assignment

    todo = list(ids or course.assignment_ids())
    with ThreadPoolExecutor(max_workers=min(jobs or os.cpu_count() or 1, len(todo))) as pool:
        # otter assign runs in a subprocess of its own: threads are enough to run several at once
        running = [(a, pool.submit(build_assignment, assignment=a, force=force)) for a in todo]
        try:
            for assignment, done in running:
                click.echo(f"{assignment}: {done.result()}")
        finally:
            for _, waiting in running:
                waiting.cancel()
    if not ids:
        from .practice.notebook import FOLDER, write_notebooks

        write_notebooks(FOLDER)
        click.echo(f"practice notebooks: {FOLDER}")


@main.command()
@click.argument("assignment", type=ASSIGNMENT)
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for grades.csv, results/, feedback/.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Submissions graded at once (local backend; default: the profile's, 1).")
@click.option("--timeout", type=float, default=None, help="Seconds per submission (default: grading_config).")
@click.option("--cell-timeout", type=float, default=None, help="Seconds per notebook cell (default: grading_config).")
@click.option("--call-timeout", type=float, default=None, help="Seconds per call of a student's function.")
@click.option("--no-cache", is_flag=True, help="Regrade every submission (by default unchanged ones are reused from OUT/.cache).")
@click.option("--manual", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A filled score sheet of `diffcourse written`: merge its written points (checked first).")
@click.option("--sandbox", "sandbox_mode", type=click.Choice(["auto", "require", "off"]), default=None,
              help="The student's kernel behind every wall the platform allows (auto, default; "
                   "$DIFFCOURSE_SANDBOX), all of them or refuse (require), or only limits (off).")
@click.option("--profile", default=None, help="A runner profile: a name of grading_config/runners/ (local-cpu, "
              "single-gpu, ray, slurm) or a .toml file; the options given here win over it.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
              help="Where the kernels and references run (default: the profile's, auto: CUDA when a GPU is visible).")
@click.option("--backend", type=click.Choice(["local", "ray", "slurm"]), default=None,
              help="Worker processes here (local), one Ray task per submission (ray), or an sbatch array (slurm, "
                   "with --emit).")
@click.option("--address", default=None, help="Ray: the cluster to join (default: start one on this machine).")
@click.option("--emit", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Slurm: write the array job into this (new, shared) folder instead of grading.")
@click.option("--only", multiple=True, help="Grade only this submission (a name in grades.csv); repeatable.")
@_config_errors
def grade(assignment: str, submissions: Path, out: Path, workers: int | None, timeout: float | None,
          cell_timeout: float | None, call_timeout: float | None, no_cache: bool, manual: Path | None,
          sandbox_mode: str | None, profile: str | None, device: str | None, backend: str | None,
          address: str | None, emit: Path | None, only: tuple) -> None:
    """Grade every Otter export zip and .ipynb in SUBMISSIONS."""
    from .boundary.sandbox import SandboxUnavailable
    from .grading import profiles
    from .grading.batch import OutputLocked, grade_folder
    from .grading.device import DeviceUnavailable
    from .grading.raybackend import BackendUnavailable
    from .reports.report import sandbox_lines, table

    runner = profiles.load(profile).override(backend=backend, address=address)
    if runner.backend == "slurm" or emit is not None:
        if manual is not None:
            raise click.UsageError("a Slurm job's written points are merged when it is collected: "
                                   "diffcourse collect DIR --manual SHEET")
        _emit(assignment, submissions, out, runner.override(workers=workers, device=device), emit, timeout,
              cell_timeout, call_timeout, sandbox_mode, only)
        return
    try:
        results = grade_folder(assignment=assignment, submissions=submissions, out=out, workers=workers,
                               timeout=timeout, cell_timeout=cell_timeout, call_timeout=call_timeout,
                               cache=not no_cache, manual=manual, sandbox_mode=sandbox_mode, device=device,
                               profile=runner if profile or backend or address else None, only=only)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: every worker and kernel was stopped; finished results are cached", err=True)
        sys.exit(130)
    except (OutputLocked, SandboxUnavailable, DeviceUnavailable, BackendUnavailable, ValueError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(table(results, written=manual is not None))
    for line in sandbox_lines(results):
        click.echo(line)
    devices = sorted({r.device for r in results})
    click.echo(f"device: {', '.join(devices) or '-'} ({runner.backend} backend)")
    click.echo(f"\n{len(results)} submission(s): grade table {out / 'grades.csv'}, "
               f"Gradescope results {out / 'results'}/, feedback {out / 'feedback'}/, "
               f"class report {out / 'class_report.html'}")
    if manual is not None:
        answers = [q for r in results for q in r.manual_questions()]
        click.echo(f"written points from {manual}: {sum(q.graded for q in answers)} of {len(answers)} answers graded")


def _emit(assignment, submissions, out, runner, emit, timeout, cell_timeout, call_timeout, sandbox_mode, only) -> None:
    """`grade --backend slurm --emit DIR`: write the array job, and say how to run and collect it."""
    from .grading.batch import Settings
    from .grading.slurm import SCRIPT, emit as write_job

    if emit is None:
        raise click.UsageError("the slurm backend writes a job to run: give --emit DIR (a new folder the nodes share)")
    if runner.backend != "slurm":
        raise click.UsageError(f"--emit writes a Slurm job; the {runner.backend} backend grades directly")
    a = course.get(assignment)
    settings = Settings(timeout if timeout is not None else a.config.limits.submission, cell_timeout, call_timeout,
                        sandbox_mode, runner.device)
    try:
        manifest = write_job(assignment=assignment, submissions=submissions, folder=emit, settings=settings,
                             runner=runner, out=out, only=only)
    except (FileExistsError, ValueError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"{len(manifest['submissions'])} submission(s) of {assignment}: {emit / SCRIPT}")
    click.echo(f"run: sbatch {shlex.quote(str(emit / SCRIPT))}\nthen: diffcourse collect {shlex.quote(str(emit))} "
               f"(reports into {manifest['out']})")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the reports (default: the --out given when the job was emitted).")
@click.option("--allow-missing", is_flag=True, help="Write the reports of the tasks that finished, listing the others.")
@click.option("--manual", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A filled score sheet of `diffcourse written`: merge its written points (checked first).")
@_config_errors
def collect(folder: Path, out: Path | None, allow_missing: bool, manual: Path | None) -> None:
    """Merge the results of a Slurm array job (`grade --backend slurm --emit FOLDER`) into the reports."""
    from .grading.batch import OutputLocked
    from .grading.slurm import CollectError
    from .grading.slurm import collect as merge
    from .reports.report import sandbox_lines, table

    try:
        results, note = merge(folder, out, allow_missing=allow_missing, manual=manual)
    except (CollectError, OutputLocked) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(table(results, written=manual is not None))
    for line in sandbox_lines(results):
        click.echo(line)
    if note:
        click.echo(note, err=True)


@main.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
def gradebook(root: Path) -> None:
    """Write ROOT/gradebook.csv: one row per student, one column per assignment graded into ROOT/<folder>."""
    from .reports.gradebook import write_gradebook

    try:
        path = write_gradebook(root)
    except ValueError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"gradebook: {path}")


@main.command()
@click.argument("assignment", type=ASSIGNMENT)
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the pages (index.html, QUESTION.html) and the score sheet scores.csv.")
@_config_errors
def written(assignment: str, submissions: Path, out: Path) -> None:
    """Write a grading page per written question of SUBMISSIONS and the score sheet to fill in."""
    from .written.pages import write_pages

    done = write_pages(assignment=assignment, submissions=submissions, out=out)
    for page in done.pages:
        found, total = done.answered[page.stem]
        click.echo(f"{page}: {found} of {total} submissions answered")
    sheet = done.sheet
    if sheet.action == "merged":
        click.echo(f"{out / 'scores.csv'} has a TA's entries and was left as it was; {sheet.path} holds it with "
                   f"{sheet.added} new row(s): check it and rename it to scores.csv")
    else:
        click.echo(f"score sheet: {sheet.path}" + (" (already complete, left as it was)" if sheet.action == "kept" else ""))
    for line in sheet.dropped:
        click.echo(f"no longer on the sheet (its submission, question or item is gone): {line}", err=True)
    click.echo(f"open {done.index}; then: diffcourse grade {assignment} {submissions} --out OUT --manual {sheet.path}")


@main.command()
@click.argument("assignment", type=ASSIGNMENT)
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timeout", type=float, default=None, help="Seconds for the whole notebook (default: grading_config).")
@_config_errors
def check(assignment: str, notebook: Path, timeout: float | None) -> None:
    """Self-study: run the public and hidden checks on one notebook and print feedback per question."""
    from .grading.selfcheck import check_notebook

    result, text = check_notebook(assignment=assignment, notebook=notebook, timeout=timeout)
    click.echo(text)
    sys.exit(2 if result.status == "invalid" else 0)


@main.command()
@click.option("--chapter", type=click.Choice(list(course.CHAPTERS)), default=None,
              help="Drill one chapter (by default the drill leans toward your weakest chapters).")
@click.option("--seed", type=int, default=None, help="Replay a drill: the same seed asks the same questions.")
@click.option("--count", type=click.IntRange(1, 500), default=10, show_default=True, help="Questions to ask.")
@click.option("--progress", "progress_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Progress file (default: diffcourse's folder in your user data directory).")
def practice(chapter: str | None, seed: int | None, count: int, progress_file: Path | None) -> None:
    """Exam practice in the terminal: randomized questions with feedback and worked solutions."""
    import secrets

    from .practice.drill import Progress, drill

    if progress_file is None:
        import platformdirs

        progress_file = platformdirs.user_data_path("diffcourse") / "practice.json"
    seed = secrets.randbelow(10**6) if seed is None else seed

    try:
        import readline  # noqa: F401 - line editing and history for input(), where the platform has it
    except ImportError:
        pass
    drill(read=input, say=click.echo, progress=Progress.load(progress_file), seed=seed, chapter=chapter, count=count)


@main.command()
@click.option("--seed", type=int, required=True, help="The same seed gives the same exam.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for exam.html and key.html.")
@click.option("--questions", "count", type=click.IntRange(4, 40), default=None,
              help="Number of questions (default: the course's mix, one or two per chapter).")
def exam(seed: int, out: Path, count: int | None) -> None:
    """Write a mock exam (exam.html) and its answer key with worked solutions (key.html)."""
    from .practice.exam import write_exam

    written = write_exam(seed=seed, out=out, count=count)
    click.echo(f"mock exam (seed {seed}, {written.questions} questions, {written.points} points): {written.exam}")
    click.echo(f"answer key with worked solutions: {written.key}")


if __name__ == "__main__":
    main()
