"""Whole-pack archetypes: every case in rules/cases/ gets its expected recommendation.

Each case's answers are written to a profile file (with the profile writer, as
``advisor assess`` writes them) and assessed the way a user would: through the CLI
``advisor assess --profile FILE --defaults --format json`` when the command has a
``--format`` option, else through the pipeline API on the loaded profile file.
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
from advisor.rules.model import Pack

CASES_DIR = pipeline.DEFAULT_RULES_DIR / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
OPTIONS = ("bare-metal", "vm")


@pytest.fixture(scope="module")
def pack() -> Pack:
    return pipeline.load_pack()


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


def _cli_has_format(advisor: Callable[..., Result]) -> bool:
    result = advisor("assess", "--help")
    return result.exit_code == 0 and "--format" in result.stdout


def test_enough_archetypes() -> None:
    cases = [_case(p) for p in CASE_FILES]
    assert len(cases) >= 12
    assert {c["expect"] for c in cases} == set(OPTIONS), "archetypes must cover both recommendations"
    assert len({c["name"] for c in cases}) == len(cases), "archetype names must be unique"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_archetype(case_file: Path, tmp_path: Path, advisor: Callable[..., Result]) -> None:
    case = _case(case_file)
    profile_path = _write_profile(case["answers"], tmp_path / f"{case_file.stem}.profile.yaml")
    if _cli_has_format(advisor):
        result = advisor("assess", "--profile", str(profile_path), "--defaults", "--format", "json")
        assert result.exit_code == 0, result.stderr
        got = _find(json.loads(result.stdout), "recommendation")
    else:
        loaded = profiles.load(profile_path, pipeline.load_questionnaire())
        got = pipeline.assess(loaded).recommendation
    assert got == case["expect"], f"{case['name']}: expected {case['expect']}, got {got} ({case['reason']})"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_archetype_is_not_close(case_file: Path, pack: Pack) -> None:
    """An archetype is a clear case: its margin is not 'close' (or a knock-out decides it)."""
    case = _case(case_file)
    result = pipeline.evaluate(case["answers"], pack)
    assert result.recommendation == case["expect"]
    assert not result.close, f"{case['name']}: margin {result.margin} is under the close threshold"
