"""`diffcourse`: a thin command line over `autograder.build`, `autograder.grading` and `autograder.course`."""

from __future__ import annotations

import functools
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
    """A malformed grading_config is reported with its file and line, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except course.ConfigError as err:
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
@_config_errors
def build(ids: tuple[str, ...], force: bool) -> None:
    """Run otter assign, refresh assignments/ID and write dist/ID-autograder.zip (all assignments by default)."""
    from .build import build_assignment

    for assignment in ids or course.assignment_ids():
        click.echo(f"{assignment}: {build_assignment(assignment=assignment, force=force)}")


@main.command()
@click.argument("assignment", type=ASSIGNMENT)
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for grades.csv, results/, feedback/.")
@click.option("--workers", default=1, show_default=True, help="Submissions graded at once.")
@click.option("--timeout", type=float, default=None, help="Seconds per submission (default: grading_config).")
@click.option("--cell-timeout", type=float, default=None, help="Seconds per notebook cell (default: grading_config).")
@click.option("--call-timeout", type=float, default=None, help="Seconds per call of a student's function.")
@click.option("--no-cache", is_flag=True, help="Regrade every submission (by default unchanged ones are reused from OUT/.cache).")
@_config_errors
def grade(assignment: str, submissions: Path, out: Path, workers: int, timeout: float | None,
          cell_timeout: float | None, call_timeout: float | None, no_cache: bool) -> None:
    """Grade every Otter export zip and .ipynb in SUBMISSIONS."""
    from .grading.batch import grade_folder
    from .reports.report import table

    try:
        results = grade_folder(assignment=assignment, submissions=submissions, out=out, workers=workers,
                               timeout=timeout, cell_timeout=cell_timeout, call_timeout=call_timeout,
                               cache=not no_cache)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: every worker and kernel was stopped; finished results are cached", err=True)
        sys.exit(130)
    click.echo(table(results))
    click.echo(f"\n{len(results)} submission(s): grade table {out / 'grades.csv'}, "
               f"Gradescope results {out / 'results'}/, feedback {out / 'feedback'}/")


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


if __name__ == "__main__":
    main()
