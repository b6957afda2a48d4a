"""Shared pytest configuration: a derandomized hypothesis profile so every run sees the same examples."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")

# Tiny tensors: one thread is faster and steadier than two on a shared 2-core machine.
import torch  # noqa: E402

torch.set_num_threads(1)


import os  # noqa: E402

import pytest  # noqa: E402
from filelock import FileLock  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """End-to-end tests of one assignment share one xdist group (one worker grades it once), and different
    assignments go to different groups, so `--dist loadgroup` grades assignments in parallel; so do the
    hostile suite's tests of its one batch."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "graded" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(f"e2e-{callspec.params['graded']}"))
        elif "batch" in getattr(item, "fixturenames", ()) and item.module.__name__ == "test_hostile":
            item.add_marker(pytest.mark.xdist_group("e2e-hostile"))  # one batch of every attack


def pytest_sessionfinish(session, exitstatus):
    """With DIFFCOURSE_NO_SKIPS=1 (as .ci/run sets it) a skipped test fails the run: in CI a missing dev
    dependency must not pass as a handful of skips. pytest's own codes (5: no tests collected) pass through."""
    if os.environ.get("DIFFCOURSE_NO_SKIPS") != "1" or exitstatus != pytest.ExitCode.OK:
        return
    skipped = session.config.pluginmanager.get_plugin("terminalreporter").stats.get("skipped", [])
    if skipped:
        session.config._dc_forbidden_skips = skipped
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    _forbidden_skips(terminalreporter)
    _margins(terminalreporter)


def _forbidden_skips(terminalreporter):
    skipped = getattr(terminalreporter.config, "_dc_forbidden_skips", [])
    if skipped:
        terminalreporter.section("skipped tests fail the run (DIFFCOURSE_NO_SKIPS=1)", red=True)
        for report in skipped:
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
            terminalreporter.write_line(f"{report.nodeid}: {reason}")


def _margins(terminalreporter):
    """The error / bound margins of tests/test_checks.py: correct implementations low, mistakes high."""
    rows = [value for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
            for key, value in getattr(report, "user_properties", []) if key == "margin"]
    if not rows:
        return
    terminalreporter.section("hidden-check margins: largest error / bound (correct <= 0.15, mistakes >= 10)")
    for kind in ("correct", "mistake"):
        picked = sorted((r for r in rows if r[0] == kind), key=lambda r: r[3], reverse=(kind == "correct"))
        if picked:
            worst = picked[0]
            terminalreporter.write_line(f"{kind:8} {len(picked):3} implementations; "
                                        f"{'worst' if kind == 'correct' else 'weakest'}: {worst[3]:.3g} "
                                        f"({worst[1]}: {worst[2]})")
    for kind, assignment, name, ratio in sorted(rows, key=lambda r: (r[1], r[0], r[2])):
        shown = "structural" if ratio == float("inf") else f"{ratio:.3g}"
        terminalreporter.write_line(f"  {assignment:<10} {kind:<8} {name[:60]:<60} {shown:>10}")


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id):
    """`built(assignment) -> (student folder, autograder zip)`: one `otter assign` per assignment per test run,
    shared by every xdist worker (the first to ask builds, under a file lock; the others wait and reuse it)."""
    from autograder.build import build_assignment

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base

    def build(assignment: str):
        folder = shared / f"build-{assignment}"
        with FileLock(str(folder) + ".lock"):
            if not (folder / "done").exists():
                # Without Otter's run of the master notebook (its output is the same): the whole notebook runs in
                # the end-to-end grading of reference.ipynb, and its functions in tests/test_checks.py.
                build_assignment(assignment=assignment, force=True, student_target=folder / "student",
                                 dist=folder / "dist", run_notebook=False)
                (folder / "done").touch()
        return folder / "student", folder / "dist" / f"{assignment}-autograder.zip"

    return build


@pytest.fixture(scope="session")
def kernel_zygote():
    """This test process's kernel zygote, started once where the walls allow (process.zygote_address), so the
    kernels of a module that uses it fork from it as a batch's do: small batches and single kernels too, which
    would not start it alone. Kernels launched afresh are still tested: without the zygote (test_sandbox.py,
    test_zygote.py), and wherever one process grades one submission (Ray, Slurm, Gradescope, the CLI)."""
    from autograder.boundary import process, sandbox

    return process.zygote_address(sandbox.probe())
