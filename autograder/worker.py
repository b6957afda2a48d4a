"""Grade one submission in a process of its own: `python -m autograder.worker ARGS`.

The batch runner starts one worker per submission, so a submission that kills its grader costs
only itself. The worker writes its result JSON after every step (atomically), so what was earned
before a crash survives it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .assignments import load_config, student_dir
from .engine import Grader, Plan, new_result, status_of
from .checks import load_suite
from .submission import BadSubmission, load_notebook, submission_name


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def grade_submission(assignment: str, path: Path, out: Path, plan: Plan, *, name: str | None = None,
                     mpl_cache: Path | None = None,
                     timeout: float | None = None, cell_timeout: float | None = None,
                     call_timeout: float | None = None) -> dict:
    limits = load_config(assignment).limits
    for attr, value in (("submission", timeout), ("cell", cell_timeout), ("call", call_timeout)):
        if value is not None:
            setattr(limits, attr, value)
    name = name or submission_name(path)
    try:
        nb = load_notebook(path, assignment)
    except BadSubmission as err:
        result = new_result(assignment, name, load_suite(assignment))
        result["notes"].append(f"could not be graded: {err}")
        result["status"] = "invalid"
        result["finished"] = True
        write_json(out, result)
        return result
    files = student_dir(assignment)

    def progress(result: dict) -> None:
        write_json(out, result)

    grader = Grader(assignment, nb, name, student_files=files if files.is_dir() else None, limits=limits,
                    plan=plan, on_progress=progress, mpl_cache=mpl_cache)
    result = grader.grade()
    result["status"] = status_of(result)
    result["finished"] = True
    write_json(out, result)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("assignment")
    ap.add_argument("submission", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--plan", type=Path, help="JSON {skip_cells: [...], failed_checks: {...}} from an earlier try")
    ap.add_argument("--mpl-cache", type=Path)
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--cell-timeout", type=float)
    ap.add_argument("--call-timeout", type=float)
    ap.add_argument("--name", help="the submission's name in the reports (default: the file's stem)")
    args = ap.parse_args(argv)
    plan = Plan()
    if args.plan and args.plan.exists():
        data = json.loads(args.plan.read_text())
        plan = Plan(set(data.get("skip_cells", [])), dict(data.get("failed_checks", {})))
    grade_submission(args.assignment, args.submission, args.out, plan, name=args.name, mpl_cache=args.mpl_cache,
                     timeout=args.timeout,
                     cell_timeout=args.cell_timeout, call_timeout=args.call_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
