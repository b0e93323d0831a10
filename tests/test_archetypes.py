"""Whole-pack archetypes: every case in rules/cases/ gets its expected recommendation.

Each case's answers are written to a profile file (with the profile writer, as
``advisor assess`` writes them) and assessed the way a user would, through the CLI
``advisor assess --profile FILE --defaults --format json``. Each case runs once here.
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

CASES_DIR = pipeline.DEFAULT_RULES_DIR / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
OPTIONS = ("bare-metal", "vm")


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


def _find(data: Any, key: str) -> Any:
    """The value of ``key`` at the top of ``data`` or in the first nested mapping that has it."""
    queue = [data]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            if key in item:
                return item[key]
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)
    raise AssertionError(f"no {key!r} in the JSON output")


def test_enough_archetypes() -> None:
    cases = [_case(p) for p in CASE_FILES]
    assert len(cases) >= 12
    assert {c["expect"] for c in cases} == set(OPTIONS), "archetypes must cover both recommendations"
    assert len({c["name"] for c in cases}) == len(cases), "archetype names must be unique"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_archetype(case_file: Path, tmp_path: Path, advisor: Callable[..., Result]) -> None:
    """Assessed as a user would, each archetype gets its expected recommendation, and clearly: its
    margin is not 'close' (or a knock-out decides it). (``advisor rules test``, run on the pack in
    test_rules_pack.py, checks the recommendation through the rule-test path.)"""
    case = _case(case_file)
    profile_path = _write_profile(case["answers"], tmp_path / f"{case_file.stem}.profile.yaml")
    result = advisor("assess", "--profile", str(profile_path), "--defaults", "--no-record", "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    got = _find(out, "recommendation")
    assert got == case["expect"], f"{case['name']}: expected {case['expect']}, got {got} ({case['reason']})"
    assert not _find(out, "close"), f"{case['name']}: margin {_find(out, 'margin')} is under the close threshold"
