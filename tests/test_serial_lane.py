"""scripts/test runs the serial benchmark comparisons beside the parallel run: the other tests keep off CPU 1.

A pytest run in a scratch folder with this suite's conftest: while the file named by
``ADVISOR_TEST_CPU1_BUSY`` exists, a plain test (and what it starts) runs on the CPUs
other than 1, a test marked ``cpu1`` on all of them; once the file is gone, every test
runs on all of them again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []

pytestmark = pytest.mark.skipif(len(CPUS) < 2 or 1 not in CPUS, reason="needs CPU 1 and another CPU")

PROBE = """
import os
import subprocess
import sys

import pytest


def _show(label):
    child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"{label} {sorted(os.sched_getaffinity(0))} child {child}")


def test_plain():
    _show("plain")


@pytest.mark.cpu1
def test_marked():
    _show("marked")
"""


def _affinities(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("TMPDIR", str(pytester.path))  # its own CPU-1 lock: it waits for no real benchmark
    for name in ("conftest.py", "support.py"):
        (pytester.path / name).write_text((TESTS / name).read_text(encoding="utf-8"), encoding="utf-8")
    pytester.makepyfile(test_probe=PROBE)
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, CPUS)  # the scratch run starts on every CPU, as a pytest run does
    try:
        result = pytester.runpytest_subprocess("-s", "-q", "-p", "no:cacheprovider",
                                               "-W", "ignore::pytest.PytestUnknownMarkWarning")
    finally:
        os.sched_setaffinity(0, before)
    result.assert_outcomes(passed=2)
    return {m.group(1): m.group(2) for line in result.outlines
            if (m := re.search(r"(plain|marked) (\[.*\] child \[.*\])", line))}


def test_plain_tests_keep_off_cpu1_while_the_serial_run_is_busy(pytester: pytest.Pytester, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    busy = tmp_path / "cpu1-busy"
    busy.touch()
    monkeypatch.setenv("ADVISOR_TEST_CPU1_BUSY", str(busy))
    others = [c for c in CPUS if c != 1]
    assert _affinities(pytester, monkeypatch) == {"plain": f"{others} child {others}", "marked": f"{CPUS} child {CPUS}"}


def test_every_test_gets_every_cpu_once_the_serial_run_is_done(pytester: pytest.Pytester, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_TEST_CPU1_BUSY", str(tmp_path / "gone"))
    assert _affinities(pytester, monkeypatch) == {"plain": f"{CPUS} child {CPUS}", "marked": f"{CPUS} child {CPUS}"}
