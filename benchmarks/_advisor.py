"""Shared by the benchmark scripts: how to start the installed ``advisor`` command."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def advisor_command() -> list[str]:
    """The console script next to this interpreter, else the one on PATH, else ``python -m advisor``."""
    script = Path(sys.executable).with_name("advisor")
    if script.exists():
        return [str(script)]
    found = shutil.which("advisor")
    return [found] if found else [sys.executable, "-m", "advisor"]
