"""Whole-pack archetypes through the CLI: every case in the decision pack's cases/ gets its expected outcome.

Each case's answers are written to a profile file (with the profile writer, as
``advisor assess`` writes them) and assessed the way a user would, through the CLI
``advisor assess --profile FILE --defaults --format json``; the printed decision must be
one of the outcomes the case accepts (``advisor rules test`` checks the same cases
through the pack's test runner). Cases with measured facts cannot be given on the
command line and are left to that runner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from advisor import pipeline, yamlio
from advisor import profile as profiles
from advisor.decide import Decision
from advisor.decide.testing import matches

CASES_DIR = pipeline.DECISION_PACK_DIR / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


def _case(path: Path) -> dict[str, Any]:
    data = yamlio.load(path).plain()
    assert isinstance(data, dict)
    return data


def _write_profile(answers: dict[str, Any], target: Path) -> Path:
    questionnaire = pipeline.load_questionnaire()
    prof = profiles.new(questionnaire)
    for key, raw in answers.items():
        prof.set_answer(key, questionnaire.question(key).parse(raw, from_text=False))
    prof.write(target, source="file")
    return target


def test_enough_archetypes() -> None:
    cases = [_case(p) for p in CASE_FILES]
    assert len(cases) >= 25
    expected = {e.split("/")[0] for c in cases for e in c["expect"]}
    assert {"bare-metal", "vm"} <= expected, "archetypes must cover both options"
    assert len({c["name"] for c in cases}) == len(cases), "archetype names must be unique"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_archetype(case_file: Path, tmp_path: Path, advisor: Callable[..., Result]) -> None:
    case = _case(case_file)
    if case.get("measured"):
        pytest.skip("measured facts are not answers: checked by the pack's test runner (advisor rules test)")
    answers = {"workload_name": case_file.stem, **case["answers"]}
    profile_path = _write_profile(answers, tmp_path / f"{case_file.stem}.profile.yaml")
    result = advisor("assess", "--profile", str(profile_path), "--defaults", "--no-record", "--format", "json")
    assert result.exit_code == 0, result.stderr
    decided = Decision.model_validate(json.loads(result.stdout))
    assert any(matches(decided, e) for e in case["expect"]), (
        f"{case['name']}: expected {' or '.join(case['expect'])}, got {decided.outcome} "
        f"{decided.configuration or ''}: {decided.sentence} ({case['reason']})")
