"""`diffcourse`: a thin command line over `autograder.build`, `autograder.batch` and `autograder.selfcheck`."""

from __future__ import annotations

from pathlib import Path

import click

from .assignments import ASSIGNMENTS


@click.group()
def main() -> None:
    """Build, grade and self-check the assignments of course 236759 (Diffusion Models)."""


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
def build(ids: tuple[str, ...], force: bool) -> None:
    """Run otter assign, refresh assignments/ID and write dist/ID-autograder.zip (all assignments by default)."""
    from .build import build_assignment

    for assignment in ids or ASSIGNMENTS:
        outcome = build_assignment(assignment=assignment, force=force)
        click.echo(f"{assignment}: {outcome}")


@main.command()
@click.argument("assignment", type=click.Choice(ASSIGNMENTS))
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for grades.csv, results/, feedback/.")
@click.option("--workers", default=1, show_default=True, help="Submissions graded at once.")
@click.option("--timeout", type=float, default=None, help="Seconds per submission (default: grading_config).")
@click.option("--cell-timeout", type=float, default=None, help="Seconds per notebook cell (default: grading_config).")
@click.option("--call-timeout", type=float, default=None, help="Seconds per call of a student's function.")
@click.option("--no-cache", is_flag=True, help="Regrade every submission (by default unchanged ones are reused from OUT/.cache).")
def grade(assignment: str, submissions: Path, out: Path, workers: int, timeout: float | None,
          cell_timeout: float | None, call_timeout: float | None, no_cache: bool) -> None:
    """Grade every Otter export zip and .ipynb in SUBMISSIONS."""
    from .batch import grade_folder
    from .report import table

    results = grade_folder(assignment=assignment, submissions=submissions, out=out, workers=workers, timeout=timeout,
                           cell_timeout=cell_timeout, call_timeout=call_timeout, cache=not no_cache)
    click.echo(table(results))
    click.echo(f"\n{len(results)} submission(s): grade table {out / 'grades.csv'}, "
               f"Gradescope results {out / 'results'}/, feedback {out / 'feedback'}/")


@main.command()
@click.argument("assignment", type=click.Choice(ASSIGNMENTS))
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timeout", type=float, default=None, help="Seconds for the whole notebook (default: grading_config).")
def check(assignment: str, notebook: Path, timeout: float | None) -> None:
    """Self-study: run the public and hidden checks on one notebook and print feedback per question."""
    from .selfcheck import check_notebook

    result, text = check_notebook(assignment=assignment, notebook=notebook, timeout=timeout)
    click.echo(text)
    raise SystemExit(0 if result["status"] != "invalid" else 2)
