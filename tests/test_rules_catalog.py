"""The fact catalog: derived facts defined once, measured slots, docs/facts.md in sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import golden

from advisor import pipeline
from advisor.conditions import FactType
from advisor.rules.catalog import DERIVED, MEASURED, PROBES, build_catalog, check_fact_value, derive
from advisor.rules.catalog_reference import facts_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_docs_facts_md_is_generated_from_the_catalog() -> None:
    expected = facts_markdown(pipeline.fact_catalog(pipeline.load_questionnaire()))
    path = ROOT / "docs" / "facts.md"
    assert golden(path, expected) == expected, (
        "docs/facts.md is out of date; run: .venv/bin/advisor facts --format markdown > docs/facts.md "
        "(or pytest --update-golden)"
    )


def test_every_derived_fact_is_documented_and_typed() -> None:
    names = [d.name for d in DERIVED]
    assert len(names) == len(set(names))
    facts = pipeline.build_facts({"site_type": "edge"}, pipeline.load_questionnaire())
    python_type = {"int": int, "float": float, "bool": bool}
    for d in DERIVED:
        assert d.type.description and d.formula and d.inputs
        assert type(facts[d.name]) is python_type[d.type.kind], d.name


def test_a_derived_fact_with_an_absent_input_is_absent() -> None:
    out = derive({"physical_hosts": 4})
    assert out == {"total_nodes_bare_metal": 4}


def test_not_applicable_inputs_get_their_neutral_value() -> None:
    base: dict[str, Any] = {"cores_per_host": 8, "physical_hosts": 2}
    assert "licence_cost_per_year" not in derive(base)
    assert derive(base, frozenset({"hypervisor_license_per_core_year"}))["licence_cost_per_year"] == 0.0


@pytest.mark.parametrize(("facts", "name", "value"), [
    ({"site_type": "edge", "physical_hosts": 10, "hosts_per_site": 3}, "edge_sites", 4),
    ({"site_type": "datacenter", "physical_hosts": 10}, "edge_sites", 0),
    ({"crd_count": 9, "crd_owning_teams": 0}, "crds_per_owning_team", 9.0),
    ({"physical_hosts": 1, "microservices_per_host": 1, "replicas_per_service": 3}, "services_total", 1),
    ({"special_networking": ["none"]}, "special_networking_needed", False),
    ({"compliance": ["gdpr"]}, "compliance_in_scope", True),
])
def test_derived_formulas(facts: dict[str, Any], name: str, value: Any) -> None:
    assert derive(facts)[name] == value


def test_measured_slots() -> None:
    assert set(PROBES) == {"cpu", "memory", "disk", "net", "jitter", "noisy"}
    assert len(MEASURED) == 6 * 4 + 2
    assert MEASURED["measured.net.verdict"].choices == ("faster", "slower", "equivalent", "inconclusive")
    assert MEASURED["measured.disk.p99_ratio"].kind == "float"
    assert all(t.description for t in MEASURED.values())


def test_catalog_rejects_collisions() -> None:
    with pytest.raises(ValueError, match="collides"):
        build_catalog({"edge_sites": FactType("int")}, {})
    with pytest.raises(ValueError, match="must start with graph.bare_metal. or graph.vm."):
        build_catalog({}, {"graph.other.x": FactType("int")})


@pytest.mark.parametrize(("ftype", "value", "result"), [
    (FactType("float"), 2, 2.0),
    (FactType("int"), 3.0, 3),
    (FactType("bool"), True, True),
    (FactType("str", ("a", "b")), "a", "a"),
    (FactType("list"), ["x"], ["x"]),
])
def test_check_fact_value_accepts(ftype: FactType, value: Any, result: Any) -> None:
    assert check_fact_value(ftype, value) == result


@pytest.mark.parametrize(("ftype", "value"), [
    (FactType("float"), True), (FactType("float"), float("nan")), (FactType("int"), 1.5), (FactType("bool"), "yes"),
    (FactType("str", ("a",)), "b"), (FactType("str"), 1), (FactType("list"), "x"),
])
def test_check_fact_value_rejects(ftype: FactType, value: Any) -> None:
    with pytest.raises(ValueError, match="; "):
        check_fact_value(ftype, value)
