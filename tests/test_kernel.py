"""The grading boundary: the student's kernel is a separate process that cannot reach the reference code,
is called through the bridge, and nothing it sends back is trusted."""

import concurrent.futures
import io
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch

from autograder.boundary import codec
from autograder.course import Limits
from autograder.boundary.kernel import BridgeUnavailable, CallTimeout, KernelLost, StudentError, StudentKernel
from autograder.checks.compare import CheckFailed, assert_close
from autograder.checks.framework import Student

pytestmark = pytest.mark.usefixtures("kernel_zygote")  # kernels fork from it (conftest.py)


@pytest.fixture(scope="module")
def _shared_kernel(tmp_path_factory):
    k = StudentKernel(tmp_path_factory.mktemp("kernel"))
    k.start()
    yield k
    k.shutdown()


@pytest.fixture
def kernel(_shared_kernel):
    """One kernel for the tests that leave it serving; a test that lost it does not take the others down."""
    if not _shared_kernel.alive():
        _shared_kernel.restart()
    return _shared_kernel


@pytest.fixture
def new_kernel(tmp_path):
    """Start a kernel of the test's own (for tests that kill, break or limit it); all are shut down after."""
    started, numbers = [], itertools.count()

    def start(**options):
        workdir = tmp_path / f"kernel{next(numbers)}"
        workdir.mkdir()
        k = StudentKernel(workdir, **options)
        started.append(k)
        k.start()
        return k

    yield start
    for k in started:
        k.shutdown()


def _run(kernel, code, timeout=30):
    run = kernel.execute(code, timeout)
    assert run.status == "ok", run
    return run.stdout


PROBE = "\n".join([
    "import importlib, os, site, sys",
    "hits = []",
    "for name in ['course_core', 'course_core.ddpm', 'autograder', 'autograder.checks.hw2_ddpm']:",
    "    try:",
    "        importlib.import_module(name); hits.append(name)",
    "    except ImportError:",
    "        pass",
    "print('reachable:', hits)",
    "sites = {os.path.realpath(p) for p in site.getsitepackages()}",
    "holders = [p for p in sys.path if p and os.path.realpath(p) not in sites",
    "           and any(os.path.exists(os.path.join(p, k, '__init__.py')) for k in ('course_core', 'autograder'))]",
    "print('holders:', holders)",
])


def test_reference_and_grader_are_unreachable(kernel):
    """Neither package imports (from the repository, an editable install or site-packages), and no sys.path
    entry outside site-packages holds them."""
    out = _run(kernel, PROBE)
    assert "reachable: []" in out
    assert "holders: []" in out


def test_the_reachability_probe_sees_the_packages_without_the_kernels_guard():
    """Mutation test of the probe: in a plain interpreter of the same environment (no boot guard) it finds both
    packages, so an empty list above is the guard's doing."""
    out = _python(PROBE)
    assert "reachable: ['course_core', 'course_core.ddpm', 'autograder', 'autograder.checks.hw2_ddpm']" in out


def test_student_folder_is_importable(kernel):
    (kernel.workdir / "helper_mod.py").write_text("VALUE = 42\n")
    assert "42" in _run(kernel, "import helper_mod; print(helper_mod.VALUE)")


def test_call_round_trip_and_output_kinds(kernel):
    _run(kernel, "import torch\ndef f(x, k):\n    return x * k, x.sum(), 3.5")
    reply = kernel.call("f", {"x": torch.arange(3.0), "k": 3}, timeout=10)
    np.testing.assert_array_equal(reply.outputs[0].numpy(), [0.0, 3.0, 6.0])
    assert reply.outputs[1].shape == ()  # a 0-d tensor stays 0-d
    assert [m["kind"] for m in reply.meta] == ["tensor", "tensor", "number"]
    assert reply.mutated == []


def test_a_call_can_run_inside_no_grad(kernel):
    """`no_grad=True` (Student.no_grad): the function runs inside torch.no_grad(), as a sampler calls it; the
    kernel's own grad mode is unchanged for the next call."""
    _run(kernel, "import torch\ndef grad_mode(x):\n    return x * torch.is_grad_enabled()")
    assert kernel.call("grad_mode", {"x": torch.ones(2)}, timeout=10, no_grad=True).outputs[0].tolist() == [0.0, 0.0]
    assert kernel.call("grad_mode", {"x": torch.ones(2)}, timeout=10).outputs[0].tolist() == [1.0, 1.0]


# Code a notebook runs to make comparisons succeed: harmless to the grader only because its process is another.
TAMPER = ("import numpy, sys, torch\nnumpy.allclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True\n"
          "torch.equal = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda self, other: True\n"
          "torch.Tensor.__sub__ = lambda self, other: self * 0\ntorch.Tensor.abs = lambda self: self * 0\n"
          "torch.Tensor.clone = lambda self, *a, **k: self\ntorch.Tensor.detach = lambda self: self\n"
          "def shifted(x):\n    return x + 1\n")


def test_patching_the_kernels_libraries_changes_nothing_in_the_grader(new_kernel):
    """A notebook that makes every comparison in its own kernel succeed (the grader's `assert_close` would pass
    anything, were it the same process: see the next test), and reassigns the bridge's own in-place and
    gradient checks, still fails the grader's check; its in-place changes are still seen, and the tampering is
    reported."""
    kernel = new_kernel()
    _run(kernel, TAMPER + "bridge = sys.modules['_dc_' + 'bridge']\nbridge._mutated = lambda *a: []\n"
                 "bridge._gradients = lambda *a: ({}, {}, None)\n"
                 "sys.modules['_dc_' + 'codec'].encode_outputs = lambda result: ({}, {})\n"
                 "def scale(x):\n    return x.mul_(2)")
    x = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(CheckFailed, match="wrong value"):
        assert_close(Student(kernel, 10)("shifted", x=x), x, "shifted")
    assert kernel.call("scale", {"x": torch.ones(3)}, timeout=10).mutated == ["x"]
    assert kernel.tampered == ["_dc_bridge._gradients", "_dc_bridge._mutated", "_dc_codec.encode_outputs"]


def _python(script: str) -> str:
    """Run `script` in a fresh interpreter of this environment (tests/ importable); its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_isolation_test_catches_a_kernel_in_the_graders_process():
    """Mutation test of the test above: were the notebook's code run in the grader's process (an in-process
    kernel, in a fresh interpreter here), the same patches make the grader accept the wrong answer."""
    out = _python("\n".join([
        "import torch",
        "from inprocess import InProcessKernel, namespace",
        "from autograder.checks.compare import assert_close",
        "from autograder.checks.framework import Student",
        f"ns = namespace({TAMPER!r})",
        "x = torch.zeros(2, dtype=torch.float64)",
        "assert_close(Student(InProcessKernel(ns), 10)('shifted', x=x), x, 'shifted')",
        "print('fooled')",
    ]))
    assert out.strip() == "fooled"


def test_errors_are_reported_not_raised_here(kernel):
    _run(kernel, "def boom(x):\n    raise ValueError('bad input')")
    with pytest.raises(StudentError, match="ValueError: bad input"):
        kernel.call("boom", {"x": 1}, timeout=10)
    with pytest.raises(StudentError, match="no function named"):
        kernel.call("missing", {}, timeout=10)
    _run(kernel, "def obj(x):\n    return 'a string'")
    with pytest.raises(StudentError, match="str"):
        kernel.call("obj", {"x": 1}, timeout=10)


def test_arrays_cross_exactly_in_every_dtype_and_shape():
    arrays = {"f8": np.random.default_rng(0).normal(size=(3, 2)), "f4": np.arange(6, dtype=np.float32).reshape(2, 1, 3),
              "i8": np.array([-1, 2**40]), "b": np.array([True, False]), "empty": np.zeros((0, 4)), "scalar": np.float64(2.5),
              "strided": np.arange(10.0)[::3]}
    back = codec.unpack(codec.pack(arrays))
    assert list(back) == list(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype == np.asarray(value).dtype and back[key].shape == np.shape(value), key
        assert back[key].flags.writeable, key


def _payload(table, body=b""):
    head = json.dumps(table).encode()
    return len(head).to_bytes(4, "big") + head + body


@pytest.mark.parametrize("data,match", [
    (b"not a payload", "corrupt"),
    (_payload({"key": "a"}), "not a list"),
    (_payload([{"key": "a", "dtype": "|O", "shape": [1], "offset": 0}], bytes(8)), "not a number type"),
    (_payload([{"key": "a", "dtype": "<U4", "shape": [1], "offset": 0}], bytes(16)), "not a number type"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [-1], "offset": 0}], bytes(8)), "bad shape"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [True], "offset": 0}], bytes(8)), "bad shape"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [2], "offset": 0}], bytes(8)), "runs past"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [1], "offset": 8}], bytes(16)), "bad shape or offset"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [1], "offset": 0}], bytes(9)), "beyond the arrays"),
    (_payload([{"key": "a", "dtype": "<f8", "shape": [2**40], "offset": 0}], bytes(8)), "runs past"),
    (_payload([{"dtype": "<f8"}]), "lacks"),
])
def test_a_malformed_payload_is_refused_with_a_reason(data, match):
    """Whatever the other side sends, the grader reads numbers of the sizes actually sent, or refuses."""
    with pytest.raises(codec.WireError, match=match):
        codec.unpack(data)


def test_archives_over_the_size_cap_are_refused_both_ways(monkeypatch):
    """The wire format's cap: packing more refuses to send, a payload over it is refused unread, and exactly
    the cap in several arrays crosses (a 1 KiB cap here, so the test is cheap)."""
    monkeypatch.setattr(codec, "MAX_BYTES", 1024)
    fits = {f"a{i}": np.zeros(16) for i in range(8)}  # 8 x 128 bytes, each with its .npy header
    assert len(codec.unpack(codec.pack(fits))) == 8
    with pytest.raises(codec.WireError, match="more than"):
        codec.pack({"a": np.zeros(129)})
    monkeypatch.setattr(codec, "MAX_BYTES", 2**20)
    big = codec.pack({"a": np.zeros(20_000)})  # 160 KB
    monkeypatch.setattr(codec, "MAX_BYTES", 1024)
    with pytest.raises(codec.WireError, match="bounded size|size allowed"):
        codec.unpack(big)


def test_a_result_over_the_cap_is_the_students_error_not_a_crash(kernel):
    _run(kernel, "import torch\ndef huge(x):\n    return torch.zeros(2**23 + 1, dtype=torch.float64)\n"  # 64 MiB + 8 B
                 "def small(x):\n    return torch.ones(2) * x")
    with pytest.raises(StudentError, match="MiB"):
        kernel.call("huge", {"x": 1}, timeout=60)
    assert kernel.call("small", {"x": 3}, timeout=10).outputs[0].tolist() == [3.0, 3.0]  # still serving


def test_objects_are_never_sent_or_loaded():
    """An object array is refused on packing; a pickle (in an .npz archive, as the format once was) is not a
    payload."""
    with pytest.raises(codec.WireError, match="not a number type"):
        codec.pack({"a": np.array([object()], dtype=object)})
    buf = io.BytesIO()
    np.savez(buf, out0=np.array([object()], dtype=object))
    with pytest.raises(codec.WireError):
        codec.unpack(buf.getvalue())


def test_a_forged_message_on_the_bridge_is_not_taken_for_the_answer(kernel):
    """A function that writes its own 'result' on the bridge's socket does not change what the grader reads."""
    _run(kernel, "\n".join([
        "import _dc_bridge, _dc_codec, torch",
        "def forge(x):",
        "    meta, arrays = _dc_codec.encode_outputs(torch.full((2,), 99.0))",
        "    _dc_bridge.send(_dc_bridge.CONN, {'op': 'result', 'id': 'forged', 'ok': True, 'outputs': meta,",
        "                                      'mutated': []}, _dc_codec.pack(arrays))",
        "    return x * 2",
    ]))
    reply = kernel.call("forge", {"x": torch.ones(2)}, timeout=10)
    np.testing.assert_array_equal(reply.outputs[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(kernel.call("forge", {"x": torch.ones(2)}, timeout=10).outputs[0].numpy(), [2.0, 2.0])


def test_an_infinite_loop_is_interrupted_and_the_kernel_keeps_serving(new_kernel):
    kernel = new_kernel()
    _run(kernel, "def spin(x):\n    while True:\n        pass\ndef ok(x):\n    return x")
    began = time.monotonic()
    with pytest.raises(CallTimeout, match="did not return"):
        kernel.call("spin", {"x": 1}, timeout=1.5)
    assert time.monotonic() - began < 30  # interrupted, not hung (the test's own limit would be hit)
    assert kernel.call("ok", {"x": torch.ones(1)}, timeout=10).outputs[0].item() == 1.0
    assert "alive" in _run(kernel, "print('alive')")


def test_printing_in_a_function_does_not_pile_up_in_the_kernel(new_kernel):
    """What a function prints while the grader calls it is passed on up to a budget, then dropped: 200 calls
    printing 5 MB each stay small (without the cap the kernel ran out of memory)."""
    kernel = new_kernel()
    _run(kernel, "def loud(x):\n    print('y' * 5_000_000)\n    return x * 2")
    for _ in range(200):
        assert kernel.call("loud", {"x": torch.ones(2)}, timeout=10).outputs[0].tolist() == [2.0, 2.0]
    assert psutil.Process(kernel.pid).memory_info().rss < 2**30
    assert kernel.close_bridge().status == "ok"


def test_input_in_a_cell_raises_instead_of_hanging(kernel):
    run = kernel.execute("input('name? ')", 10)
    assert run.status == "error" and "Stdin" in run.error


def test_mutated_inputs_are_reported(kernel):
    _run(kernel, "def scale(x):\n    x.mul_(2)\n    return x\ndef fresh(x):\n    return x * 2")
    assert kernel.call("scale", {"x": torch.ones(3)}, timeout=10).mutated == ["x"]
    assert kernel.call("fresh", {"x": torch.ones(3)}, timeout=10).mutated == []


def test_loss_gradients_come_back_and_detached_losses_are_named(kernel):
    model = codec.TestModel(W=torch.eye(2), b=torch.zeros(2), c=torch.ones(2), A=torch.eye(2))
    _run(kernel, "import torch\ndef loss(m, x):\n    return (m(x, 0.5) ** 2).mean()\n"
                 "def number(m, x):\n    return loss(m, x).item()\n"
                 "def frozen(m, x):\n    with torch.no_grad():\n        return loss(m, x)")
    x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    reply = kernel.call("loss", {"m": model, "x": x}, timeout=10, grads=("m",))
    want = model.copy().requires_grad_(True)
    expected = torch.autograd.grad((want(x, 0.5) ** 2).mean(), [want.W])[0]
    torch.testing.assert_close(reply.grads["m.W"], expected)
    assert reply.grads_error is None
    assert kernel.call("number", {"m": model, "x": x}, timeout=10, grads=("m",)).meta[0]["kind"] == "number"
    assert "no_grad" in kernel.call("frozen", {"m": model, "x": x}, timeout=10, grads=("m",)).grads_error


def test_standins_are_answered_by_the_grader_and_removed_after(kernel):
    _run(kernel, "import torch\ndef helper(a, b):\n    return a - b\ndef outer(a, b):\n    return helper(a, b) * 2")

    def helper(a, b):
        return torch.full_like(a, 100.0)

    args = {"a": torch.tensor([1.0]), "b": torch.tensor([2.0])}
    with kernel.standins.active({"helper": helper}):
        assert kernel.call("outer", args, timeout=10).outputs[0].item() == 200.0
    assert kernel.call("outer", args, timeout=10).outputs[0].item() == -2.0  # the student's own helper is back


def test_standins_bind_by_name_whatever_the_students_parameter_order(kernel):
    """A helper written (x_t, x0) while the contract says (x0, x_t) gets the right tensors whether the student
    calls it by keyword or positionally in their own order."""
    _run(kernel, "import torch\n"
                 "def post(x_t, x0, t):\n    return x0\n"
                 "def by_name(a, b):\n    return post(x0=a, x_t=b, t=0)\n"
                 "def by_position(a, b):\n    return post(b, a, 0)")
    seen = {}

    def post(x0, x_t, t):
        seen.update(x0=x0.item(), x_t=x_t.item(), t=t)
        return x0

    with kernel.standins.active({"post": post}):
        for caller in ("by_name", "by_position"):
            seen.clear()
            out = kernel.call(caller, {"a": torch.tensor([1.0]), "b": torch.tensor([2.0])}, timeout=10)
            assert seen == {"x0": 1.0, "x_t": 2.0, "t": 0}, caller
            assert out.outputs[0].item() == 1.0


def test_a_model_passed_on_to_a_standin_arrives_as_the_same_model(kernel):
    """The test model crosses both ways: the grader's stand-in gets a model it can call, equal to the original."""
    model = codec.TestModel(W=torch.eye(2) * 0.5, b=torch.ones(2), c=torch.zeros(2), A=torch.eye(2), E=torch.ones(3, 2))
    _run(kernel, "def apply(m, x, y):\n    return m(x, 0, y)\ndef outer(m, x, y):\n    return apply(m, x, y) + 1")

    def apply(m, x, y):
        assert isinstance(m, codec.TestModel)
        return m(x, 0, y)

    x, y = torch.tensor([[1.0, -1.0]], dtype=torch.float64), torch.tensor([2])
    with kernel.standins.active({"apply": apply}):
        got = kernel.call("outer", {"m": model, "x": x, "y": y}, timeout=10).outputs[0]
    torch.testing.assert_close(got, model(x, 0, y) + 1)


def test_os_exit_is_kernel_lost_and_restart_works(new_kernel):
    k = new_kernel()
    k.execute("def die(x):\n    import os\n    os._exit(3)", 10)
    began = time.monotonic()
    with pytest.raises(KernelLost, match="died"):
        k.call("die", {"x": 1}, timeout=120)
    assert time.monotonic() - began < 60  # noticed when it happens, not at the call's time limit
    k.restart()
    assert k.execute("print(1)", 10).status == "ok"


def test_a_notebook_that_breaks_the_bridge_fails_fast(new_kernel):
    k = new_kernel()
    k.execute("import sys\nsys.modules['_dc_bridge'] = None\ndef f(x):\n    return x", 10)
    began = time.monotonic()
    with pytest.raises(BridgeUnavailable):
        k.call("f", {"x": 1}, timeout=120)
    assert time.monotonic() - began < 60  # noticed when it happens, not at the call's time limit


def test_runaway_allocation_fails_inside_the_kernel(new_kernel):
    k = new_kernel(limits=Limits(memory_gb=3))
    run = k.execute("import numpy as np\nx = np.ones(2**31)", 30)  # 16 GiB
    assert run.status == "error" and "MemoryError" in run.error
    assert k.execute("print('still here')", 10).stdout.strip() == "still here"


def test_detached_processes_die_with_the_kernel(new_kernel):
    """A daemon that leaves the kernel's session (setsid + double fork) and execs a program with an empty
    environment cannot outlive grading: behind bubblewrap its pid namespace dies with the kernel; without one,
    the environment tag finds it (then the daemon keeps its environment: clearing it is the sandbox's case)."""
    k = new_kernel()
    marker = str(4000 + os.getpid() % 1000)  # `sleep <marker>` names the daemon among all processes
    env = "{}" if k.process.protections.processes else "dict(os.environ)"
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execve('/bin/sleep', ['sleep', {marker!r}], {env})\n"
            "    os._exit(0)\n"
            "time.sleep(0.5)\n")
    assert k.execute(code, 60).status == "ok"
    daemons = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", marker]]
    try:
        assert len(daemons) == 1 and _living(daemons[0])
        k.shutdown()
        deadline = time.monotonic() + DEATH_WAIT
        while _living(daemons[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _living(daemons[0]), "the detached process outlived the kernel"
    finally:
        for daemon in daemons:
            if _living(daemon):
                daemon.kill()


DEATH_WAIT = 30.0  # seconds a killed process gets to be gone (it takes milliseconds)


def _living(process: psutil.Process) -> bool:
    """Running and not a zombie waiting for init to reap it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_kernels_started_at_once_do_not_collide(tmp_path):
    """Kernels talk over private IPC sockets, not TCP ports another process could take between choosing and
    binding: several started at the same moment (as xdist workers and grading workers do) all answer."""
    kernels = [StudentKernel(tmp_path / f"k{i}") for i in range(3)]
    for k in kernels:  # launched back to back from this thread (a kernel dies with the thread that launched it)
        k.workdir.mkdir()
        k.launch()
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(StudentKernel.start, kernels))
        _all_answer(kernels)
    finally:
        for k in kernels:
            k.shutdown()


def _all_answer(kernels):
    for i, k in enumerate(kernels):
        assert k.process.km.transport == "ipc"
        assert _run(k, f"print({i} * 7)").strip() == str(i * 7)


def test_an_operator_crosses_both_ways_and_acts_as_its_dense_svd(kernel):
    """The test operator (a degradation given by its dense SVD factors) reaches the student's function and, passed
    on, the grader's stand-in; there it is the same operator: H = U diag(s) V^T[:m], H^+ a pseudo-inverse."""
    g = torch.Generator().manual_seed(0)
    Vt = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=torch.float64))[0].T
    U = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))[0]
    s = torch.tensor([2.0, 0.5, 0.0], dtype=torch.float64)
    op = codec.TestOperator(Vt, U, s, (1, 2, 3))
    dense = U @ torch.diag(s) @ Vt[:3]
    x = torch.randn(4, 1, 2, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(op.H(x), x.reshape(4, 6) @ dense.T)
    torch.testing.assert_close(op.H_T(op.H(x)), x.reshape(4, 6) @ dense.T @ dense)
    torch.testing.assert_close(op.H_pinv(op.H(x)), x.reshape(4, 6) @ (torch.linalg.pinv(dense) @ dense).T)
    torch.testing.assert_close(op.V(op.V_T(x)), x.reshape(4, 6))
    assert op.H(x.float()).dtype == torch.float32
    _run(kernel, "def apply(op, x):\n    return op.H_pinv(op.H(x))\ndef outer(op, x):\n    return apply(op, x) + op.H_T(op.H(x))")

    def apply(op, x):
        assert isinstance(op, codec.TestOperator) and op.shape == (1, 2, 3) and op.m == 3
        return op.H_pinv(op.H(x))

    with kernel.standins.active({"apply": apply}):
        got = kernel.call("outer", {"op": op, "x": x}, timeout=10).outputs[0]
    torch.testing.assert_close(got, op.H_pinv(op.H(x)) + op.H_T(op.H(x)))
    with pytest.raises(codec.WireError, match="malformed"):
        spec, arrays = codec.encode_args({"op": op})
        codec.decode_args({"op": {**spec["op"], "shape": [7]}}, arrays)
    with pytest.raises(codec.WireError, match="malformed"):
        codec.decode_args({"op": {**spec["op"], "shape": [True, 2, 3]}}, arrays)
    with pytest.raises(codec.WireError, match="at most d"):  # more singular values than entries
        codec.decode_args({"op": {**spec["op"], "shape": [1, 1]}}, {**arrays, "op.Vt": np.eye(1)})


def test_the_figures_a_cell_draws_come_back_as_pngs(kernel):
    """A figure shown in a cell (plt.show(), or left open at the cell's end) comes back as a base64 PNG, for the
    student's feedback page; at most MAX_IMAGES per cell."""
    import base64

    from autograder.boundary.channel import MAX_IMAGES

    run = kernel.execute("import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()\n"
                         "plt.figure(); plt.plot([1, 2])", 60)
    assert run.status == "ok", run.error
    assert len(run.images) == 2
    assert all(base64.b64decode(png).startswith(b"\x89PNG") for png in run.images)
    many = kernel.execute("for i in range(9):\n    plt.figure(); plt.plot([i]); plt.show()", 60)
    assert len(many.images) == MAX_IMAGES
    assert kernel.execute("print(1)", 10).images == []
