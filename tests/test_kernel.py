"""The grading boundary: the student's kernel is a separate process that cannot reach the reference code,
and nothing it sends back is trusted."""

import base64
import io
import json

import numpy as np
import pytest
from pathlib import Path

from autograder import wire
from autograder.kernel import KernelLost, StudentError, StudentKernel


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = StudentKernel(tmp_path_factory.mktemp("kernel"))
    k.start()
    yield k
    k.shutdown()


def _run(kernel, code, timeout=30):
    run = kernel.execute(code, timeout)
    assert run.status == "ok", run
    return run.stdout


def test_reference_and_grader_are_unreachable(kernel):
    out = _run(kernel, "\n".join([
        "import importlib, sys",
        "hits = []",
        "for name in ['course_core', 'course_core.ddpm', 'autograder', 'autograder.checks.hw2_ddpm']:",
        "    try:",
        "        importlib.import_module(name); hits.append(name)",
        "    except ImportError:",
        "        pass",
        "print('reachable:', hits)",
        "print([p for p in sys.path if p.endswith('main') or 'course_core' in p])",
    ]))
    assert "reachable: []" in out
    assert "[]" in out.splitlines()[1]


def test_student_folder_is_importable(kernel):
    (kernel.workdir / "helper_mod.py").write_text("VALUE = 42\n")
    assert "42" in _run(kernel, "import helper_mod; print(helper_mod.VALUE)")


def test_call_round_trip_and_scalars(kernel):
    _run(kernel, "import torch\ndef f(x, k):\n    return x * k, x.sum()")
    out = kernel.call("f", {"x": {"kind": "array", "key": "x"}, "k": {"kind": "value", "value": 3}},
                      {"x": np.arange(3.0)}, 10)
    np.testing.assert_array_equal(out["out0"], [0.0, 3.0, 6.0])
    assert out["out1"].shape == ()  # a 0-d tensor stays 0-d


def test_monkeypatching_numpy_or_torch_in_the_kernel_changes_nothing_here(kernel):
    _run(kernel, "import numpy, torch\nnumpy.allclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True")
    assert not np.allclose([0.0], [1.0])


def test_errors_are_reported_not_raised_here(kernel):
    _run(kernel, "def boom(x):\n    raise ValueError('bad input')")
    with pytest.raises(StudentError, match="ValueError: bad input"):
        kernel.call("boom", {"x": {"kind": "value", "value": 1}}, {}, 10)
    with pytest.raises(StudentError, match="no function named"):
        kernel.call("missing", {}, {}, 10)
    _run(kernel, "def obj(x):\n    return 'a string'")
    with pytest.raises(StudentError, match="str"):
        kernel.call("obj", {"x": {"kind": "value", "value": 1}}, {}, 10)


def test_pickles_are_never_loaded():
    buf = io.BytesIO()
    np.savez(buf, out0=np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        wire.decode(base64.b64encode(buf.getvalue()).decode())
    with pytest.raises(ValueError):
        wire.decode("not base64 !!")


def test_forged_result_payload_is_checked(kernel):
    """A function that publishes its own 'result' cannot smuggle objects through."""
    _run(kernel, "\n".join([
        "from IPython.display import publish_display_data",
        "def forge(x):",
        "    publish_display_data({'application/x-diffcourse-result+json': {'ok': True, 'arrays': 'Zm9v'}})",
        "    raise SystemExit",
    ]))
    with pytest.raises(StudentError):
        kernel.call("forge", {"x": {"kind": "value", "value": 1}}, {}, 10)


def test_infinite_loop_times_out_and_the_kernel_survives(kernel):
    _run(kernel, "def spin(x):\n    while True:\n        pass")
    with pytest.raises(KernelLost, match="did not return"):
        kernel.call("spin", {"x": {"kind": "value", "value": 1}}, {}, 1.5)
    assert "alive" in _run(kernel, "print('alive')")


def test_input_does_not_hang(kernel):
    assert "got ''" in _run(kernel, "print('got', repr(input('name? ')))", timeout=10)


def test_proxies_are_answered_by_the_grader(kernel):
    _run(kernel, "import torch\ndef helper(a, b):\n    return a - b\ndef outer(a, b):\n    return helper(a, b) * 2")
    kernel.rpc = lambda req: {"ok": True, "arrays": wire.encode({"out0": np.array([100.0])})}
    kernel.install_proxies({"helper": ["a", "b"]})
    try:
        out = kernel.call("outer", {"a": {"kind": "array", "key": "a"}, "b": {"kind": "array", "key": "b"}},
                          {"a": np.array([1.0]), "b": np.array([2.0])}, 10)
    finally:
        kernel.remove_proxies()
    np.testing.assert_array_equal(out["out0"], [200.0])
    out = kernel.call("outer", {"a": {"kind": "array", "key": "a"}, "b": {"kind": "array", "key": "b"}},
                      {"a": np.array([1.0]), "b": np.array([2.0])}, 10)
    np.testing.assert_array_equal(out["out0"], [-2.0])  # the student's own helper is back


def test_os_exit_is_kernel_lost_and_restart_works(tmp_path):
    k = StudentKernel(tmp_path)
    k.start()
    try:
        k.execute("def die(x):\n    import os\n    os._exit(3)", 10)
        with pytest.raises(KernelLost, match="died"):
            k.call("die", {"x": {"kind": "value", "value": 1}}, {}, 10)
        k.restart()
        assert k.execute("print(json_ok := 1)", 10).status == "ok"
    finally:
        k.shutdown()


def test_spec_is_plain_json():
    # what crosses to the kernel is JSON and npz, never pickle
    spec = {"x": {"kind": "array", "key": "x"}}
    assert json.loads(json.dumps(spec)) == spec


def test_runaway_allocation_fails_inside_the_kernel(tmp_path):
    k = StudentKernel(tmp_path, memory_bytes=3 * 2**30)
    k.start()
    try:
        run = k.execute("import numpy as np\nx = np.ones(2**31)", 30)  # 16 GiB
        assert run.status == "error" and "MemoryError" in run.error
        assert k.execute("print('still here')", 10).stdout.strip() == "still here"
    finally:
        k.shutdown()


def test_proxies_bind_through_the_students_own_signature(kernel):
    """A helper with renamed parameters, called by keyword, still reaches the stand-in correctly."""
    _run(kernel, "import torch\ndef helper(first, second=5.0):\n    return first\n"
                 "def outer(a):\n    return helper(second=torch.ones(1), first=a)")
    seen = {}

    def rpc(req):
        seen.update(req["spec"])
        return {"ok": True, "arrays": wire.encode({"out0": np.array([7.0])})}

    kernel.rpc = rpc
    kernel.install_proxies({"helper": ["a", "b"]})
    try:
        kernel.call("outer", {"a": {"kind": "array", "key": "a"}}, {"a": np.array([1.0])}, 10)
    finally:
        kernel.remove_proxies()
    assert set(seen) == {"a", "b"}


def test_detached_processes_die_with_the_kernel(tmp_path):
    """A daemon that leaves the kernel's session (setsid + double fork) cannot outlive grading."""
    import os
    import time

    k = StudentKernel(tmp_path)
    k.start()
    pidfile = tmp_path / "daemon.pid"
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
            "        while True: time.sleep(1)\n"
            "    os._exit(0)\n"
            "time.sleep(1)")
    assert k.execute(code, 20).status == "ok"
    pid = int(pidfile.read_text())
    os.kill(pid, 0)  # alive
    k.shutdown()
    time.sleep(0.2)
    status = Path(f"/proc/{pid}/status")
    # gone, or a zombie waiting for init to reap it
    assert not status.exists() or "\nState:\tZ" in status.read_text()
