"""`--device` without a GPU: which device a batch picks, one GPU per worker, what the kernel is given, the
arguments moved to the grading device, and the contract "the device follows the inputs" with its message.
(The CUDA half, measured on a GPU: `python -m autograder.grading.errorbudget`.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from autograder.boundary import bridge, codec, sandbox
from autograder.boundary.process import KernelProcess, kernel_env
from autograder.checks.compare import CheckFailed
from autograder.checks.framework import Student, device_hint
from autograder.course import ConfigError
from autograder.grading import device, profiles


@pytest.fixture
def gpus(monkeypatch, tmp_path):
    """A fake NVIDIA driver reporting `n` GPUs."""

    def make(n: int, visible: str | None = None):
        folder = tmp_path / "gpus"
        folder.mkdir(exist_ok=True)
        for i in range(n):
            (folder / f"0000:0{i}:00.0").mkdir(exist_ok=True)
        real = device.os.listdir
        monkeypatch.setattr(device.os, "listdir",
                            lambda p: real(folder) if p == "/proc/driver/nvidia/gpus" else real(p))
        if visible is None:
            monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        else:
            monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)

    return make


def test_auto_is_the_cpu_without_a_driver_even_where_a_scheduler_set_logical_gpus(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # Ray's logical GPUs on a machine without one
    monkeypatch.setattr(device.os, "listdir", lambda p: (_ for _ in ()).throw(FileNotFoundError(p)))
    assert device.visible_gpus() == [] and device.resolve("auto") == "cpu" and device.resolve("cpu") == "cpu"
    with pytest.raises(device.DeviceUnavailable, match="no GPU is visible"):
        device.resolve("cuda")
    with pytest.raises(ValueError, match="use one of auto, cpu, cuda"):
        device.resolve("gpu")


def test_auto_is_cuda_where_a_gpu_is_visible_and_each_worker_gets_one_of_its_own(gpus, monkeypatch):
    monkeypatch.setattr(device, "torch_sees_gpu", lambda visible: (True, "a CUDA build"))
    gpus(3)
    assert device.visible_gpus() == ["0", "1", "2"] and device.resolve(None) == "cuda"
    gpus(3, visible="2,0")
    pool = device.GpuPool("cuda")
    with pool.take() as a, pool.take() as b:
        assert {a, b} == {"2", "0"} and pool.free.empty()
    assert pool.free.qsize() == 2
    gpus(3, visible="-1")
    assert device.resolve("auto") == "cpu"
    with device.GpuPool("cpu").take() as none:
        assert none is None


def test_a_driver_with_a_torch_that_cannot_use_it_grades_on_the_cpu_or_is_refused(gpus):
    """A CPU build of torch (this one) on a machine whose driver shows GPUs, or a container without its GPUs."""
    gpus(2)
    device.torch_sees_gpu.cache_clear()
    assert device.resolve("auto") == "cpu"
    with pytest.raises(device.DeviceUnavailable, match="torch cannot use them"):
        device.resolve("cuda")


def test_a_kernel_opens_only_its_own_gpu(tmp_path):
    proc, dev = tmp_path / "gpus", tmp_path / "dev"
    dev.mkdir()
    for name in ("nvidiactl", "nvidia-uvm", "nvidia0", "nvidia1", "nvidia7", "null"):
        (dev / name).touch()
    (dev / "nvidia-caps").mkdir()
    for bus, uuid, minor in (("0000:1b:00.0", "GPU-aaaa", 7), ("0000:3d:00.0", "GPU-bbbb", 0), ("0000:5e:00.0",
                                                                                              "GPU-cccc", 1)):
        (proc / bus).mkdir(parents=True)
        (proc / bus / "information").write_text(f"Model: H200\nDevice Minor: {minor}\nGPU UUID: {uuid}\n")
    shared = [str(dev / n) for n in ("nvidiactl", "nvidia-uvm", "nvidia-caps")]
    lent = lambda visible: sandbox.gpu_devices(visible, proc=proc, dev=dev)  # noqa: E731
    assert lent("0") == [*shared, str(dev / "nvidia7")]  # index 0 in PCI order is the GPU of minor 7
    assert lent("GPU-bbbb") == [*shared, str(dev / "nvidia0")]
    assert lent("2,1") == [*shared, str(dev / "nvidia0"), str(dev / "nvidia1")]
    assert lent("9") == lent(None) == [*shared, *(str(dev / f"nvidia{m}") for m in (0, 1, 7))]  # cannot tell: all


def test_the_kernel_on_cuda_gets_its_gpu_deterministic_cublas_and_no_address_space_cap(monkeypatch, tmp_path):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    env = kernel_env(tmp_path, limits={}, tag="t", bridge_fd=3, device="cuda")
    assert env["DC_DEVICE"] == "cuda" and env["CUDA_VISIBLE_DEVICES"] == "3"
    assert env["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    cpu = kernel_env(tmp_path, limits={}, tag="t", bridge_fd=3)
    assert cpu["DC_DEVICE"] == "cpu" and cpu["CUDA_VISIBLE_DEVICES"] == ""  # no GPU, even on a GPU machine
    walls = sandbox.Protections("auto", files=True)
    argv = sandbox.wrap(["python"], walls, uid=0, launch=tmp_path, run=tmp_path, workdir=tmp_path,
                        devices=["/dev/nvidia0", "/dev/nvidiactl"])
    assert argv[argv.index("/dev/nvidia0") - 1] == "--dev-bind" and "/dev/nvidiactl" in argv
    limits = {"memory": 2**32, "processes": 64, "open_files": 1024}
    on_gpu = KernelProcess(tmp_path / "w", limits=limits, protections=sandbox.Protections("off"), device="cuda")
    on_cpu = KernelProcess(tmp_path / "w", limits=limits, protections=sandbox.Protections("off"))
    try:  # the CUDA driver maps far more address space than it uses; the control group bounds memory there
        assert "memory" not in on_gpu.limits and on_cpu.limits["memory"] == 2**32
    finally:
        on_gpu.remove()
        on_cpu.remove()


def test_the_bridge_moves_every_argument_to_the_grading_device(monkeypatch):
    """On a device other than the CPU (here `meta`, which every torch has), tensors, the test model's parameters
    and the test operator's factors all arrive on it."""
    g = torch.Generator().manual_seed(0)
    model = codec.TestModel(W=torch.randn(4, 4, generator=g), b=torch.zeros(4), c=torch.zeros(4))
    op = codec.TestOperator(torch.eye(4), torch.eye(2), torch.ones(2), (4,))
    args = {"x": torch.ones(2, 4), "model": model, "H": op, "sigma": 0.5}
    assert bridge._on_device(args) is args  # on the CPU nothing is copied
    monkeypatch.setattr(bridge, "DEVICE", "meta")
    moved = bridge._on_device(args)
    assert moved["x"].device.type == "meta" and moved["sigma"] == 0.5
    assert {p.device.type for p in moved["model"].parameters()} == {"meta"}
    assert moved["H"].singulars().device.type == "meta" and op.singulars().device.type == "cpu"


class _Kernel:
    def __init__(self, where: str):
        self.where = where

    def call(self, name, kwargs, **_):
        meta = [{"kind": "tensor", "dtype": "float32", "requires_grad": False, "device": self.where}]
        return SimpleNamespace(mutated=[], meta=meta, outputs=(torch.zeros(2),))


def test_a_result_on_another_device_than_its_inputs_fails_with_the_contract():
    with pytest.raises(CheckFailed, match="returned its result on cpu, but its inputs were on cuda.*device "
                                          "follows the inputs"):
        Student(_Kernel("cpu"), 5.0, device="cuda")("tweedie_denoiser", y=torch.zeros(2))
    assert Student(_Kernel("cuda:0"), 5.0, device="cuda")("f", y=torch.zeros(2)).shape == (2,)
    assert Student(_Kernel("cpu"), 5.0)("f", y=torch.zeros(2)).shape == (2,)


def test_errors_of_a_device_mix_up_say_what_the_contract_is():
    mixed = "raised RuntimeError: Expected all tensors to be on the same device, but found at least two devices"
    assert "device follows the inputs" in device_hint(mixed, "cuda")
    assert "device follows the inputs" in device_hint("raised AssertionError: Torch not compiled with CUDA enabled",
                                                      "cpu")
    assert device_hint("raised ValueError: shapes do not match", "cpu") == ""


def test_the_shipped_runner_profiles_load_and_command_line_options_win():
    assert set(profiles.names()) >= {"local-cpu", "single-gpu", "ray", "slurm"}
    loaded = {name: profiles.load(name) for name in profiles.names()}
    assert loaded["single-gpu"].device == "cuda" and loaded["ray"].backend == "ray" and loaded["ray"].num_gpus == 1
    assert loaded["slurm"].gres == "gpu:1" and loaded["slurm"].backend == "slurm"
    assert loaded["ray"].override(device="cpu", address=None).device == "cpu"
    assert profiles.load(None) == profiles.Profile()


@pytest.mark.parametrize("text, where, what", [
    ('[runner]\nbackend = "ray"\nnum_gpu = 1\n', 3, "unknown key 'num_gpu'"),
    ('[runner]\ndevice = "gpu"\n', 2, "device must be one of auto, cpu, cuda"),
    ('[runner]\nworkers = -2\n', 2, "workers must be a whole number, 1 or more"),
    ('[runner]\nmem_gb = 0\n', 2, "mem_gb must be a whole number, 1 or more"),
    ('[runner]\nsetup = "module load cuda"\n', 2, "setup must be a list of strings"),
    ('[runner]\n[slurm]\ngres = "gpu:1"\n', 2, "one table, [runner]"),
    ('[runner\n', 1, "Expected"),
])
def test_a_malformed_profile_names_its_line(tmp_path, text, where, what):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        profiles.load(str(path))
    assert what in str(err.value) and (f"mine.toml:{where}:" in str(err.value) or where == 1)


def test_the_recorded_error_budget_covers_every_check_and_leaves_a_wide_margin():
    """`autograder/checks/error_budget.json` (python -m autograder.grading.errorbudget): on every device recorded,
    each assignment's reference passes every check using at most half of its bound, and every check of the
    current suites is there (a check added since the last measurement fails this: measure again)."""
    import json

    from autograder import course
    from autograder.checks import load_suite
    from autograder.grading.errorbudget import RECORD, summary

    data = json.loads(RECORD.read_text())
    assert "cpu" in data["devices"]
    for device_name, entry in data["devices"].items():
        for assignment in course.assignment_ids():
            got = entry["assignments"][assignment]
            wanted = {f"{q.name}/{c.name}" for q in load_suite(assignment).auto_questions() for c in q.checks}
            assert set(got["checks"]) == wanted, (device_name, assignment, set(got["checks"]) ^ wanted)
            assert got["points"] == got["possible"] and got["device"] == device_name
            for key, check in got["checks"].items():
                assert check["passed"] and (check["worst"] or 0.0) <= 0.5, (device_name, key, check)
    assert "hw1_score" in summary(data)


@pytest.fixture
def numerics():
    """Restore torch's global numerics after a test that runs the bridge's CUDA path in this process."""
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.utils.deterministic.fill_uninitialized_memory, torch.backends.cuda.matmul.allow_tf32,
             torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    torch.utils.deterministic.fill_uninitialized_memory = saved[2]
    (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark,
     torch.backends.cudnn.deterministic) = saved[3:]


def test_a_grading_device_the_kernel_cannot_use_is_the_graders_error_and_a_lost_gpu_restarts_it(monkeypatch,
                                                                                                numerics):
    monkeypatch.setattr(bridge, "DEVICE", "cuda")  # this torch has no CUDA: moving the arguments fails
    spec, arrays = codec.encode_args({"y": torch.ones(2)})
    header, _ = bridge.handle({"f": lambda y: y}, {"op": "call", "id": 1, "name": "f", "spec": spec},
                              codec.pack(arrays), ask=None)
    assert not header["ok"] and "device_error" in header and "error" not in header
    assert not torch.backends.cuda.matmul.allow_tf32 and torch.are_deterministic_algorithms_enabled()
    assert bridge._fatal("raised RuntimeError: CUDA error: device-side assert triggered")
    assert not bridge._fatal("raised RuntimeError: CUDA error: out of memory")  # recoverable: the kernel goes on
    monkeypatch.setattr(bridge, "DEVICE", "cpu")
    assert not bridge._fatal("raised RuntimeError: CUDA error: device-side assert triggered")
