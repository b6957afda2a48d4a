"""What crosses the process boundary, both ways: arguments, results and the test model.

One definition for both sides. The grader imports this module as `autograder.boundary.codec`; the
student's kernel loads the same file as the module `_dc_codec` (see `boot.py`), so it must stay
self-contained: the standard library, numpy and torch only.

Wire format: a small JSON header (names, kinds, plain values) plus one payload of arrays: a length, a
JSON table (key, dtype, shape, offset) and the arrays' raw bytes. Only numeric dtypes from a fixed list,
shapes and offsets checked against the bytes actually there, of bounded size; arrays are copied out of the
buffer, never unpickled or evaluated. (It replaced `.npz` archives: writing and reading one message took
0.9 ms, now 0.06 ms.)
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import torch

MAX_BYTES = 64 * 2**20  # arrays larger in all are refused, not read
_FRAMING = 2**16  # room for the table of arrays beyond their own bytes
_NUMERIC = "biuf"  # numpy dtype kinds allowed on the wire: bool, int, unsigned, float
_VALUE_TYPES = (type(None), bool, int, float, str)


class WireError(ValueError):
    """A payload or a header that does not follow the format (corrupt, too large, not numbers)."""


# -- array payloads --------------------------------------------------------------------------------
_TABLE = struct.Struct("!I")  # the length of the JSON table that precedes the arrays' bytes
_DTYPES = {np.dtype(t).str for t in ("bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32",
                                     "float64")}  # numbers in this machine's byte order, nothing else


def pack(arrays: dict) -> bytes:
    """A payload of numeric arrays: their table (key, dtype, shape, offset) and their bytes, in order."""
    table, chunks, offset = [], [], 0
    for key, value in arrays.items():
        a = np.asarray(value)  # (tobytes writes C order whatever the strides; 0-d arrays stay 0-d)
        if a.dtype.str not in _DTYPES:
            raise WireError(f"{key} has dtype {a.dtype}, not a number type")
        table.append({"key": str(key), "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset})
        chunks.append(a.tobytes())
        offset += a.nbytes
    if offset > MAX_BYTES:
        raise WireError(f"{offset / 2**20:.0f} MiB of arrays is more than the {MAX_BYTES // 2**20} MiB allowed")
    head = json.dumps(table).encode()
    if _TABLE.size + len(head) > _FRAMING:
        raise WireError(f"{len(table)} arrays are more than one message may carry")
    return _TABLE.pack(len(head)) + head + b"".join(chunks)


def unpack(data: bytes) -> dict:
    """Arrays from a payload written by the other side: numbers only, every size checked, bounded."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_BYTES + _FRAMING:
        raise WireError("the payload is not bytes of bounded size")
    if not data:
        return {}
    try:
        (size,) = _TABLE.unpack_from(data)
        table = json.loads(bytes(data[_TABLE.size:_TABLE.size + size]))
    except (struct.error, ValueError) as err:
        raise WireError(f"corrupt payload ({type(err).__name__}: {err})") from None
    body = memoryview(data)[_TABLE.size + size:]
    if not isinstance(table, list):
        raise WireError("corrupt payload: the table is not a list")
    out, end = {}, 0
    for entry in table:
        try:
            key, dtype, shape, offset = entry["key"], entry["dtype"], entry["shape"], entry["offset"]
        except (TypeError, KeyError):
            raise WireError("corrupt payload: a table entry lacks key, dtype, shape or offset") from None
        if not isinstance(key, str) or dtype not in _DTYPES:
            raise WireError(f"{key!r} has dtype {dtype!r}, not a number type")
        if not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                                for n in shape) and isinstance(offset, int) and offset == end):
            raise WireError(f"corrupt payload: bad shape or offset for {key!r}")
        count = math.prod(shape)
        nbytes = count * np.dtype(dtype).itemsize
        end = offset + nbytes
        if end > len(body) or end > MAX_BYTES:
            raise WireError(f"corrupt payload: {key!r} runs past the bytes sent or the size allowed")
        out[key] = np.frombuffer(body, dtype=np.dtype(dtype), count=count, offset=offset).reshape(shape).copy()
    if end != len(body):
        raise WireError("corrupt payload: bytes beyond the arrays listed")
    return out


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor's values as a numpy array (bfloat16, which numpy lacks, as float32)."""
    t = t.detach().cpu().resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16:
        t = t.to(torch.float32)
    return t.numpy()


# -- the test model -----------------------------------------------------------------------------------
class TestModel(torch.nn.Module):
    """The network a check hands to a student's function, built on both sides from the same arrays.

    ``x`` of shape ``(B, *D)`` is flattened to ``(B, d)``; ``s`` is a per-sample scalar (a step index or
    a noise level: a number, a 0-d or a ``(B,)`` tensor); ``y`` an optional int64 ``(B,)`` class label.

    - denoiser (an eps, score or x0 model): ``f(x, s[, y]) = x A^T + tanh(x W^T + b + s c [+ E[y]])``,
      shape ``(B, *D)``; without ``A`` it is ``tanh(...)`` alone.
    - classifier (``V`` given): ``f(x, s) = tanh(x W^T + b + s c) V^T``, logits of shape ``(B, K)``.

    Parameters are float64 and cast to ``x``'s dtype and device, so gradients reach them (loss checks).

    `time` is how the contract says the model is called: ``"index"`` (``t``, an int64 tensor of shape
    ``(B,)``: DDPM's eps-model), ``"level"`` (``sigma``, a number or a float tensor of shape ``()`` or
    ``(B,)``: a noise-conditional score model), ``"none"`` (``x`` alone, as ``f(x)``: a classifier's
    ``logits_fn``, whose ``s`` term is then 0) or ``"any"``. A call that breaks it raises TypeError, which the
    student sees. The step or level may also be passed by the contract's name (``t=`` for an index, ``sigma=`` for
    a level, either for ``"any"``), as the notebooks' own models and denoisers accept it.
    """

    PARTS = ("W", "b", "c", "A", "E", "V")
    TIMES = ("any", "index", "level", "none")
    __test__ = False  # not a pytest test class

    def __init__(self, W, b, c, A=None, E=None, V=None, *, time: str = "any"):
        super().__init__()
        if time not in self.TIMES:
            raise ValueError(f"time must be one of {self.TIMES}")
        self.time = time
        for name, value in zip(self.PARTS, (W, b, c, A, E, V)):
            if value is not None:
                value = torch.as_tensor(value, dtype=torch.float64)
                self.register_parameter(name, torch.nn.Parameter(value, requires_grad=False))
            else:
                setattr(self, name, None)

    def arrays(self) -> dict:
        """The parameters by part name (only those present)."""
        return {p: to_numpy(getattr(self, p)) for p in self.PARTS if getattr(self, p) is not None}

    def copy(self) -> "TestModel":
        return TestModel(**{p: torch.from_numpy(a.copy()) for p, a in self.arrays().items()}, time=self.time)

    def _check_time(self, s, B: int) -> None:
        if self.time == "none":
            if s is not None:
                raise TypeError("the model takes x alone (logits_fn(x)); it got a second argument")
            return
        if s is None and self.time == "any":
            raise TypeError("the model takes a step or a noise level as its second argument: f(x, s)")
        if self.time == "index" and not (isinstance(s, torch.Tensor) and s.dtype == torch.int64
                                         and tuple(s.shape) == (B,)):
            got = f"a {s.dtype} tensor of shape {tuple(s.shape)}" if isinstance(s, torch.Tensor) else repr(s)
            raise TypeError(f"the model takes t as an int64 tensor of shape (B,) = ({B},), the step of each "
                            f"sample (e.g. torch.full((B,), t, dtype=torch.int64)); it got {got}")
        if self.time == "level":
            ok = (isinstance(s, (int, float)) and not isinstance(s, bool)) or (
                isinstance(s, torch.Tensor) and s.is_floating_point() and tuple(s.shape) in ((), (B,)))
            if not ok:
                got = f"a {s.dtype} tensor of shape {tuple(s.shape)}" if isinstance(s, torch.Tensor) else repr(s)
                raise TypeError(f"the model takes the noise level sigma as a number or a float tensor of shape () "
                                f"or (B,) = ({B},); it got {got}")

    NAMES = {"any": ("t", "sigma"), "index": ("t",), "level": ("sigma",), "none": ()}  # the contract's names for s
    WHAT = {"any": "step or noise level", "index": "step", "level": "noise level", "none": "second argument"}

    def _named(self, s, named: dict):
        """`s` from a call that named it (``model(x, sigma=...)``): at most once, and only by the contract's name."""
        if not named:
            return s
        allowed = self.NAMES[self.time]
        for name in named:
            if name not in allowed:
                how = f"f(x, {' or '.join(allowed)}[, y])" if allowed else "f(x)"
                raise TypeError(f"the model got an unexpected keyword argument {name!r}; it is called as {how}")
        if s is not None or len(named) > 1:
            raise TypeError(f"the model got its {self.WHAT[self.time]} twice")
        return next(iter(named.values()))

    def forward(self, x, s=None, y=None, **named):
        B = x.shape[0]
        s = self._named(s, named)
        self._check_time(s, B)
        cast = lambda p: p.to(dtype=x.dtype, device=x.device)  # noqa: E731
        s = torch.as_tensor(0.0 if s is None else s)  # time "none": no s term
        s = s.to(dtype=x.dtype, device=x.device).reshape(-1, 1)  # (B, 1) or (1, 1)
        h = x.reshape(B, -1) @ cast(self.W).T + cast(self.b) + s * cast(self.c)  # (B, d)
        if y is not None:
            if self.E is None:
                raise TypeError("this model takes no class label y")
            h = h + cast(self.E)[torch.as_tensor(y, device=x.device).long()]
        h = torch.tanh(h)
        if self.V is not None:
            return h @ cast(self.V).T  # (B, K) logits
        if self.A is not None:
            h = x.reshape(B, -1) @ cast(self.A).T + h
        return h.reshape(x.shape)


# -- arguments ----------------------------------------------------------------------------------------
class TestOperator:
    """The linear degradation a check hands to a student's function, built on both sides from the same arrays.

    ``H = U diag(s) V^T[:m]`` for one sample's ``shape`` (``d = prod(shape)``), given by its dense factors:
    ``Vt`` ``(d, d)`` and ``U`` ``(m, m)`` orthogonal, ``s`` ``(m,)`` (exactly ``0.0`` where ``H`` loses a
    coordinate). It has the interface of ``course_core.inverse.Degradation`` (the DDRM code's ``H_functions``):
    ``V``, ``V_T``, ``U``, ``U_T``, ``singulars``, ``add_zeros``, ``H``, ``H_T``, ``H_pinv`` over batches ``(B, ...)``
    with ``B * d`` (or ``B * m``) entries, returning flat ``(B, d)`` or ``(B, m)`` tensors in the input's dtype and
    on its device; attributes ``shape``, ``d``, ``m``. The factors are float64 and cast to the input's dtype.
    """

    PARTS = ("Vt", "U", "s")
    __test__ = False  # not a pytest test class (public.py copies this class into the notebook's tests: torch and
    # math only, outside `arrays`)

    def __init__(self, Vt, U, s, shape):
        self.shape = tuple(int(n) for n in shape)
        self._Vt, self._U, self._s = (torch.as_tensor(a, dtype=torch.float64) for a in (Vt, U, s))
        self.d, self.m = math.prod(self.shape), int(self._s.shape[0]) if self._s.dim() == 1 else -1
        if not 0 <= self.m <= self.d:
            raise ValueError(f"{self.m} singular values for d = {self.d}: m must be at most d")
        if self.m == 0 and self._U.numel() == 0:
            self._U = self._U.reshape(0, 0)  # an empty U written out as [] (nothing observed)
        if tuple(self._Vt.shape) != (self.d, self.d) or tuple(self._U.shape) != (self.m, self.m) or self._s.dim() != 1:
            raise ValueError(f"inconsistent factors: Vt {tuple(self._Vt.shape)}, U {tuple(self._U.shape)}, "
                             f"s {tuple(self._s.shape)} for shape {self.shape}")

    def arrays(self) -> dict:
        return {"Vt": to_numpy(self._Vt), "U": to_numpy(self._U), "s": to_numpy(self._s)}

    def __repr__(self) -> str:
        return f"TestOperator(shape={self.shape}, m={self.m})"

    def to(self, device) -> "TestOperator":
        """A copy with its factors on `device` (the grading device: `singulars()` is then on it too)."""
        return TestOperator(*(p.to(device) for p in (self._Vt, self._U, self._s)), self.shape)

    @staticmethod
    def _flat(v, n: int):
        if not isinstance(v, torch.Tensor) or v.dim() == 0 or v.numel() != v.shape[0] * n:
            got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"expected a tensor with {n} entries per sample, (B, ...), got {got}")
        return v.reshape(v.shape[0], n)

    @staticmethod
    def _cast(p, v):
        return p.to(dtype=v.dtype, device=v.device)

    def V(self, z):
        z = self._flat(z, self.d)
        return z @ self._cast(self._Vt, z)

    def V_T(self, x):
        x = self._flat(x, self.d)
        return x @ self._cast(self._Vt, x).T

    def U(self, z):
        z = self._flat(z, self.m)
        return z @ self._cast(self._U, z).T

    def U_T(self, y):
        y = self._flat(y, self.m)
        return y @ self._cast(self._U, y)

    def singulars(self):
        return self._s.clone()

    def add_zeros(self, z):
        z = self._flat(z, self.m)
        return torch.cat([z, z.new_zeros(z.shape[0], self.d - self.m)], dim=1)

    def H(self, x):
        x = self._flat(x, self.d)
        return self.U(self._cast(self._s, x) * self.V_T(x)[:, :self.m])

    def H_T(self, y):
        y = self._flat(y, self.m)
        return self.V(self.add_zeros(self._cast(self._s, y) * self.U_T(y)))

    def H_pinv(self, y):
        y = self._flat(y, self.m)
        s = self._cast(self._s, y)
        s_pinv = torch.where(s > 0, 1 / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(s))
        return self.V(self.add_zeros(s_pinv * self.U_T(y)))


def is_value(v) -> bool:
    if isinstance(v, (list, tuple)):
        return all(is_value(e) for e in v)
    return isinstance(v, _VALUE_TYPES)


def encode_args(kwargs: dict) -> tuple:
    """``(spec, arrays)`` for named arguments: tensors, test models and operators, and plain JSON values.

    Raises TypeError for anything else (a function, a module of the student's own, ...).
    """
    spec, arrays = {}, {}
    for name, value in kwargs.items():
        if isinstance(value, TestModel):
            keys = {}
            for part, array in value.arrays().items():
                arrays[f"{name}.{part}"] = array
                keys[part] = f"{name}.{part}"
            spec[name] = {"kind": "model", "parts": keys, "time": value.time}
        elif isinstance(value, TestOperator):
            for part, array in value.arrays().items():
                arrays[f"{name}.{part}"] = array
            spec[name] = {"kind": "operator", "shape": list(value.shape)}
        elif isinstance(value, torch.Tensor):
            arrays[name] = to_numpy(value)
            spec[name] = {"kind": "tensor", "key": name, "dtype": str(value.dtype).replace("torch.", "")}
        elif isinstance(value, np.ndarray) and value.dtype.kind in _NUMERIC:
            arrays[name] = value
            spec[name] = {"kind": "ndarray", "key": name}
        elif is_value(value):
            spec[name] = {"kind": "value", "value": value}
        else:
            raise TypeError(f"argument {name!r} is a {type(value).__name__}, which cannot cross to the other side "
                            "(only tensors, the model or operator you were given, numbers, strings and None can)")
    return spec, arrays


def _as_tuple(v):
    return tuple(_as_tuple(e) for e in v) if isinstance(v, list) else v


def decode_args(spec: dict, arrays: dict) -> dict:
    """Named arguments from ``(spec, arrays)``: fresh tensors the receiver may keep."""
    if not isinstance(spec, dict):
        raise WireError("the argument spec is not a mapping")
    out = {}
    for name, item in spec.items():
        kind = item.get("kind") if isinstance(item, dict) else None
        try:
            if kind == "tensor":
                t = torch.from_numpy(arrays[item["key"]].copy())
                out[name] = t.to(torch.bfloat16) if item.get("dtype") == "bfloat16" else t
            elif kind == "ndarray":
                out[name] = arrays[item["key"]].copy()
            elif kind == "model":
                parts = {p: torch.from_numpy(arrays[k].copy()) for p, k in item["parts"].items() if p in TestModel.PARTS}
                time = item.get("time", "any")
                out[name] = TestModel(**parts, time=time if time in TestModel.TIMES else "any")
            elif kind == "operator":
                shape = item["shape"]
                if not (isinstance(shape, list) and all(type(n) is int and n > 0 for n in shape)):
                    raise TypeError("the shape is not a list of positive ints")
                out[name] = TestOperator(*(torch.from_numpy(arrays[f"{name}.{p}"].copy()) for p in TestOperator.PARTS),
                                         shape)
            elif kind == "value" and is_value(item.get("value")):
                out[name] = _as_tuple(item["value"])
            else:
                raise WireError(f"argument {name!r} has an unknown kind {kind!r}")
        except (KeyError, TypeError, RuntimeError, ValueError) as err:
            raise WireError(f"argument {name!r} is malformed ({type(err).__name__}: {err})") from None
    return out


# -- results ------------------------------------------------------------------------------------------
def encode_outputs(result) -> tuple:
    """``(meta, arrays)`` for what a function returned: one entry per output (a tuple or list is several).

    ``meta[i]`` says what output ``i`` was: ``{"kind": "tensor", "dtype", "requires_grad", "device"}``,
    ``{"kind": "number"}`` (a Python or numpy scalar) or ``{"kind": "ndarray"}``. Raises TypeError,
    with a message for the student, for anything that is not numbers.
    """
    items = result if isinstance(result, (tuple, list)) else (result,)
    meta, arrays = [], {}
    for i, item in enumerate(items):
        if isinstance(item, torch.Tensor):
            if item.is_complex() or item.dtype not in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32,
                                                       torch.int64, torch.float16, torch.bfloat16, torch.float32,
                                                       torch.float64):
                raise TypeError(f"returned a tensor of dtype {item.dtype}, expected real numbers")
            meta.append({"kind": "tensor", "dtype": str(item.dtype).replace("torch.", ""),
                         "requires_grad": bool(item.requires_grad), "device": str(item.device)})
            arrays[f"out{i}"] = to_numpy(item)
        elif isinstance(item, (bool, int, float, np.generic)) and np.asarray(item).dtype.kind in _NUMERIC:
            meta.append({"kind": "number", "dtype": str(np.asarray(item).dtype)})
            arrays[f"out{i}"] = np.asarray(item)
        elif isinstance(item, np.ndarray) and item.dtype.kind in _NUMERIC:
            meta.append({"kind": "ndarray", "dtype": str(item.dtype)})
            arrays[f"out{i}"] = item
        else:
            if item is Ellipsis:
                hint = " (is the body still `...`?)"
            elif item is None:
                hint = " (a missing `return`?)"
            elif isinstance(item, (tuple, list, dict)):
                hint = " (nested containers are not part of the contract)"
            else:
                hint = ""
            raise TypeError(f"returned {type(item).__name__} where a tensor was expected{hint}")
    return meta, arrays


def decode_outputs(meta: list, arrays: dict) -> tuple:
    """The outputs as tensors (in the order returned), and their meta entries."""
    if not isinstance(meta, list) or len(meta) != len(arrays):
        raise WireError("the result's description does not match its arrays")
    try:
        tensors = tuple(torch.from_numpy(np.array(arrays[f"out{i}"])) for i in range(len(meta)))
    except KeyError as err:
        raise WireError(f"the result lacks {err}") from None
    return tensors, meta
