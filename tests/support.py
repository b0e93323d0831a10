"""Helpers shared by the test modules: example counts relative to the hypothesis profile, golden
files that ``pytest --update-golden`` rewrites, and the generator scripts of scripts/ as modules.

The hypothesis profiles are registered in conftest.py: ``ci`` (the default: few examples,
derandomized, so two runs test the same inputs) and ``thorough`` (``HYPOTHESIS_PROFILE=thorough``:
many more examples, random ones). A property test states how many examples it wants relative to
the profile's base count, so both profiles scale every test the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

#: Set by conftest.py from the ``--update-golden`` option (each xdist worker sets its own).
UPDATE_GOLDEN = False


def examples(scale: float) -> int:
    """``scale`` times the active profile's base example count (at least one)."""
    return max(1, round(settings.default.max_examples * scale))


def golden(path: Path, actual: str) -> str:
    """The expected text of golden file ``path``; with ``--update-golden``, ``actual`` is written first.

    Compare the result with ``actual`` in the test, so a mismatch shows the diff.
    """
    if UPDATE_GOLDEN:
        from advisor.atomic import write_text

        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, actual)
    return path.read_text(encoding="utf-8")


def load_script(name: str) -> ModuleType:
    """``scripts/NAME.py`` imported as module ``NAME`` (the generators the drift tests compare with)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def cpu1_lock() -> Iterator[None]:
    """Hold the machine-wide lock of CPU 1 while benchmarks run there.

    The timing-sensitive comparisons (``-m serial``) pin their targets to CPU 1 and hold
    it for each test; a test that pins benchmarks to CPU 1 itself (marker ``cpu1``) or
    runs them at all (``sshd_fixture.cpu_heavy``) holds it too, so they never overlap,
    also across xdist workers and the serial run beside them (scripts/test).
    """
    path = Path(tempfile.gettempdir()) / "advisor-test-measure-cpu1.lock"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
