"""The hostile suite (tests/hostile.py): every attack graded in one batch beside two controls, as a TA would.

Each case must get exactly the points its own code earns, the batch must finish, the controls must get what
they get when graded alone, and nothing an attack tried may be left behind: no forged row or result file, no
process alive after the batch, no connection to the test's server, no file written outside the submission.
A case whose attack only a sandbox wall stops is skipped, with the reason, where that wall is not in force
(`autograder.boundary.sandbox`); CI runs as root with bubblewrap, where every wall is up.
"""

from __future__ import annotations

import csv
import json
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograder.boundary import sandbox
from autograder.grading.batch import grade_folder

import hostile

# Two questions' checks per case; a looping cell costs `cell`, a looping function one `call`.
LIMITS = dict(cell_timeout=15.0, call_timeout=8.0, timeout=180.0)
WALLS = sandbox.probe()
CONTROLS = {"control_correct": hostile.notebook([hostile.TWEEDIE]), "control_wrong": hostile.notebook([hostile.WRONG])}


class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.heard: list = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, peer = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.heard.append((peer, conn.recv(100)))
                except OSError:
                    self.heard.append((peer, b""))


def _safe(case) -> bool:
    return all(getattr(WALLS, wall) for wall in case.unsafe_without)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    listener = Listener()
    out, subs = root / "out", root / "submissions"
    subs.mkdir()
    (root / "canary.txt").write_text("untouched")  # symlinks_for_the_restart points the grader at it
    cases = {c.name: c for c in hostile.cases(listener.port, str(out)) if _safe(c)}
    for name, case in cases.items():
        (subs / f"{name}{case.suffix}").write_bytes(hostile.build(case))
    for name, data in CONTROLS.items():
        (subs / f"{name}.ipynb").write_bytes(data)
    began = time.monotonic()
    results = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=subs, out=out, workers=2,
                                                     progress=False, **LIMITS)}
    seconds = time.monotonic() - began
    alone = root / "alone"
    alone.mkdir()
    for name, data in CONTROLS.items():
        (alone / f"{name}.ipynb").write_bytes(data)
    controls = {r.submission: r for r in grade_folder(assignment="hw1_score", submissions=alone, out=root / "out-alone",
                                                      workers=2, progress=False, **LIMITS)}
    time.sleep(1.0)  # what a leftover daemon would write, it has written by now
    return {"cases": cases, "results": results, "out": out, "subs": subs, "root": root, "listener": listener,
            "controls": controls, "seconds": seconds}


def test_the_suite_has_at_least_25_attacks():
    assert len(hostile.cases(1, "/nowhere")) >= 25


@pytest.mark.parametrize("name", [c.name for c in hostile.cases(1, "/nowhere")])
def test_each_attack_gets_what_its_own_code_earns(batch, name):
    """tweedie_denoiser and langevin_step score what the case's own code deserves; no crash, no grader error."""
    case = next(c for c in hostile.cases(1, "/nowhere") if c.name == name)
    if not _safe(case):
        pytest.skip(f"not graded here: it needs {', '.join(case.unsafe_without)} ({WALLS.summary()})")
    missing = [wall for wall in case.needs if not getattr(WALLS, wall)]
    if missing:
        pytest.skip(f"only the sandbox stops this attack, and here {WALLS.summary()}")
    result = batch["results"][name]
    points = result.points_by_question()
    assert result.finished, name
    assert points["tweedie_denoiser"] == case.tweedie, (name, result.notes, result.status)
    if case.langevin is not None:
        assert points["langevin_step"] == case.langevin, (name, result.notes, result.status)
    others = {q: p for q, p in points.items() if q not in ("tweedie_denoiser", "langevin_step")}
    assert not any(others.values()), (name, others)
    for flag in case.status:
        assert flag in result.flags, (name, result.status, result.notes)
    for flag in case.not_status:
        assert flag not in result.flags, (name, result.status, result.notes)
    if set(result.flags) - {"flagged"}:
        assert result.notes, f"{name} ({result.status}): nothing says what happened"


def test_the_controls_get_what_they_get_alone(batch):
    """No attack changed another submission's result: the controls' points and messages are those of a batch
    of their own."""
    for name, alone in batch["controls"].items():
        beside = batch["results"][name]
        assert beside.status == alone.status == "ok"
        assert [(c.name, c.points, c.message) for q in beside.auto_questions() for c in q.checks] == \
               [(c.name, c.points, c.message) for q in alone.auto_questions() for c in q.checks]
    assert batch["results"]["control_correct"].points_by_question()["tweedie_denoiser"] == 3
    assert batch["results"]["control_wrong"].points_by_question()["tweedie_denoiser"] == 0


def test_the_batch_files_are_the_graders_alone(batch):
    """grades.csv has one row per submission, as graded, and no forged row; results/ holds exactly one file per
    submission, each the grader's; the output folder holds nothing else."""
    out, results = batch["out"], batch["results"]
    text = (out / "grades.csv").read_text()
    assert "hostile_forged_row" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert sorted(r["submission"] for r in rows) == sorted(results)
    for row in rows:
        assert float(row["total"]) == results[row["submission"]].total
    assert sorted(p.stem for p in (out / "results").iterdir()) == sorted(results)
    for path in (out / "results").iterdir():
        data = json.loads(path.read_text())
        assert data["score"] == results[path.stem].total and path.stat().st_size < 2**20
    assert {p.name for p in out.iterdir()} <= {"grades.csv", "results", "feedback", ".cache", ".lock", "grading.json",
                                              "class_report.html"}
    walls = json.loads((out / "grading.json").read_text())
    assert walls["sandbox"] == WALLS.to_json() and walls["sandbox_summary"] == WALLS.summary()


def test_nothing_the_attacks_started_outlives_the_batch(batch):
    left = [p.info for p in psutil.process_iter(["pid", "cmdline"])
            if any("dc-hostile-daemon" in part for part in p.info["cmdline"] or [])]
    if left and not WALLS.processes:
        pytest.skip(f"a daemon that clears its environment outlives the kernel without a pid namespace: {WALLS.summary()}")
    assert left == []


def test_no_connection_left_the_kernel(batch):
    if not WALLS.network:
        pytest.skip(WALLS.summary())
    assert batch["listener"].heard == []


def test_no_file_was_written_outside_the_submission(batch):
    root = batch["root"]
    for folder in (root, batch["subs"], batch["out"], Path("/tmp")):
        assert not [p for p in folder.glob("hostile_slip*")], folder
    assert not Path("/tmp/pwned").exists()
    assert (root / "canary.txt").read_text() == "untouched"


def test_sleeping_just_under_the_cell_limit_in_every_cell_is_stopped_by_the_submission_limit(tmp_path):
    """Each cell sleeps just under its limit; the submission's limit ends it (status timeout), in about that time."""
    subs = tmp_path / "in"
    subs.mkdir()
    cells = [hostile.TWEEDIE] + ["time.sleep(2.6)"] * 12
    (subs / "sleepy.ipynb").write_bytes(hostile.notebook(cells))
    began = time.monotonic()
    [result] = grade_folder(assignment="hw1_score", submissions=subs, out=tmp_path / "out", progress=False,
                            cell_timeout=3.0, call_timeout=8.0, timeout=15.0)
    assert "timeout" in result.flags and result.finished, result.notes
    assert not [c for c in result.cells if c.get("status") == "timeout"], result.cells  # no cell passed its limit
    assert time.monotonic() - began < 15.0 + 60.0
