"""The kernel's end of the boundary: calls the student's functions for the grader.

Loaded into the student's kernel as the module `_dc_bridge` (see `boot.py`); the grader's in-process
test harness imports it as `autograder.boundary.bridge` and calls `handle` directly. It must stay
self-contained (the standard library, numpy, torch, and the codec). Nothing here is trusted by the
grader: a student who changes it only changes what their own functions appear to return.

Protocol (`serve`): messages on a socket the grader handed to the kernel at start, each one frame: two
lengths, a JSON header and a payload of arrays (`codec.pack`; written with one `sendall`, read whole or not
at all).
- grader -> kernel ``{"op": "call", "id", "name", "spec", "standins": {name: contract}, "grads": [arg names]}``
  (and ``"no_grad": true`` to run the function inside ``torch.no_grad()``)
- kernel -> grader ``{"op": "standin", "name", "spec"}`` while the call runs, answered by
  ``{"op": "standin_reply", "ok", "outputs" | "error"}``
- kernel -> grader ``{"op": "result", "id", "ok", "outputs", "mutated", "grads" | "error" | "interrupted"}``
- grader -> kernel ``{"op": "ping"}`` (is the loop running?), answered by ``{"op": "pong"}``;
  ``{"op": "stop"}``, answered by ``{"op": "stopped"}``.

Interrupts: the loop runs in the kernel's main thread with its own SIGINT handler, which raises
KeyboardInterrupt only while the student's function runs (the grader's SIGINT for a call past its time
limit); anywhere else (framing, encoding, a stand-in's round trip) the interrupt is remembered, never torn
through a message, and a stale one is dropped before the next call.
"""

import inspect
import json
import os
import signal
import struct
import sys
import time

import torch

try:  # inside the student's kernel, boot.py has loaded the codec under this name
    import _dc_codec as codec
except ImportError:  # in the grader's process
    from . import codec

CONN = None  # the kernel's end of the grader's socket, set by boot.py
SEALED = {}  # module name -> (module, its namespace when sealed), set by boot.py (`_seal`)
_MISSING = object()
# The grading device (``--device``), fixed when the bridge is loaded, before any student code runs.
DEVICE = os.environ.get("DC_DEVICE", "cpu")
# Taken before any student code runs: a notebook that patches torch cannot blind the in-place check.
_equal, _clone, _detach = torch.equal, torch.Tensor.clone, torch.Tensor.detach


def tampered() -> list:
    """The names the notebook reassigned or deleted in the grader's modules since boot.py sealed them."""
    out = []
    for module_name, (module, snapshot) in SEALED.items():
        now = vars(module)
        out += [f"{module_name}.{k}" for k in snapshot if now.get(k, _MISSING) is not snapshot[k]]
    return out


# -- framing --------------------------------------------------------------------------------------
_FRAME = struct.Struct("!II")  # header length, payload length
MAX_HEADER = 1 << 20


def send(sock, header: dict, payload: bytes = b"") -> None:
    """One message, one write: a reader never sees half of it unless the writer dies."""
    data = json.dumps(header).encode()
    sock.sendall(_FRAME.pack(len(data), len(payload)) + data + payload)


def recv(sock, deadline: float | None = None):
    """One message ``(header, payload)``. EOFError when the other side is gone; TimeoutError when a whole
    message has not arrived by `deadline` (``time.monotonic()``; None waits); WireError when malformed."""
    size_header, size_payload = _FRAME.unpack(_read(sock, _FRAME.size, deadline))
    if size_header > MAX_HEADER or size_payload > codec.MAX_BYTES + 2**20:
        raise codec.WireError(f"a message of {size_header} + {size_payload} bytes is larger than allowed")
    try:
        header = json.loads(_read(sock, size_header, deadline).decode())
    except (ValueError, RecursionError) as err:
        raise codec.WireError(f"the message header is not JSON ({type(err).__name__})") from None
    if not isinstance(header, dict):
        raise codec.WireError("the message header is not a mapping")
    return header, _read(sock, size_payload, deadline)


def _read(sock, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    try:
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the message did not arrive in time")
                sock.settimeout(left)
            try:
                chunk = sock.recv(min(n - got, 1 << 20))
            except TimeoutError:
                raise TimeoutError("the message did not arrive in time") from None
            if not chunk:
                raise EOFError("the other side closed the socket")
            chunks.append(chunk)
            got += len(chunk)
    finally:
        if deadline is not None:
            sock.settimeout(None)  # a later sendall must not inherit what was left of this deadline
    return b"".join(chunks)


class _Interrupts:
    """The SIGINT handler while the loop serves: KeyboardInterrupt inside the student's code only."""

    def __init__(self):
        self.armed = False  # the student's function is running
        self.pending = False  # an interrupt arrived while disarmed

    def __call__(self, signum, frame):
        if self.armed:
            self.armed = False  # once per call: the student's except/finally blocks are not interrupted again
            raise KeyboardInterrupt
        self.pending = True


INTERRUPTS = _Interrupts()


class _Capped:
    """Stands for sys.stdout / sys.stderr while the loop serves: what the student's functions print is passed
    on up to a shared budget, then dropped (printing in a function called thousands of times must not fill
    the kernel's memory with output nobody reads)."""

    BUDGET = 64 * 1024  # characters per loop, stdout and stderr together

    def __init__(self, stream, left: list):
        self.stream, self.left = stream, left

    def write(self, text) -> int:
        text = str(text)
        if self.left[0] > 0:
            kept = text[:self.left[0]]
            self.left[0] -= len(kept)
            self.stream.write(kept if self.left[0] > 0 else kept + "\n[more output while the grader called "
                              "the notebook's functions was dropped]\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


# -- matching arguments to a signature ----------------------------------------------------------------
def _plain_parameters(sig):
    """The named parameters of a signature, or None when it takes *args or **kwargs."""
    params = list(sig.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return params


def _by_name(student_names: list, contract_names: list) -> bool:
    """Match arguments by name only when every parameter of the student's is named as one of the contract's
    (kept, or reordered); a renamed parameter may collide with another contract name
    (`ddpm_step(x_t, t, noise, beta, z)`), so then positions decide, as in the notebook's own calls."""
    return set(student_names[:len(contract_names)]) <= set(contract_names)


def invoke(fn, args: dict):
    """Call the student's `fn` with the arguments `args`, named and ordered as in the contract.

    Parameters named exactly as the contract's (in any order) get their arguments by name; a signature
    with other names gets them by position, in the contract's order.
    """
    try:
        params = _plain_parameters(inspect.signature(fn))
    except (TypeError, ValueError):
        params = None
    if params is None:
        return fn(**args)
    names = [p.name for p in params]
    if _by_name(names, list(args)):
        missing = [a for a in args if a not in names]
        if missing:
            raise TypeError(f"cannot call {getattr(fn, '__name__', 'the function')}{inspect.signature(fn)}: "
                            f"no parameter for {', '.join(missing)}")
        return fn(**args)
    positional = [p for p in params if p.kind != p.KEYWORD_ONLY]
    if len(args) > len(positional):
        raise TypeError(f"cannot call {getattr(fn, '__name__', 'the function')}{inspect.signature(fn)} with the "
                        f"{len(args)} arguments ({', '.join(args)}) of the contract")
    return fn(*args.values())


def bind_like(original, contract: list, args: tuple, kwargs: dict) -> dict:
    """A stand-in's arguments by the contract's names, from a call written against the student's helper.

    `contract` lists ``[name, has_default, default]`` in the reference's order. The call is bound through
    the student's own signature (`original`) when there is one, with its defaults; then matched to the
    contract by name if the student kept the contract's names (in any order), else by position. Missing
    arguments take the contract's defaults.
    """
    names = [c[0] for c in contract]
    values = None
    if callable(original):
        try:
            sig = inspect.signature(original)
            if _plain_parameters(sig) is not None:
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                values = dict(bound.arguments)
        except (TypeError, ValueError):
            values = None
    if values is None:  # no usable signature of the student's: read the call against the contract
        if len(args) > len(names):
            raise TypeError(f"takes {len(names)} arguments ({', '.join(names)}), got {len(args)}")
        values = {**dict(zip(names, args)), **kwargs}
    elif not _by_name(list(values), names):
        values = dict(zip(names, values.values()))
    out = {n: values[n] for n in names if n in values}
    for name, has_default, default in contract:
        if name not in out:
            if not has_default:
                raise TypeError(f"missing the argument {name!r}")
            out[name] = default
    return {n: out[n] for n in names}


def make_standin(name: str, contract: list, original, ask):
    """A stand-in for the student's helper `name`: the grader answers it with the reference.

    While a composite function (say `ddpm_step`) is checked, the helpers it calls by their global names
    (say `q_posterior_mean_variance`) are these stand-ins, so a bug in a helper costs points only on the
    helper's own question.
    """

    def standin(*args, **kwargs):
        named = bind_like(original, contract, args, kwargs)
        device = next((v.device for v in named.values() if isinstance(v, torch.Tensor)), None)
        spec, arrays = codec.encode_args(named)
        armed, INTERRUPTS.armed = INTERRUPTS.armed, False  # the round trip is not torn by an interrupt ...
        try:
            reply, payload = ask({"op": "standin", "name": name, "spec": spec}, codec.pack(arrays))
        finally:
            INTERRUPTS.armed = armed
        if armed and INTERRUPTS.pending:  # ... which is delivered once it is over
            INTERRUPTS.pending = INTERRUPTS.armed = False
            raise KeyboardInterrupt
        if not reply.get("ok"):
            raise RuntimeError(f"{name} (the grader's stand-in): {reply.get('error', 'failed')}")
        outputs, _ = codec.decode_outputs(reply["outputs"], codec.unpack(payload))
        if device is not None:
            outputs = tuple(t.to(device) for t in outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    standin.__name__ = name
    return standin


# -- one call -----------------------------------------------------------------------------------------
def _tensors(args: dict) -> dict:
    """Every tensor among the arguments, models' parameters and operators' factors included, by a readable name."""
    out = {}
    for name, value in args.items():
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, codec.TestModel):
            out.update({f"{name}.{p}": t for p, t in value.named_parameters()})
        elif isinstance(value, codec.TestOperator):
            out.update({f"{name}.{p}": getattr(value, f"_{p}") for p in codec.TestOperator.PARTS})
    return out


def _mutated(tensors: dict, before: dict) -> list:
    changed = []
    for name, t in tensors.items():
        old = before[name]
        if t.dtype != old.dtype or t.shape != old.shape or not _equal(_detach(t), old):
            changed.append(name)
    return changed


def _gradients(result, args: dict, names: list):
    """Gradients of a scalar result with respect to the parameters of the model arguments `names`."""
    out = result[0] if isinstance(result, (tuple, list)) and result else result
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        return {}, {}, "the result is not a one-element tensor"
    if not out.requires_grad:
        return {}, {}, ("the result does not depend on the model's parameters through autograd "
                        "(computed under torch.no_grad(), detached, or rebuilt from Python numbers?)")
    params = [(f"{n}.{p}", t) for n in names for p, t in args[n].named_parameters()]
    grads = torch.autograd.grad(out.reshape(()), [t for _, t in params], allow_unused=True)
    arrays = {f"grad.{key}": codec.to_numpy(g) for (key, _), g in zip(params, grads) if g is not None}
    return {key: key in {k[5:] for k in arrays} for key, _ in params}, arrays, None


def handle(user_ns: dict, request: dict, payload: bytes, ask):
    """Run one call request in the namespace `user_ns`; returns the reply ``(header, payload)``.

    `ask(header, payload)` performs one stand-in round trip with the grader. The reply carries the
    request's id, so the grader never takes another message for it.
    """
    header, payload = _handle(user_ns, request, payload, ask)
    return {**header, "id": request.get("id")}, payload


def _on_device(args: dict) -> dict:
    """The arguments on the grading device (tensors, test models, operators); on CUDA, the numerics made
    reproducible again for the call (the notebook may have turned TF32 or cuDNN's autotuner on)."""
    if DEVICE == "cpu":
        return args
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = False  # torch.empty as on the CPU, not NaN-filled
    out = {}
    for name, value in args.items():
        if isinstance(value, (torch.Tensor, codec.TestModel, codec.TestOperator)):
            value = value.to(DEVICE)
        out[name] = value
    return out


def _handle(user_ns: dict, request: dict, payload: bytes, ask):
    name = request.get("name")
    fn = user_ns.get(name)
    if fn is None:
        return {"op": "result", "ok": False, "error": f"the notebook defines no function named {name!r}"}, b""
    if not callable(fn):
        return {"op": "result", "ok": False, "error": f"{name!r} is a {type(fn).__name__}, not a function"}, b""
    args = codec.decode_args(request.get("spec", {}), codec.unpack(payload))
    try:
        args = _on_device(args)
    except Exception as err:  # noqa: BLE001 - the grading device does not work here: not the student's doing
        return {"op": "result", "ok": False, "device_error": f"{type(err).__name__}: {err}"[:2000]}, b""
    grad_of = [n for n in request.get("grads", []) if isinstance(args.get(n), codec.TestModel)]
    for n in grad_of:
        args[n].requires_grad_(True)
    tensors = _tensors(args)
    before = {k: _clone(_detach(t)) for k, t in tensors.items()}
    saved = {}
    for helper, contract in request.get("standins", {}).items():
        saved[helper] = user_ns.get(helper, _MISSING)
        original = saved[helper] if saved[helper] is not _MISSING else None
        user_ns[helper] = make_standin(helper, contract, original, ask)
    try:
        INTERRUPTS.pending = False  # an interrupt meant for an earlier call
        INTERRUPTS.armed = True
        if request.get("no_grad") is True:  # called as a sampler calls it (a guidance gradient under no_grad)
            with torch.no_grad():
                result = invoke(fn, args)
        else:
            result = invoke(fn, args)
        if DEVICE == "cuda":  # an asynchronous CUDA error belongs to this call, not to the next one
            torch.cuda.synchronize()
        INTERRUPTS.armed = False
        error = None
    except KeyboardInterrupt:
        INTERRUPTS.armed = False
        return {"op": "result", "ok": False, "interrupted": True}, b""
    except BaseException as err:  # noqa: BLE001 - anything the student's code raises (SystemExit too) is a result
        INTERRUPTS.armed = False
        result, error = None, _raised(err)
    finally:
        INTERRUPTS.armed = False
        for helper, fn_saved in saved.items():
            if fn_saved is _MISSING:
                user_ns.pop(helper, None)
            else:
                user_ns[helper] = fn_saved
    if error is not None:
        return {"op": "result", "ok": False, "error": error, **({"lost": True} if _fatal(error) else {})}, b""
    header = {"op": "result", "ok": True, "mutated": _mutated(tensors, before)}
    try:
        header["outputs"], arrays = codec.encode_outputs(result)
        if grad_of:
            header["grads"], grad_arrays, header["grads_error"] = _gradients(result, args, grad_of)
            arrays.update(grad_arrays)
        return header, codec.pack(arrays)
    except codec.WireError as err:
        return {"op": "result", "ok": False, "error": f"returned a result too large to grade: {err}"[:2000]}, b""
    except (TypeError, ValueError, RuntimeError) as err:
        return {"op": "result", "ok": False, "error": str(err)[:2000]}, b""


# CUDA errors after which the process's GPU context is unusable: the grader restarts the kernel.
_STICKY = ("device-side assert", "illegal memory access", "CUDA error: unspecified launch failure",
           "CUDA error: an illegal instruction", "misaligned address")


def _fatal(error: str) -> bool:
    return DEVICE == "cuda" and any(sign in error for sign in _STICKY)


def _raised(err: BaseException) -> str:
    text = str(err) or {"MemoryError": "out of memory (the kernel's memory limit; a tensor far too large?)",
                        "RecursionError": "maximum recursion depth exceeded"}.get(type(err).__name__, "")
    return (f"raised {type(err).__name__}: {text}" if text else f"raised {type(err).__name__}")[:2000]


def standin_contracts(helpers: dict) -> dict:
    """``{name: contract}`` for `make_standin`, read from the reference functions' signatures."""
    out = {}
    for name, fn in helpers.items():
        contract = []
        for p in inspect.signature(fn).parameters.values():
            has_default = p.default is not inspect.Parameter.empty
            contract.append([p.name, has_default, p.default if has_default else None])
        out[name] = contract
    return out


# -- the loop ------------------------------------------------------------------------------------------
def serve(user_ns: dict, sock=None) -> None:
    """Answer the grader's call requests until it says stop (or goes away)."""
    sock = sock or CONN
    sock.settimeout(None)

    def ask(header, payload):
        send(sock, header, payload)
        return recv(sock)

    previous = signal.signal(signal.SIGINT, INTERRUPTS)
    streams = sys.stdout, sys.stderr
    left = [_Capped.BUDGET]
    sys.stdout, sys.stderr = _Capped(streams[0], left), _Capped(streams[1], left)
    try:
        while True:
            try:
                request, payload = recv(sock)
            except (EOFError, OSError):
                return
            except codec.WireError as err:
                send(sock, {"op": "result", "id": None, "ok": False, "error": f"malformed request: {err}"})
                continue
            if request.get("op") == "stop":
                send(sock, {"op": "stopped"})
                return
            if request.get("op") == "ping":
                send(sock, {"op": "pong", "tampered": tampered()})
                continue
            try:
                reply = handle(user_ns, request, payload, ask)
            except KeyboardInterrupt:
                reply = {"op": "result", "id": request.get("id"), "ok": False, "interrupted": True}, b""
            except Exception as err:  # noqa: BLE001 - a notebook that broke the bridge loses the call, not the loop
                reply = {"op": "result", "id": request.get("id"), "ok": False,
                         "error": f"the call failed in the bridge ({type(err).__name__}: {err})"}, b""
            send(sock, *reply)
    finally:
        INTERRUPTS.armed = False
        signal.signal(signal.SIGINT, previous)
        sys.stdout, sys.stderr = streams
