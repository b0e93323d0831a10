"""Concurrent runs lose nothing: parallel ``assess`` into one records folder, parallel ``--set`` edits of one profile.

Real processes (forked from one that imported advisor, tests/hostile/harness.py), all
started at once, each running the CLI entry point.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import run_all  # noqa: E402

from advisor import profile as profiles  # noqa: E402
from advisor import records, repair  # noqa: E402
from advisor.pipeline import load_questionnaire  # noqa: E402
from advisor.render import to_markdown  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"


def _index(directory: Path) -> str:
    return records.index_text(records.load_all(directory))


@pytest.mark.slow
def test_50_parallel_assess_get_50_numbers_and_a_consistent_index(tmp_path: Path) -> None:
    recs = tmp_path / "recs"
    recs.mkdir()
    records.write_index(recs)  # the folder has an index: every assess updates it
    jobs = [(tmp_path, ["assess", "--set", f"workload_name=wl{i}", "--defaults", "--measure", "never",
                        "--profile-output", f"p{i}.yaml", "--records-dir", "recs", "--date", "2026-01-01"])
            for i in range(50)]
    outcomes = run_all(jobs, parallel=50, timeout=600)  # 50 at once on 2 cores: each waits its turn
    assert [o.returncode for o in outcomes] == [0] * 50, [o.stderr for o in outcomes if o.returncode]
    found = records.load_all(recs)
    assert sorted(rf.number for rf in found) == list(range(1, 51))
    assert sorted(rf.record.workload for rf in found) == sorted(f"wl{i}" for i in range(50))
    assert all(rf.md_path.read_text() == to_markdown(rf.record) for rf in found)
    assert (recs / "README.md").read_text() == _index(recs)
    assert repair.state(recs, _index) == []
    assert sorted(p.name for p in recs.iterdir() if p.name.startswith(".")) == []


EDITS = {"latency_p99_ms": "11.5", "physical_hosts": "21", "racks": "5", "clusters": "4", "crd_count": "31",
         "crd_owning_teams": "4", "upgrades_per_year": "5", "cores_per_host": "65", "vms_per_host": "5",
         "replicas_per_service": "4"}


def test_10_parallel_set_edits_of_one_profile_keep_every_answer(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "S.yaml")
    jobs = [(tmp_path, ["assess", "--profile", "S.yaml", "--set", f"{k}={v}", "--defaults", "--no-record",
                        "--measure", "never"]) for k, v in EDITS.items()]
    outcomes = run_all(jobs, parallel=len(jobs))
    assert [o.returncode for o in outcomes] == [0] * len(jobs), [o.stderr for o in outcomes if o.returncode]
    values = profiles.load(tmp_path / "S.yaml", load_questionnaire()).values()
    assert {k: str(values[k]) for k in EDITS} == EDITS
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
