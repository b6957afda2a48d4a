"""Arrays across the process boundary: base64 of an `.npz` archive, loaded without pickles."""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np

MAX_BYTES = 64 * 2**20  # a larger answer is refused, not read
_NUMERIC = "biuf"


def encode(arrays: dict[str, np.ndarray]) -> str:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode(b64: str) -> dict[str, np.ndarray]:
    """Decode an archive from the student's side: numbers only, never pickles, bounded size."""
    if not isinstance(b64, str) or len(b64) > MAX_BYTES * 4 // 3 + 8:
        raise ValueError("the answer is not a string of bounded size")
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error as err:
        raise ValueError(f"corrupt answer: {err}") from None
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        out = {k: archive[k] for k in archive.files}
    for key, value in out.items():
        if value.dtype.kind not in _NUMERIC:
            raise ValueError(f"{key} has dtype {value.dtype}, not a number type")
    return out
