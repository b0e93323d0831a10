"""Shell completion of values, through click's completion protocol as bash drives it.

Each case runs the installed ``advisor`` with ``_ADVISOR_COMPLETE=bash_complete`` and
the words typed so far in COMP_WORDS/COMP_CWORD, as the script printed by
``_ADVISOR_COMPLETE=bash_source advisor`` does, and reads the ``type,value`` lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import run

ADVISOR = Path(sys.executable).with_name("advisor")


def complete(words: str, cwd: Path) -> list[str]:
    """The values offered for the last word of ``words`` (a trailing space: a new, empty word)."""
    parts = words.split(" ")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "PYTEST_"))}
    env.update({"_ADVISOR_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)})
    proc = subprocess.run([str(ADVISOR)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line.startswith("plain,")]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("completion")
    here = Path.cwd()
    os.chdir(work)
    try:
        for name in ("api", "ledger"):
            assert run(["assess", "--set", f"workload_name={name}", "--defaults", "--measure", "never",
                        "--date", "2026-01-01"]) == 0
    finally:
        os.chdir(here)
    return work


def test_rule_ids(tmp_path: Path) -> None:
    offered = complete("advisor rules show vm-t", tmp_path)
    assert offered == ["vm-tail-latency", "vm-tenants-per-kernel", "vm-throughput-compute", "vm-throughput-storage"]
    # a layer adds its own rules
    (tmp_path / "acme" / "constraints").mkdir(parents=True)
    (tmp_path / "acme" / "constraints" / "acme-only-rule.yaml").write_text("id: acme-only-rule\n", encoding="utf-8")
    assert complete("advisor rules show --rules acme acme-", tmp_path) == ["acme-only-rule"]


def test_question_keys(tmp_path: Path) -> None:
    assert complete("advisor assess --set latency_p", tmp_path) == ["latency_p99_ms="]
    assert "workload_name=" in complete("advisor whatif --set work", tmp_path)
    assert complete("advisor assess --ask workload_name,latency_p", tmp_path) == ["workload_name,latency_p99_ms"]
    assert complete("advisor assess --set latency_p99_ms=", tmp_path) == []  # the value is the user's


def test_record_numbers(records: Path) -> None:
    assert complete("advisor records show ", records) == ["0001", "0002"]
    assert complete("advisor records diff 1 2", records) == ["0002"]
    assert complete("advisor records accept --records-dir nowhere ", records) == []  # no folder: nothing, no error
    other = records / "elsewhere"
    (records / "reports").rename(other)
    try:
        assert complete("advisor records show --records-dir elsewhere 00", records) == ["0001", "0002"]
    finally:
        other.rename(records / "reports")


def test_probe_names(tmp_path: Path) -> None:
    offered = complete("advisor measure --probe ", tmp_path)
    assert {"cpu", "memory", "net", "jitter"} <= set(offered)
    assert complete("advisor measure --probe jit", tmp_path) == ["jitter"]
