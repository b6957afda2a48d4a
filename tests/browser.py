"""Headless Chromium (Debian's `chromium`) for the tests that look at a page as a browser shows it: the DOM after
rendering (MathML, no scripts run) and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(*args, profile: Path, timeout: float = 120, size: tuple[int, int] = (1200, 900)) -> subprocess.CompletedProcess:
    """Run headless Chromium with a private profile; the test fails (never skips) when it is not installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian; .ci/run installs it)")
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile}",
                           *args], capture_output=True, text=True, timeout=timeout, check=False)


def png_colours(path: Path, size: tuple[int, int]) -> int:
    """The number of distinct colours of a PNG screenshot of `size` (a blank page has one or two)."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        return len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])
