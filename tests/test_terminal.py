"""Terminal manners, through a real pseudo-terminal and through a pipe.

On a terminal: progress for a step over about a second, the outcome in bold, long
output through a pager. Piped, or with NO_COLOR: none of that, the plain product.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.pty, pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")]

BOLD = "\x1b[1m"
ASSESS = ["assess", "--set", "workload_name=api", "--defaults", "--no-record", "--measure", "never"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "PYTEST_", "NO_COLOR", "PAGER"))}
    env.update({"SOURCE_DATE_EPOCH": "1700000000", "TERM": "xterm", "COLUMNS": "120", **extra})
    return env


def _pty(args: list[str], cwd: Path, rows: int = 40, timeout: float = 120, **env: str) -> str:
    """Run ``python -m advisor ARGS`` on a pseudo-terminal; return all it wrote there."""
    child = pexpect.spawn(sys.executable, ["-m", "advisor", *args], cwd=str(cwd), env=_env(LINES=str(rows), **env),
                          encoding="utf-8", dimensions=(rows, 120), timeout=timeout)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def _piped(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=cwd, env=_env(**env), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_the_outcome_is_bold_on_a_terminal_only(tmp_path: Path) -> None:
    shown = _pty(ASSESS, tmp_path)
    line = next(ln for ln in shown.splitlines() if "Measure first: " in ln)  # the outcome sentence
    assert BOLD in line, repr(line)
    assert BOLD not in _pty(ASSESS, tmp_path, NO_COLOR="1")
    piped = _piped(ASSESS, tmp_path)
    assert "\x1b" not in piped.stdout + piped.stderr
    assert "Measure first: " in piped.stdout and "outcome" in piped.stdout


@pytest.mark.waits  # a second, twice
def test_progress_is_drawn_on_a_terminal_after_a_second_and_is_silent_in_a_pipe(tmp_path: Path) -> None:
    script = ("import time\nfrom advisor.console import Progress\n"
              "with Progress('quick step'):\n    pass\n"
              "with Progress('long step', total=4) as p:\n"
              "    for i in range(4):\n        time.sleep(0.5)\n        p.update(i + 1)\n"
              "print('done')\n")
    child = pexpect.spawn(sys.executable, ["-c", script], cwd=str(tmp_path), env=_env(), encoding="utf-8",
                          dimensions=(24, 120), timeout=30)
    child.expect(pexpect.EOF)
    shown = str(child.before)
    assert "long step" in shown and "quick step" not in shown  # under a second: nothing drawn
    assert "/4" in shown  # the bar counts
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=30, check=True)
    assert proc.stdout == "done\n" and proc.stderr == ""


@pytest.mark.slow
def test_measurement_progress_on_a_terminal(tmp_path: Path) -> None:
    if shutil.which("sysbench") is None:
        pytest.skip("the cpu probe needs sysbench (scripts/test-tools installs it)")
    args = ["measure", "--probe", "cpu", "--budget", "4", "-o", "m.yaml"]
    shown = _pty(args, tmp_path)
    assert "measuring cpu on this-host" in shown
    (tmp_path / "m.yaml").unlink()
    piped = _piped(args, tmp_path)
    assert "measuring" not in piped.stderr


def test_records_show_uses_a_pager_on_a_terminal_for_a_long_record(tmp_path: Path) -> None:
    _piped(["assess", "--set", "workload_name=api", "--defaults", "--measure", "never", "--date", "2026-01-01"],
           tmp_path)
    (md,) = (tmp_path / "reports").glob("0001-*.md")
    pager = "tee paged.txt >/dev/null"
    _pty(["records", "show", "1"], tmp_path, rows=10, PAGER=pager)
    assert (tmp_path / "paged.txt").read_text(encoding="utf-8") == md.read_text(encoding="utf-8")

    (tmp_path / "paged.txt").unlink()
    piped = _piped(["records", "show", "1"], tmp_path, PAGER=pager)
    assert piped.stdout == md.read_text(encoding="utf-8") and not (tmp_path / "paged.txt").exists()


def test_portfolio_draws_progress_on_a_terminal_and_nothing_in_a_pipe(tmp_path: Path) -> None:
    # 300 distinct workloads (no two alike, so none is reused): a step of a few seconds in one process.
    # assess's own steps ("deciding", the record's tipping points) now end within the second, so draw nothing
    rows = "".join(f"w{i},{20 + i}\n" for i in range(300))
    (tmp_path / "inventory.csv").write_text("workload_name,physical_hosts\n" + rows, encoding="utf-8")
    fleet = ["portfolio", "inventory.csv", "--summary-only", "--output-dir", "out", "--force", "-j", "1"]
    assert "assessing workloads" in _pty(fleet, tmp_path)
    piped = _piped(fleet, tmp_path)
    shown = piped.stdout + piped.stderr  # the label is the bar's alone: the plain output never says it
    assert "assessing workloads" not in shown and "\x1b" not in shown, piped.stderr
