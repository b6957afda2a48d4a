"""The course folder: assignments are discovered from grading_config/, and a malformed config is refused
with its file and line, before anything is written."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder import course
from autograder.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]


def test_assignments_are_discovered_not_listed(tmp_path, monkeypatch):
    (tmp_path / "grading_config").mkdir()
    for name in ("hw9_new", "hw0_first"):
        (tmp_path / "grading_config" / f"{name}.toml").write_text("")
    assert course.assignment_ids(tmp_path) == ["hw0_first", "hw9_new"]
    monkeypatch.setenv("DIFFCOURSE_ROOT", str(tmp_path))
    assert course.root() == tmp_path.resolve()
    assert course.get("hw9_new").master == tmp_path.resolve() / "solutions" / "hw9_new" / "hw9_new.ipynb"
    with pytest.raises(ValueError, match="unknown assignment 'hw5'; known: hw0_first, hw9_new"):
        course.get("hw5")


def test_a_folder_without_grading_config_is_not_a_course(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFCOURSE_ROOT", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no grading_config"):
        course.root()


def test_the_shipped_configs_parse():
    for assignment in course.assignment_ids():
        config = course.get(assignment).config
        assert config.limits.cell > 0 and config.support_files


@pytest.mark.parametrize("text,match", [
    ("[limits]\ncell = 30\ncal = 5\n", r":3: unknown key 'cal' in \[limits\]"),
    ("[limits]\ncell = \"fast\"\n", r":2: cell must be a positive number"),
    ("[limits]\nmax_restarts = 1.5\n", r":2: max_restarts must be a whole number"),
    ("[limits]\ncell = -1\n", r":2: cell must be a positive number"),
    ("\n[grading]\ncell = 3\n", r":2: unknown section \[grading\]"),
    ("[gradescope]\nhidden_visibility = \"sometimes\"\n", r":2: hidden_visibility must be one of"),
    ("[limits]\ncell = 30\ncell = 40\n", r"line 3"),
    ("[build]\nsupport_files = \"toy.py\"\n", r":2: support_files must be a list"),
    ("[build]\nsupport_files = [\"../../etc/passwd.py\"]\n", r":2: support_files must be a list"),
    ("[limits]\ncall = nan\n", r":2: call must be a positive number"),
    ("[limits]\nsubmission = inf\n", r":2: submission must be a positive number"),
    ("[limits]\nmax_restarts = -1\n", r":2: max_restarts must be a whole number"),
    ("cell = 30\n[limits]\n", r":1: 'cell' is outside any section"),
])
def test_a_malformed_config_names_its_line(tmp_path, text, match):
    path = tmp_path / "hw.toml"
    path.write_text(text)
    with pytest.raises(course.ConfigError, match=match) as err:
        course.parse_config(path)
    assert str(path) in str(err.value)


def test_grading_with_a_malformed_config_stops_before_writing_anything(tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "grading_config", root / "grading_config")
    (root / "grading_config" / "hw1_score.toml").write_text("[limits]\ncell = 60\ncalls = 5\n")
    monkeypatch.setenv("DIFFCOURSE_ROOT", str(root))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", "hw1_score", str(ROOT / "tests" / "submissions" / "hw1_score"),
                                      "--out", str(out)])
    assert result.exit_code != 0
    assert "hw1_score.toml:3: unknown key 'calls'" in result.output
    assert not out.exists()


def test_max_restarts_may_be_zero(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text("[limits]\nmax_restarts = 0\n")
    assert course.parse_config(path).limits.max_restarts == 0
