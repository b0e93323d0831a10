"""Every file format has a JSON Schema (``advisor schema NAME``) that accepts the files the project ships
and refuses what the loader refuses, so that an editor completing a file against it is not misled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from advisor.cli.schema import FILE_KINDS, schema_json

ROOT = Path(__file__).resolve().parent.parent

#: schema name -> the shipped files it must accept (globs below the repository root).
SHIPPED: dict[str, tuple[str, ...]] = {
    "profile": ("docs/examples/profiles/*.yaml",),
    "questionnaire": ("questionnaires/*.yaml",),
    "evidence": ("rules/evidence.yaml",),
    "topology": ("docs/examples/topology-small.yaml", "tests/data/topology/valid.yaml",
                 "tests/hostile/corpus/topologies/ok.yaml"),
    "inventory": ("docs/examples/portfolio.yaml", "tests/hostile/corpus/inventories/ok.yaml"),
    "targets": ("tests/hostile/corpus/targets/ok.yaml",),
    "pack": ("rules/pack.yaml",),
    "rule": ("rules/constraints/*.yaml", "rules/consequences/*.yaml"),
    "case": ("rules/cases/*.yaml",),
    "record": ("docs/examples/records/*.json",),
}

#: schema name -> a change to the first shipped file that the loader refuses (an unknown key, a wrong type).
REFUSED: dict[str, tuple[str, Any]] = {
    "topology": ("advisor_topology", 2),
    "inventory": ("workloads", []),
    "targets": ("advisor_targets", "1"),
    "pack": ("advisor_rule_pack", 1),
    "rule": ("kind", "preference"),
    "case": ("expect", []),
    "record": ("advisor_record", 1),
    "evidence": ("catalogue", {}),
}


def _load(path: Path) -> Any:
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")), default=str))


def _files(name: str) -> list[Path]:
    return sorted(p for pattern in SHIPPED[name] for p in ROOT.glob(pattern))


def test_every_file_format_has_a_schema_and_shipped_files() -> None:
    assert set(FILE_KINDS) == set(SHIPPED) | {"measurements"}
    for name in SHIPPED:
        assert _files(name), name


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_schema_accepts_the_shipped_files(name: str) -> None:
    schema = schema_json(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in _files(name):
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(_load(path))]
        assert not errors, (path, errors[:3])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_schema_refuses_what_the_loader_refuses(name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema_json(name))
    data = _load(_files(name)[0])
    key, value = REFUSED[name]
    assert not list(validator.iter_errors(data))
    assert list(validator.iter_errors({**data, "unknown_key": 1})), name  # every format refuses unknown keys
    assert list(validator.iter_errors({**data, key: value})), (name, key, value)


def test_the_measurements_schema_accepts_a_result_file(tmp_path: Path) -> None:
    from test_measure_results import _result

    path = tmp_path / "m.json"
    _result().to_file(path)
    validator = jsonschema.Draft202012Validator(schema_json("measurements"))
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(_load(path))]
    assert not errors, errors[:3]
    assert list(validator.iter_errors({**_load(path), "advisor_measurement": 2}))
