"""Where each assignment's pieces live, and its grading configuration."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .engine import Limits

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ("hw1_score", "hw2_ddpm")


@dataclass(frozen=True)
class Config:
    limits: Limits
    hidden_visibility: str = "after_published"  # Gradescope visibility of hidden checks
    support_files: tuple = ("toy.py",)  # course_core modules shipped next to the student notebook


def check_id(assignment: str) -> str:
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    return assignment


def master_notebook(assignment: str) -> Path:
    return REPO / "solutions" / assignment / f"{assignment}.ipynb"


def student_dir(assignment: str) -> Path:
    return REPO / "assignments" / assignment


def load_config(assignment: str) -> Config:
    """grading_config/<id>.toml: [limits] cell, call, submission, max_restarts; [gradescope] hidden_visibility."""
    path = REPO / "grading_config" / f"{check_id(assignment)}.toml"
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    limits = Limits(**data.get("limits", {}))
    extra = data.get("gradescope", {})
    return Config(limits=limits, hidden_visibility=extra.get("hidden_visibility", "after_published"),
                  support_files=tuple(data.get("build", {}).get("support_files", ["toy.py"])))


def inputs_digest(assignment: str, extra: list[Path] = ()) -> str:
    """A digest of everything a build or a grade depends on: the grader, the reference, the config, `extra`."""
    h = hashlib.sha256()
    paths = [*extra, *sorted((REPO / "autograder").rglob("*.py")), *sorted((REPO / "course_core").rglob("*.py")),
             REPO / "grading_config" / f"{assignment}.toml"]
    for path in paths:
        if path.exists():
            h.update(str(path.relative_to(REPO)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()
