"""The backends grade as the local batch does, bit for bit: Ray on a local cluster (logical GPUs), a Ray cluster
that loses a node mid-batch, and a Slurm array job run task by task on this machine, then collected.

Three small hw1 notebooks: a correct Tweedie denoiser, a wrong one, and one that moves its result to the GPU
(graded on the CPU: the device contract's message). One xdist group: the local batch is graded once.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.grading.batch import Settings, grade_folder
from autograder.grading.profiles import Profile

import hostile

pytestmark = pytest.mark.xdist_group("backends")

CUDA_CALL = '''
def tweedie_denoiser(y, score, sigma):
    return (y + sigma**2 * score).cuda()
'''
SUBMISSIONS = {"correct": [hostile.TWEEDIE], "wrong": [hostile.WRONG], "on_the_gpu": [CUDA_CALL]}
LIMITS = dict(timeout=120.0, cell_timeout=15.0, call_timeout=8.0)
EXPECTED = {"correct": 6.0, "wrong": 3.0, "on_the_gpu": 3.0}
RAY = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)


def _submissions(folder: Path, names=SUBMISSIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.ipynb").write_bytes(hostile.notebook(SUBMISSIONS[name]))
    return folder


def _reports(out: Path) -> dict:
    """What a TA and Gradescope get, byte for byte: grades.csv and every results/*.json."""
    files = {"grades.csv": (out / "grades.csv").read_bytes()}
    files.update({f"results/{p.name}": p.read_bytes() for p in sorted((out / "results").glob("*.json"))})
    return files


@pytest.fixture(scope="module")
def ray():
    return pytest.importorskip("ray")  # a dev dependency (tests/test_packaging.py)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = tmp_path_factory.mktemp("backends")
    subs = _submissions(root / "subs")
    results = grade_folder(assignment="hw1_score", submissions=subs, out=root / "local", workers=2, progress=False,
                           **LIMITS)
    return root, subs, {r.submission: r for r in results}


def test_the_local_batch_grades_as_expected(local):
    _, _, results = local
    assert {n: r.total for n, r in results.items()} == EXPECTED
    message = next(c.message for q in results["on_the_gpu"].questions for c in q.checks
                   if not c.passed and c.message.startswith("tweedie_denoiser"))
    assert "device follows the inputs" in message and "The inputs were on cpu" in message
    assert {r.device for r in results.values()} == {"cpu"}


def test_ray_grades_bit_for_bit_as_the_local_batch(local, ray):
    root, subs, _ = local
    ray.init(num_cpus=2, num_gpus=2, **RAY)  # logical GPUs: each task holds one, the machine has none
    try:
        results = grade_folder(assignment="hw1_score", submissions=subs, out=root / "ray", progress=False,
                               profile=Profile(backend="ray", num_gpus=1), **LIMITS)
        assert ray.available_resources().get("GPU") == 2.0  # every task gave its GPU back
        # a task no node can place would wait forever
        with pytest.raises(ValueError, match=r"asks for 3 GPU and 1 CPU, but no node .*at most 2 GPU"):
            grade_folder(assignment="hw1_score", submissions=subs, out=root / "ray-3", progress=False,
                         profile=Profile(backend="ray", num_gpus=3), **LIMITS)
    finally:
        ray.shutdown()
    assert {r.submission: r.total for r in results} == EXPECTED
    assert _reports(root / "ray") == _reports(root / "local")


def _workers() -> list:
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        if "autograder.grading.worker" in " ".join(proc.info["cmdline"] or []):
            out.append(proc)
    return out


def test_a_ray_node_lost_mid_batch_loses_no_submission(local, ray, tmp_path):
    """Two worker nodes of one CPU each; once both are grading, one is killed outright. Its task runs again on
    the other node, every submission gets its grade, and nothing of the lost node's grading is left running."""
    from ray.cluster_utils import Cluster

    _, subs, expected = local
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [cluster.add_node(num_cpus=1, num_gpus=1) for _ in range(2)]
    ray.init(address=cluster.address, **RAY)
    done, errors = [], []

    def grade():
        try:
            done.extend(grade_folder(assignment="hw1_score", submissions=subs, out=tmp_path / "out", progress=False,
                                     profile=Profile(backend="ray", num_gpus=1, max_retries=3), **LIMITS))
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    thread = threading.Thread(target=grade)
    try:
        thread.start()
        deadline = time.monotonic() + 120
        while len(_workers()) < 2 and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.2)
        assert len(_workers()) >= 2, "both nodes never graded at once"
        lost = {p.pid for p in _workers()}
        cluster.remove_node(nodes[1], allow_graceful=False)
        thread.join(timeout=300)
        assert not thread.is_alive() and not errors, errors
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert {r.submission: r.total for r in done} == {n: r.total for n, r in expected.items()}
    time.sleep(1)
    assert not [pid for pid in lost if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def test_a_slurm_array_run_task_by_task_and_collected_grades_as_the_local_batch(local, tmp_path):
    root, subs, _ = local
    job, out = tmp_path / "job", tmp_path / "collected"
    done = CliRunner().invoke(main, ["grade", "hw1_score", str(subs), "--out", str(out), "--profile", "slurm",
                                     "--emit", str(job), "--device", "auto", "--timeout", "120",
                                     "--cell-timeout", "15", "--call-timeout", "8"])
    assert done.exit_code == 0, done.output
    assert f"sbatch {job / 'grade.sbatch'}" in done.output
    script = (job / "grade.sbatch").read_text()
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    for wanted in ("#SBATCH --array=0-2", "#SBATCH --gres=gpu:1", "#SBATCH --mem=16G", "#SBATCH --cpus-per-task=2",
                   "#SBATCH --time=00:14:00", f"#SBATCH --output={job.resolve()}/logs/%a-%A.log"):
        assert wanted in lines, (wanted, script)
    assert lines[-1].endswith('-m autograder.grading.slurm ' + str(job.resolve()) + ' --index "$SLURM_ARRAY_TASK_ID"')
    manifest = json.loads((job / "manifest.json").read_text())
    assert [s["name"] for s in manifest["submissions"]] == sorted(SUBMISSIONS)

    early = CliRunner().invoke(main, ["collect", str(job)])  # nothing has run yet
    assert early.exit_code == 1 and "sbatch --array=0,1,2" in early.output and not out.exists()
    for index in range(3):  # what each array task runs, as Slurm would run it
        subprocess.run(["bash", str(job / "grade.sbatch")], env={**os.environ, "SLURM_ARRAY_TASK_ID": str(index)},
                       check=True, capture_output=True, timeout=300)
    done = CliRunner().invoke(main, ["collect", str(job)])
    assert done.exit_code == 0, done.output
    assert _reports(out) == _reports(root / "local")


def test_collect_names_what_is_missing_or_not_its_own_and_writes_nothing(local, tmp_path):
    root, _, results = local
    job = tmp_path / "job"
    from autograder.grading import slurm

    slurm.emit(assignment="hw1_score", submissions=_submissions(tmp_path / "subs"), folder=job,
               settings=Settings(120.0), runner=Profile(backend="slurm"), out=tmp_path / "out")
    for index, name in enumerate(sorted(SUBMISSIONS)):
        (job / "results" / f"{index}.json").write_text(json.dumps(results[name].to_json()))
    (job / "results" / "1.json").unlink()
    missing = CliRunner().invoke(main, ["collect", str(job)])
    assert missing.exit_code == 1 and f"sbatch --array=1 {job / 'grade.sbatch'}" in missing.output
    assert not (tmp_path / "out").exists()
    partial = CliRunner().invoke(main, ["collect", str(job), "--allow-missing"])
    assert partial.exit_code == 0 and (tmp_path / "out" / "grades.csv").read_text().count("\n") == 3
    (job / "results" / "1.json").write_text(json.dumps(results["correct"].to_json()))  # another's result
    swapped = CliRunner().invoke(main, ["collect", str(job), "--out", str(tmp_path / "out2")])
    assert swapped.exit_code == 1 and "not the finished result of on_the_gpu" in swapped.output
    assert not (tmp_path / "out2").exists()
    with pytest.raises(FileExistsError):  # a job is never written over another
        slurm.emit(assignment="hw1_score", submissions=tmp_path / "subs", folder=job, settings=Settings(120.0),
                   runner=Profile(backend="slurm"))


def test_only_regrades_the_named_submission_and_the_class_report_says_how(local, tmp_path):
    root, subs, results = local
    report = (root / "local" / "class_report.html").read_text()
    assert "--only SUBMISSION --no-cache" in report
    out = tmp_path / "one"
    done = CliRunner().invoke(main, ["grade", "hw1_score", str(subs), "--out", str(out), "--only", "wrong",
                                     "--timeout", "120", "--cell-timeout", "15", "--call-timeout", "8"])
    assert done.exit_code == 0, done.output
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("wrong,") and "device: cpu (local backend)" in done.output
    unknown = CliRunner().invoke(main, ["grade", "hw1_score", str(subs), "--out", str(tmp_path / "none"),
                                        "--only", "nobody"])
    assert unknown.exit_code == 1 and "no submission named nobody" in unknown.output
    assert not (tmp_path / "none" / "grades.csv").exists()


def test_a_task_whose_submission_changed_since_the_job_was_written_grades_nothing(tmp_path):
    from autograder.grading import slurm

    job = tmp_path / "job"
    slurm.emit(assignment="hw1_score", submissions=_submissions(tmp_path / "subs", ["correct"]), folder=job,
               settings=Settings(120.0), runner=Profile(backend="slurm"))
    (job / "submissions" / "0.ipynb").write_bytes(hostile.notebook(SUBMISSIONS["wrong"]))
    with pytest.raises(slurm.CollectError, match="SHA-256 changed"):
        slurm.run_task(job, 0)
    assert not list((job / "results").iterdir())


def test_only_refuses_an_output_folder_holding_other_submissions_grades(tmp_path):
    from autograder.grading.batch import _refuse_to_shrink

    (tmp_path / "grades.csv").write_text("submission,total\r\nalice,3\r\nbob,4\r\n")
    _refuse_to_shrink(tmp_path, ["alice", "bob"])  # the same submissions: a regrade of them all
    with pytest.raises(ValueError, match="holds the grades of 1 other submission"):
        _refuse_to_shrink(tmp_path, ["alice"])
