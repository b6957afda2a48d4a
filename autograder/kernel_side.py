"""Code that runs inside the student's kernel. It is read as text, never imported by the grader.

It must stay self-contained (stdlib, numpy, torch only): the student's kernel cannot import
`autograder` or `course_core`. Nothing here is trusted by the grader. A student who edits it
only changes what their own functions appear to return, which the grader checks anyway.

Wire format, both ways: a base64 string of an `.npz` archive (no pickles) plus a small JSON
spec for scalars and callables.
"""

import base64
import io
import json

_MIME = "application/x-diffcourse-result+json"


def _decode_arrays(b64):
    import numpy as np

    with np.load(io.BytesIO(base64.b64decode(b64)), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _encode_arrays(arrays):
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def toy_field(W, b, c, A):
    """The test model `f(x, s) = x A^T + tanh(x W^T + b + s c)`, for x of shape (B, d).

    `s` may be a float, a 0-d tensor or a (B,) tensor (a step index or a noise level).
    The grader builds the same function from the same arrays to compute the expected values.
    """
    import torch

    def f(x, s):
        s = torch.as_tensor(s).to(dtype=x.dtype, device=x.device).reshape(-1, 1)
        return x @ A.to(x.dtype).T + torch.tanh(x @ W.to(x.dtype).T + b.to(x.dtype) + s * c.to(x.dtype))

    return f


def _build_args(spec, arrays):
    import torch

    args = {}
    for name, item in spec.items():
        kind = item["kind"]
        if kind == "array":
            args[name] = torch.from_numpy(arrays[item["key"]].copy())
        elif kind == "value":
            args[name] = item["value"]
        elif kind == "toy_field":
            parts = {k: torch.from_numpy(arrays[v].copy()) for k, v in item["keys"].items()}
            args[name] = toy_field(**parts)
        else:
            raise ValueError(f"unknown argument kind {kind!r}")
    return args


def _to_arrays(result):
    import numpy as np
    import torch

    items = result if isinstance(result, (tuple, list)) else (result,)
    out = {}
    for i, item in enumerate(items):
        if isinstance(item, torch.Tensor):
            arr = item.detach().cpu().numpy() if item.dtype != torch.bfloat16 else item.detach().cpu().double().numpy()
        elif isinstance(item, (int, float, bool)) or isinstance(item, np.ndarray) or isinstance(item, np.generic):
            arr = np.asarray(item)
        else:
            hint = " (is the body still `...`?)" if item is Ellipsis else ""
            raise TypeError(f"returned {type(item).__name__} where a tensor was expected{hint}")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"returned an array of dtype {arr.dtype}, expected numbers")
        out[f"out{i}"] = arr
    return out


def invoke(fn, args):
    """Call `fn` with `args` by name; if the student renamed parameters, by position in the same order."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn(**args)
    try:
        sig.bind(**args)
    except TypeError as by_name:
        try:
            sig.bind(*args.values())
        except TypeError:
            raise TypeError(f"cannot call {getattr(fn, '__name__', 'the function')}{sig} with the arguments "
                            f"({', '.join(args)}): {by_name}") from None
        return fn(*args.values())
    return fn(**args)


def call(user_ns, name, spec_json, b64):
    """Call the student's function `name` with decoded inputs and publish the result."""
    from IPython.display import publish_display_data

    try:
        fn = user_ns.get(name)
        if fn is None:
            raise NameError(f"the notebook defines no function named {name!r}")
        if not callable(fn):
            raise TypeError(f"{name!r} is a {type(fn).__name__}, not a function")
        args = _build_args(json.loads(spec_json), _decode_arrays(b64))
        result = invoke(fn, args)
    except BaseException as err:  # noqa: BLE001 - anything the student's code raises is a result
        if isinstance(err, KeyboardInterrupt):
            raise
        payload = {"ok": False, "error": f"raised {type(err).__name__}: {err}"[:2000]}
    else:
        try:
            payload = {"ok": True, "arrays": _encode_arrays(_to_arrays(result))}
        except (TypeError, ValueError) as err:
            payload = {"ok": False, "error": str(err)[:2000]}
    publish_display_data({_MIME: payload})


def _bind_like(original, params, args, kwargs):
    """Arguments by the contract's parameter names, however the student's own signature named them."""
    import inspect

    if callable(original):
        try:
            bound = inspect.signature(original).bind(*args, **kwargs)
            bound.apply_defaults()
            values = list(bound.arguments.values())
            if len(values) == len(params):
                return dict(zip(params, values))
        except (TypeError, ValueError):
            pass
    if len(args) > len(params):
        raise TypeError(f"takes {len(params)} arguments, got {len(args)}")
    return {**kwargs, **dict(zip(params, args))}


def make_proxy(name, token, params, original=None):
    """A stand-in for one of the student's helper functions, answered by the grader.

    While a composite function (say `ddpm_step`) is checked, the helpers it calls by their global
    names (say `q_posterior_mean_variance`) are replaced by this proxy, so a bug in a helper costs
    points only on the helper's own question. `params` lists the helper's parameter names in
    order; arguments are bound through the student's own signature (`original`) when there is one, so
    renamed parameters and keyword calls work. The request and the answer travel as arrays
    over the kernel's stdin channel.
    """

    def proxy(*args, **kwargs):
        import torch

        kwargs = _bind_like(original, params, args, kwargs)
        arrays, spec, like = {}, {}, None
        for key, value in kwargs.items():
            if isinstance(value, torch.Tensor):
                if like is None and value.is_floating_point() and value.dim() > 1:
                    like = value
                arrays[key] = value.detach().cpu().numpy()
                spec[key] = {"kind": "array", "key": key}
            else:
                spec[key] = {"kind": "value", "value": value}
        request = json.dumps({"name": name, "spec": spec, "arrays": _encode_arrays(arrays)})
        reply = json.loads(input(token + request))
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error", "grader stand-in failed"))
        outs = _decode_arrays(reply["arrays"])
        tensors = [torch.from_numpy(outs[f"out{i}"].copy()) for i in range(len(outs))]
        if like is not None:
            tensors = [t.to(device=like.device, dtype=like.dtype) for t in tensors]
        return tensors[0] if len(tensors) == 1 else tuple(tensors)

    proxy.__name__ = name
    return proxy
