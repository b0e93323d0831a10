"""Golden files: the example records in docs/examples/records/ are exactly what scripts/gen_examples.py produces.

On an intended change, rewrite them with ``.venv/bin/pytest tests/test_examples.py --update-golden``
(or ``.venv/bin/python scripts/gen_examples.py``) and review the diff.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
import support

from advisor import records, render

ROOT = Path(__file__).resolve().parent.parent


def _gen() -> ModuleType:
    return support.load_script("gen_examples")


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    gen = _gen()
    records: dict[str, str] = gen.example_records(ROOT)
    if support.UPDATE_GOLDEN:
        from advisor.atomic import write_text

        for name, text in records.items():
            write_text(ROOT / name, text)
        for name in gen.stale_files(ROOT, records):
            (ROOT / name).unlink()
    return records


def test_at_least_four_archetypes() -> None:
    profiles = sorted((ROOT / "docs" / "examples" / "profiles").glob("*.yaml"))
    assert len(profiles) >= 4
    names = {p.name.split(".")[0] for p in profiles}
    assert {"hft-matching-engine", "multi-tenant-saas", "internal-web-platform-vsphere", "edge-retail-site"} <= names


def test_examples_are_up_to_date(expected: dict[str, str]) -> None:
    drift = [name for name, text in expected.items()
             if not (ROOT / name).is_file() or (ROOT / name).read_bytes() != text.encode("utf-8")]
    assert not drift, ("example records differ from scripts/gen_examples.py output; regenerate with "
                       f"pytest --update-golden (or python scripts/gen_examples.py) and review: {drift}")


def test_no_stale_example_records(expected: dict[str, str]) -> None:
    stale = _gen().stale_files(ROOT, expected)
    assert not stale, f"records in docs/examples/records/ that no example profile produces: {stale}"


def test_markdown_renders_from_the_json_twin(expected: dict[str, str]) -> None:
    for name, text in expected.items():
        if name.endswith(".json"):
            record = records.DecisionRecord.from_json(text, name)
            assert render.to_markdown(record) == expected[name.removesuffix(".json") + ".md"]


def test_examples_cover_both_outcomes_and_a_knock_out(expected: dict[str, str]) -> None:
    recs = [records.DecisionRecord.from_json(t, n) for n, t in expected.items() if n.endswith(".json")]
    assert {"bare-metal", "vm"} <= {r.recommendation for r in recs}
    assert any(r.outcome == "one-ruled-out" for r in recs), "one example shows a constraint ruling out an option"
    assert any(r.outcome == "measure-first" or r.close for r in recs), "one example shows a close call"
    assert any(r.configuration and ", with " in r.configuration for r in recs), "one names a configuration"
    assert [r.number for r in recs] == list(range(1, len(recs) + 1))
    for r in recs:
        assert not Path(r.profile.path).is_absolute()
        assert all(not Path(p.path).is_absolute() for p in r.rules.packs)


def test_cli_writes_the_same_record(advisor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    expected: dict[str, str]) -> None:
    """The documented command (in the record) writes the example record into an empty folder."""
    gen = _gen()
    name = "multi-tenant-saas.profile.yaml"
    (tmp_path / "docs" / "examples" / "profiles").mkdir(parents=True)
    (tmp_path / "docs" / "examples" / "profiles" / name).write_bytes((ROOT / gen.PROFILES / name).read_bytes())
    number = sorted(p.name for p in (ROOT / gen.PROFILES).glob("*.yaml")).index(name) + 1
    for _ in range(number - 1):  # occupy the numbers before it
        n = records.next_number(tmp_path / "reports")
        (tmp_path / "reports").mkdir(exist_ok=True)
        (tmp_path / "reports" / f"{n:04d}-other.md").write_text("x\n")
    example = next(n for n in expected if n.startswith(f"{gen.REPORTS}/{number:04d}-") and n.endswith(".md"))
    md_name = "reports/" + example.rsplit("/", 1)[1]
    result = advisor("assess", "--profile", f"docs/examples/profiles/{name}", "--defaults", "--date", gen.DATE,
                     *[a for m in gen.DECISION_MAKERS for a in ("--decision-maker", m)])
    assert result.exit_code == 0, result.stderr
    assert f"Decision record written to {md_name}" in result.stderr
    assert (tmp_path / md_name).read_text() == expected[example]
    json_name = md_name.removesuffix(".md") + ".json"
    assert (tmp_path / json_name).read_text() == expected[example.removesuffix(".md") + ".json"]


def test_examples_are_not_in_the_users_records_folder(expected: dict[str, str]) -> None:
    # reports/ ships with a README only, so a new user's first record is 0001, and the user's own
    # records there never make this suite fail: not even the first record of an example profile, which has
    # an example's file name (0001-run-store-edge-...) but the user's date and decision makers
    assert (ROOT / "reports" / "README.md").is_file()
    assert not _gen().REPORTS.startswith("reports")
    copies = [n for n in expected if (ROOT / "reports" / n.rsplit("/", 1)[1]).is_file()
              and (ROOT / "reports" / n.rsplit("/", 1)[1]).read_text(encoding="utf-8") == expected[n]]
    assert not copies, f"example records copied into reports/: {copies}"


def test_no_rule_text_template_reaches_a_record(expected: dict[str, str]) -> None:
    """Rule titles and rationales are rendered with the user's values: no ``{fact}`` and no 'X unknown'
    for a fact the decision had (the appendix once showed ``{graph.bare_metal.control_plane_...}``)."""
    from advisor.decide.text import PLACEHOLDER

    for name, text in expected.items():
        if not name.endswith(".md"):
            continue
        unescaped = text.replace("\\_", "_")
        assert not PLACEHOLDER.search(unescaped), (name, PLACEHOLDER.search(unescaped))
        assert "_pct unknown" not in unescaped, name
