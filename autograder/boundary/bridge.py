"""The kernel's end of the boundary: calls the student's functions for the grader.

Loaded into the student's kernel as the module `_dc_bridge` (see `boot.py`); the grader's in-process
test harness imports it as `autograder.boundary.bridge` and calls `handle` directly. It must stay
self-contained (the standard library, numpy, torch, and the codec). Nothing here is trusted by the
grader: a student who changes it only changes what their own functions appear to return.

Protocol (`serve`): frames on a socket the grader handed to the kernel at start, each message a JSON
header frame and an `.npz` frame.
- grader -> kernel ``{"op": "call", "id", "name", "spec", "standins": {name: contract}, "grads": [arg names]}``
- kernel -> grader ``{"op": "standin", "name", "spec"}`` while the call runs, answered by
  ``{"op": "standin_reply", "ok", "outputs" | "error"}``
- kernel -> grader ``{"op": "result", "id", "ok", "outputs", "mutated", "grads" | "error" | "interrupted"}``
- grader -> kernel ``{"op": "ping"}`` (is the loop running?), answered by ``{"op": "pong"}``;
  ``{"op": "stop"}``, answered by ``{"op": "stopped"}``.
The loop runs in the kernel's main thread, so the grader's SIGINT (a call past its time limit) interrupts
the student's function and the loop goes on serving.
"""

import inspect
import json

import torch

try:  # inside the student's kernel, boot.py has loaded the codec under this name
    import _dc_codec as codec
except ImportError:  # in the grader's process
    from . import codec

CONN = None  # the kernel's end of the grader's socket, set by boot.py
_MISSING = object()
_equal = torch.equal  # taken before any student code runs: a notebook that patches torch.equal cannot blind it


# -- framing --------------------------------------------------------------------------------------
def send(conn, header: dict, payload: bytes = b"") -> None:
    conn.send_bytes(json.dumps(header).encode())
    conn.send_bytes(payload)


def recv(conn, max_bytes: int = codec.MAX_BYTES + 2**20):
    header = json.loads(conn.recv_bytes(1 << 20).decode())
    if not isinstance(header, dict):
        raise codec.WireError("the message header is not a mapping")
    return header, conn.recv_bytes(max_bytes)


# -- matching arguments to a signature ----------------------------------------------------------------
def _plain_parameters(sig):
    """The named parameters of a signature, or None when it takes *args or **kwargs."""
    params = list(sig.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return params


def invoke(fn, args: dict):
    """Call the student's `fn` with arguments named as in the contract.

    A parameter the student named as the contract does gets its argument by name; the student's other
    parameters take the remaining arguments in the contract's order. So `q_sample(x_start, t, noise,
    alpha_bar)` works, and so does a signature whose parameters are in another order.
    """
    try:
        params = _plain_parameters(inspect.signature(fn))
    except (TypeError, ValueError):
        params = None
    if params is None:
        return fn(**args)
    names = [p.name for p in params]
    rest = iter([a for a in args if a not in names])
    kwargs = {}
    for p in params:
        if p.name in args:
            kwargs[p.name] = args[p.name]
        elif p.kind != p.KEYWORD_ONLY:
            key = next(rest, _MISSING)
            if key is not _MISSING:
                kwargs[p.name] = args[key]
    unused = list(rest)
    if unused:
        raise TypeError(f"cannot call {getattr(fn, '__name__', 'the function')}{inspect.signature(fn)} "
                        f"with the arguments ({', '.join(args)}): no parameter for {', '.join(unused)}")
    return fn(**kwargs)


def bind_like(original, contract: list, args: tuple, kwargs: dict) -> dict:
    """A stand-in's arguments by the contract's names, from a call written against the student's helper.

    `contract` lists ``[name, has_default, default]`` in the reference's order. The call is bound through
    the student's own signature (`original`) when there is one: arguments whose parameter is named as in
    the contract go by name, the others by position among the unmatched. Missing ones take the contract's
    defaults.
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
    out = {k: v for k, v in values.items() if k in names}
    for key, name in zip([k for k in values if k not in names], [n for n in names if n not in out]):
        out[name] = values[key]
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
        reply, payload = ask({"op": "standin", "name": name, "spec": spec}, codec.pack(arrays))
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
    """Every tensor among the arguments, models' parameters included, by a readable name."""
    out = {}
    for name, value in args.items():
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, codec.TestModel):
            out.update({f"{name}.{p}": t for p, t in value.named_parameters()})
    return out


def _mutated(tensors: dict, before: dict) -> list:
    changed = []
    for name, t in tensors.items():
        old = before[name]
        if t.dtype != old.dtype or t.shape != old.shape or not _equal(t.detach(), old):
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


def _handle(user_ns: dict, request: dict, payload: bytes, ask):
    name = request.get("name")
    fn = user_ns.get(name)
    if fn is None:
        return {"op": "result", "ok": False, "error": f"the notebook defines no function named {name!r}"}, b""
    if not callable(fn):
        return {"op": "result", "ok": False, "error": f"{name!r} is a {type(fn).__name__}, not a function"}, b""
    args = codec.decode_args(request.get("spec", {}), codec.unpack(payload))
    grad_of = [n for n in request.get("grads", []) if isinstance(args.get(n), codec.TestModel)]
    for n in grad_of:
        args[n].requires_grad_(True)
    tensors = _tensors(args)
    before = {k: t.detach().clone() for k, t in tensors.items()}
    saved = {}
    for helper, contract in request.get("standins", {}).items():
        saved[helper] = user_ns.get(helper, _MISSING)
        original = saved[helper] if saved[helper] is not _MISSING else None
        user_ns[helper] = make_standin(helper, contract, original, ask)
    try:
        result = invoke(fn, args)
        error = None
    except KeyboardInterrupt:
        return {"op": "result", "ok": False, "interrupted": True}, b""
    except BaseException as err:  # noqa: BLE001 - anything the student's code raises (SystemExit too) is a result
        result, error = None, f"raised {type(err).__name__}: {err}"[:2000]
    finally:
        for helper, fn_saved in saved.items():
            if fn_saved is _MISSING:
                user_ns.pop(helper, None)
            else:
                user_ns[helper] = fn_saved
    if error is not None:
        return {"op": "result", "ok": False, "error": error}, b""
    header = {"op": "result", "ok": True, "mutated": _mutated(tensors, before)}
    try:
        header["outputs"], arrays = codec.encode_outputs(result)
        if grad_of:
            header["grads"], grad_arrays, header["grads_error"] = _gradients(result, args, grad_of)
            arrays.update(grad_arrays)
        return header, codec.pack(arrays)
    except (TypeError, ValueError, RuntimeError) as err:
        return {"op": "result", "ok": False, "error": str(err)[:2000]}, b""


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
def serve(user_ns: dict, conn=None) -> None:
    """Answer the grader's call requests until it says stop (or goes away)."""
    conn = conn or CONN

    def ask(header, payload):
        send(conn, header, payload)
        return recv(conn)

    while True:
        try:
            request, payload = recv(conn)
        except KeyboardInterrupt:  # an interrupt that arrived just after a call returned
            continue
        except (EOFError, OSError):
            return
        if request.get("op") == "stop":
            send(conn, {"op": "stopped"})
            return
        if request.get("op") == "ping":
            send(conn, {"op": "pong"})
            continue
        try:
            reply = handle(user_ns, request, payload, ask)
        except KeyboardInterrupt:
            reply = {"op": "result", "id": request.get("id"), "ok": False, "interrupted": True}, b""
        except Exception as err:  # noqa: BLE001 - a notebook that broke the bridge loses the call, not the loop
            reply = {"op": "result", "id": request.get("id"), "ok": False,
                     "error": f"the call failed in the bridge ({type(err).__name__}: {err})"}, b""
        send(conn, *reply)
