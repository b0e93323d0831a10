"""advisor.records: loading, status transitions, supersede, diff, check and the index.

Records are made by the real assess pipeline (``advisor assess ... --records-dir``)
once per module, from two profiles that differ only in ``bare_metal_mandated``:
0001 recommends VM-backed nodes, 0002 bare metal (knock-out). Each test gets a copy.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from advisor import atomic, journal, records
from advisor.errors import DataError
from advisor.records import DecisionRecord, PackInfo, slugify
from advisor.render import to_markdown

DATE = "2026-01-01"


def _assess(*args: str) -> None:
    from advisor.cli import run

    code = run(["assess", "--defaults", "--records-dir", "recs", "--date", DATE, *args])
    assert code == 0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("records")
    old = Path.cwd()
    os.chdir(base)
    try:
        cloud = ("--set", "workload_name=pay", "--set", "existing_virtualization=public-cloud")
        _assess(*cloud, "--profile-output", "a.profile.yaml")
        _assess(*cloud, "--set", "bare_metal_mandated=true", "--profile-output", "b.profile.yaml")
    finally:
        os.chdir(old)
    return base


@pytest.fixture
def work(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the template folder as the current folder; yields the records folder."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    yield Path("recs")


def _json(directory: Path, number: int) -> dict[str, Any]:
    path = next(directory.glob(f"{number:04d}-*.json"))
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _md(directory: Path, number: int) -> str:
    return next(directory.glob(f"{number:04d}-*.md")).read_text(encoding="utf-8")


def _title(directory: Path, number: int) -> str:
    return str(_json(directory, number)["title"])


def _file(directory: Path, number: int) -> str:
    return next(directory.glob(f"{number:04d}-*.md")).name


def _evaluator() -> records.Evaluate:
    from advisor import pipeline

    q = pipeline.load_questionnaire()

    def evaluate(answers: Mapping[str, Any], measured: Mapping[str, Any], packs: Sequence[PackInfo],
                 reference: Mapping[str, Any]) -> str:
        roots = [pipeline.DECISION_PACK_DIR if p.path == "rules" else Path(p.path) for p in packs]
        pack = pipeline.load_decision_pack(roots[-1], q)
        return records.recommendation_of(pipeline.decide_profile(answers, pack, questionnaire=q, measured=measured))

    return evaluate


# --------------------------------------------------------------------------- loading


def test_template_records_differ_in_one_answer_and_in_outcome(work: Path) -> None:
    a, b = _json(work, 1), _json(work, 2)
    assert (a["recommendation"], b["recommendation"]) == ("vm", "bare-metal")
    changed = {k for k in set(a["profile"]["answers"]) | set(b["profile"]["answers"])
               if a["profile"]["answers"].get(k) != b["profile"]["answers"].get(k)}
    assert changed == {"bare_metal_mandated"}


def test_load_all_and_rows(work: Path) -> None:
    found = records.load_all(work)
    assert [rf.number for rf in found] == [1, 2]
    assert [rf.label for rf in found] == ["0001", "0002"]
    assert records.rows(found) == [
        {"number": 1, "title": _title(work, 1), "status": "proposed", "recommendation": "vm",
         "date": DATE, "superseded_by": None, "supersedes": None, "file": _file(work, 1)},
        {"number": 2, "title": _title(work, 2), "status": "proposed",
         "recommendation": "bare-metal", "date": DATE, "superseded_by": None, "supersedes": None,
         "file": _file(work, 2)},
    ]
    assert _file(work, 1) == f"0001-{slugify(_title(work, 1))}.md"


def test_unknown_number_lists_the_numbers_that_exist(work: Path) -> None:
    with pytest.raises(DataError) as exc:
        records.load(work, 9)
    assert exc.value.format() == "advisor: no record 0009 in recs; records: 0001, 0002"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no records folder"):
        records.load(tmp_path / "nope", 1)
    assert records.load_all(tmp_path / "nope") == []


@pytest.mark.parametrize(("text", "number"), [("3", 3), ("0003", 3), ("12", 12), ("0002-run-pay.md", 2)])
def test_parse_number(text: str, number: int) -> None:
    assert records.parse_number(text) == number


@pytest.mark.parametrize("text", ["", "x", "0", "-1", "a/0001"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(DataError, match="is not a record number"):
        records.parse_number(text)


def test_corrupt_json_twin_is_reported_at_file_line_col(work: Path) -> None:
    path = next(work.glob("0002-*.json"))
    path.write_text('{\n  "number": 2,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(DataError) as exc:
        records.load_all(work)
    assert exc.value.format().startswith(f"{path}:3:3: invalid JSON: ")


def test_number_in_file_must_match_its_name(work: Path) -> None:
    path = next(work.glob("0002-*.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["number"] = 7
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match="the file name says record 0002 but it holds number 7"):
        records.load(work, 2)


# --------------------------------------------------------------------------- status changes


def test_accept_updates_both_files_and_the_index(work: Path) -> None:
    rf = records.set_status(work, 1, "accepted", to_markdown)
    assert rf.record.status == "accepted"
    assert _json(work, 1)["status"] == "accepted"
    md = _md(work, 1)
    assert md.startswith("---\nstatus: accepted\n")
    assert md == to_markdown(DecisionRecord.from_json(rf.json_path.read_text(encoding="utf-8"), "x"))
    assert f"| [0001]({_file(work, 1)}) | {_title(work, 1)} | accepted | vm | 2026-01-01 |\n" \
        in (work / "README.md").read_text(encoding="utf-8")
    assert _json(work, 2)["status"] == "proposed"  # the other record is untouched


@pytest.mark.parametrize(("first", "then", "message"), [
    ("accepted", "accepted", "record 0001 is already accepted"),
    ("accepted", "rejected", "cannot reject record 0001: it is accepted; only a proposed record can become rejected"),
    ("rejected", "accepted", "cannot accept record 0001: it is rejected; only a proposed record can become accepted"),
    ("rejected", "rejected", "record 0001 is already rejected"),
])
def test_invalid_transitions_are_refused(work: Path, first: Any, then: Any, message: str) -> None:
    records.set_status(work, 1, first, to_markdown)
    before = (_json(work, 1), _md(work, 1))
    with pytest.raises(DataError) as exc:
        records.set_status(work, 1, then, to_markdown)
    assert exc.value.format().endswith(f": {message}")
    assert len(exc.value.format().splitlines()) == 1
    assert (_json(work, 1), _md(work, 1)) == before


def test_accepting_a_superseded_record_is_refused(work: Path) -> None:
    records.supersede(work, 1, 2, to_markdown)
    with pytest.raises(DataError) as exc:
        records.set_status(work, 1, "accepted", to_markdown)
    assert exc.value.first.message == "cannot accept record 0001: it is superseded by 0002"
    assert exc.value.first.hint == "only a proposed record can become accepted"


def test_superseded_only_through_supersede(work: Path) -> None:
    with pytest.raises(DataError, match="records supersede OLD NEW"):
        records.set_status(work, 1, "superseded", to_markdown)


def test_a_failed_second_write_puts_the_first_file_back(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (_json(work, 1), _md(work, 1))
    real = atomic.write_text
    calls: list[str] = []

    def flaky(path: Any, text: str, *, exclusive: bool = False) -> None:
        calls.append(str(path))
        if str(path).endswith(".md") and len(calls) == 3:  # the journal, the JSON, then the markdown
            raise DataError("cannot write file (disk full)")
        real(path, text, exclusive=exclusive)

    monkeypatch.setattr(journal, "write_text", flaky)
    with pytest.raises(DataError, match="disk full"):
        records.set_status(work, 1, "accepted", to_markdown)
    assert (_json(work, 1), _md(work, 1)) == before
    assert not (work / journal.JOURNAL_NAME).exists()


# --------------------------------------------------------------------------- supersede


def test_supersede_leaves_both_records_consistent(work: Path) -> None:
    old, new = records.supersede(work, 1, 2, to_markdown)
    a, b = _json(work, 1), _json(work, 2)
    assert (a["status"], a["superseded_by"], a["supersedes"]) == ("superseded", 2, None)
    assert (b["status"], b["supersedes"], b["superseded_by"]) == ("proposed", 1, None)
    t1, t2, f1, f2 = _title(work, 1), _title(work, 2), _file(work, 1), _file(work, 2)
    assert a["links"] == [{"relation": "superseded by", "number": 2, "title": t2}]
    assert b["links"] == [{"relation": "supersedes", "number": 1, "title": t1}]
    md_a, md_b = _md(work, 1), _md(work, 2)
    assert md_a.startswith("---\nstatus: superseded\n")
    assert md_b.startswith("---\nstatus: proposed\n")
    assert f"- Superseded by [0002 {t2}]({f2})\n" in md_a
    assert f"- Supersedes [0001 {t1}]({f1})\n" in md_b
    # unedited markdown is re-rendered: identical to a fresh render of the JSON twin
    assert md_a == to_markdown(old.record) and md_b == to_markdown(new.record)
    index = (work / "README.md").read_text(encoding="utf-8")
    assert f"| [0001]({f1}) | {t1} | superseded by [0002]({f2}) | vm | 2026-01-01 |\n" in index
    assert f"| [0002]({f2}) | {t2} | proposed | bare-metal | 2026-01-01 |\n" in index
    assert index == records.index_text(records.load_all(work))


def test_supersede_keeps_hand_edits_of_the_markdown(work: Path) -> None:
    path = next(work.glob("0001-*.md"))
    edited = path.read_text(encoding="utf-8").replace("## Decision Drivers", "Board notes: see minutes.\n\n"
                                                      "## Decision Drivers", 1)
    path.write_text(edited, encoding="utf-8")
    records.supersede(work, 1, 2, to_markdown)
    md = path.read_text(encoding="utf-8")
    assert "Board notes: see minutes." in md
    assert md.startswith("---\nstatus: superseded\n")
    section = md.split("### Related Records\n\n", 1)[1].split("\n\n", 1)[0]
    assert section == f"- Superseded by [0002 {_title(work, 2)}]({_file(work, 2)})"
    assert md.index("### Related Records") < md.index("### Reproducibility")
    assert _md(work, 2) == to_markdown(records.load(work, 2).record)  # the unedited one is re-rendered


@pytest.mark.parametrize(("setup", "old", "new", "message"), [
    ([], 1, 1, "record 0001 cannot supersede itself"),
    ([("reject", 2)], 1, 2, "record 0002 is rejected and cannot supersede another record"),
    ([("reject", 1)], 1, 2, "cannot supersede record 0001: it is rejected"),
    ([("supersede", 1)], 1, 2, "record 0001 is already superseded by 0002"),
    ([("supersede", 1)], 2, 1, "record 0001 is superseded and cannot supersede another record"),
])
def test_invalid_supersede_is_refused(work: Path, setup: list[tuple[str, int]], old: int, new: int,
                                      message: str) -> None:
    for action, number in setup:
        if action == "reject":
            records.set_status(work, number, "rejected", to_markdown)
        else:
            records.supersede(work, number, 2 if number == 1 else 1, to_markdown)
    with pytest.raises(DataError) as exc:
        records.supersede(work, old, new, to_markdown)
    assert exc.value.first.message == message


def test_edit_markdown_without_front_matter_or_related_section() -> None:
    from advisor.records import Link

    link = Link(relation="superseded by", number=3, title="Use VMs | now")
    out = records.edit_markdown("# T\n\ntext\n", "superseded", [link])
    assert out == ("---\nstatus: superseded\n---\n\n# T\n\ntext\n\n## Related Records\n\n"
                   "- Superseded by [0003 Use VMs \\| now](0003-use-vms-now.md)\n")
    again = records.edit_markdown(out, "superseded", [Link(relation="relates to", number=4, title="X")])
    assert again.endswith("(0003-use-vms-now.md)\n- Relates to [0004 X](0004-x.md)\n")
    prose = "---\nstatus: proposed\n---\n\n### Related Records\n\nSee the wiki.\n\n### Next\n\nx\n"
    assert records.edit_markdown(prose, "superseded", [link]) == (
        "---\nstatus: superseded\n---\n\n### Related Records\n\nSee the wiki.\n\n"
        "- Superseded by [0003 Use VMs \\| now](0003-use-vms-now.md)\n\n### Next\n\nx\n")


# --------------------------------------------------------------------------- index


def test_index_is_deterministic_and_handles_no_records(work: Path, tmp_path: Path) -> None:
    first = records.write_index(work).read_text(encoding="utf-8")
    assert records.write_index(work).read_text(encoding="utf-8") == first
    assert first.startswith("# Decision Records\n")
    assert first.count("\n| [") == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No records yet" in records.write_index(empty).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- diff


def test_diff_names_the_one_answer_that_flips_the_outcome(work: Path) -> None:
    result = records.diff(records.load(work, 1), records.load(work, 2), _evaluator())
    assert result.outcome_changed
    assert [(c.kind, c.name, c.before, c.after) for c in result.deciding] == [
        ("answer", "bare_metal_mandated", False, True)]
    assert result.lines() == [
        "0001 -> 0002: recommendation vm -> bare-metal",
        "answer bare_metal_mandated: false -> true  [changes the outcome]",
        "rules fired: +written-mandate",
        "changed the outcome: answer bare_metal_mandated",
    ]
    assert result.to_dict()["changed_the_outcome"] == ["answer bare_metal_mandated"]


def test_diff_names_only_the_deciding_input_among_several(work: Path) -> None:
    _assess("--set", "workload_name=pay", "--set", "existing_virtualization=public-cloud", "--set",
            "bare_metal_mandated=true", "--set", "priority_cost=4", "--profile-output", "c.profile.yaml")
    result = records.diff(records.load(work, 1), records.load(work, 3), _evaluator())
    names = {c.name: c.flips for c in result.changes if c.kind == "answer"}
    assert names == {"bare_metal_mandated": True, "priority_cost": False}


def test_diff_without_outcome_change_does_not_re_evaluate(work: Path) -> None:
    def never(*_: Any) -> str:
        raise AssertionError("not called")

    result = records.diff(records.load(work, 1), records.load(work, 1), never)
    assert result.lines() == ["0001 -> 0001: recommendation vm (unchanged)",
                              "no differences in answers, rules or measurements"]


def test_diff_attributes_a_rules_change(work: Path, tmp_path: Path) -> None:
    from advisor import pipeline

    pack = tmp_path / "pack"
    shutil.copytree(pipeline.DECISION_PACK_DIR, pack)
    shutil.rmtree(pack / "cases", ignore_errors=True)
    knock_out = next(pack.rglob("written-mandate.yaml"))
    text = knock_out.read_text(encoding="utf-8")
    when = next(line for line in text.splitlines() if line.startswith("when:"))
    knock_out.write_text(text.replace(when, "when: not bare_metal_mandated").replace(
        "expect: fires", "expect: does-not-fire"), encoding="utf-8")
    _assess("--set", "workload_name=pay", "--set", "existing_virtualization=public-cloud", "--rules", "pack",
            "--profile-output", "d.profile.yaml")
    result = records.diff(records.load(work, 1), records.load(work, 3), _evaluator())
    assert result.b.recommendation == "bare-metal"
    assert [(c.kind, c.name) for c in result.deciding] == [("rules", "packs")]


def test_diff_re_evaluates_a_format_2_pack_with_the_decision_engine_and_the_draws_of_a(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import pipeline
    from advisor.cli.records import _evaluator
    from advisor.decide import sampling

    q = pipeline.load_questionnaire()
    pack = tmp_path / "v2"
    shutil.copytree(pipeline.DECISION_PACK_DIR, pack)
    monkeypatch.chdir(tmp_path)
    infos = [PackInfo(name="default", version="2", path="v2", sha256="0" * 64)]
    evaluate = _evaluator(q)
    a = {"workload_name": "pay", "latency_p99_ms": 5.0}
    decided = pipeline.load_decision_pack(pack, q)
    facts = pipeline.decision_facts(a, q)
    seed = sampling.profile_seed({k: v for k, v in facts.items() if not k.startswith("graph.")})
    for answers in (a, {**a, "bare_metal_mandated": True}, {**a, "existing_virtualization": "public-cloud"},
                    {**a, "latency_p99_ms": 0.05}):
        # read as the record reads it: a measure-first or tied outcome recommends nothing
        expected = records.recommendation_of(pipeline.decide_profile(answers, decided, questionnaire=q, seed=seed))
        assert evaluate(answers, {}, infos, a) == expected, answers
    assert pipeline.decide_profile(a, decided, questionnaire=q, seed=seed).outcome == "measure-first"
    assert evaluate(a, {}, infos, a) == "none"
    assert evaluate({**a, "bare_metal_mandated": True}, {}, infos, a) == "bare-metal"
    assert evaluate({**a, "existing_virtualization": "public-cloud"}, {}, infos, a) == "vm"


# --------------------------------------------------------------------------- check


def _types() -> Any:
    from advisor import pipeline

    return pipeline.fact_catalog(pipeline.load_questionnaire())


def _current(path: Path) -> records.CurrentProfile:
    from advisor import pipeline, profile

    q = pipeline.load_questionnaire()
    values = profile.load(path, q).values()
    return records.CurrentProfile(path, str(values["workload_name"]), pipeline.build_facts(values, q))


def _check(work: Path, profiles: Sequence[Path] = (), today: str = "2026-06-01") -> records.CheckReport:
    from advisor import pipeline

    return records.check(records.load_all(work), today=today, types=_types(),
                         profiles=[_current(p) for p in profiles], load_profile=_current,
                         resolve_pack=lambda p: pipeline.DECISION_PACK_DIR if p == "rules" else Path(p))


def test_check_finds_nothing_for_unchanged_profiles(work: Path) -> None:
    report = _check(work)
    assert (report.findings, report.notes, report.checked) == ([], [], 2)


def _set_triggers(directory: Path, number: int, triggers: list[str]) -> None:
    path = next(directory.glob(f"{number:04d}-*.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["revisit_triggers"] = triggers
    path.write_text(json.dumps(data), encoding="utf-8")


def test_check_fires_a_revisit_trigger_of_a_changed_profile(work: Path) -> None:
    _set_triggers(work, 1, ["latency_p99_ms < 10", "graph.vm.spof_count > 1000"])
    _set_triggers(work, 2, [])
    assert _check(work, [Path("a.profile.yaml")]).findings == []
    _assess("--set", "workload_name=pay", "--set", "latency_p99_ms=1", "--no-record",
            "--profile-output", "fast.profile.yaml")
    report = _check(work, [Path("fast.profile.yaml")])
    assert [f.format() for f in report.findings] == [
        f"recs/{_file(work, 1)}: revisit trigger fires for fast.profile.yaml: latency_p99_ms < 10"]
    assert report.findings[0].kind == "trigger"


def test_check_generated_triggers_fire_for_the_profile_of_the_other_outcome(work: Path) -> None:
    # a's answers (no mandate) against 0002 (bare metal because of the mandate): 0002 needs a look, 0001 not
    report = _check(work, [Path("a.profile.yaml")])
    assert report.findings
    assert {f.record.number for f in report.findings} == {2}


def test_check_ignores_profiles_of_other_workloads(work: Path) -> None:
    _assess("--set", "workload_name=other", "--set", "latency_p99_ms=1", "--no-record",
            "--profile-output", "o.profile.yaml")
    report = _check(work, [Path("o.profile.yaml")])
    assert report.findings == []
    assert report.notes == ["o.profile.yaml: no proposed or accepted record of workload 'other'"]


def test_check_skips_records_that_are_no_longer_in_force(work: Path) -> None:
    records.supersede(work, 1, 2, to_markdown)
    report = _check(work, today="2030-01-01")
    assert report.checked == 1
    assert [f.record.number for f in report.findings] == [2]


def test_check_review_date(work: Path) -> None:
    assert _check(work, today="2027-01-01").findings == []  # due by that day: not yet past
    report = _check(work, today="2027-01-02")
    assert [f.format() for f in report.findings] == [
        f"recs/{_file(work, 1)}: review was due by 2027-01-01 (today is 2027-01-02)",
        f"recs/{_file(work, 2)}: review was due by 2027-01-01 (today is 2027-01-02)",
    ]


def test_check_rules_hash_changed_and_pack_missing(work: Path, tmp_path: Path) -> None:
    from advisor import pipeline

    shutil.copytree(pipeline.DECISION_PACK_DIR, tmp_path / "pack")
    _assess("--set", "workload_name=pay", "--rules", "pack", "--profile-output", "p.profile.yaml")
    assert _check(work).findings == []
    (tmp_path / "pack" / "pack.yaml").write_text((tmp_path / "pack" / "pack.yaml").read_text() + "\n")
    messages = [f.message for f in _check(work).findings]
    name = pipeline.load_decision_pack().meta
    assert len(messages) == 1 and messages[0].startswith(
        f"rule pack {name.name}@{name.version} (pack) changed since the record (sha256 ")
    shutil.rmtree(tmp_path / "pack")
    assert [f.message for f in _check(work).findings] == [f"rule pack {name.name} not found at pack"]


def test_check_reports_a_trigger_that_does_not_compile(work: Path) -> None:
    _set_triggers(work, 1, ["latency_p99_ms > 'fast'"])
    report = _check(work)
    assert len(report.findings) == 1
    assert report.findings[0].message.startswith("revisit trigger \"latency_p99_ms > 'fast'\" cannot be evaluated: ")


def test_check_notes_a_missing_profile(work: Path) -> None:
    Path("a.profile.yaml").unlink()
    report = _check(work)
    assert report.findings == []
    assert report.notes == [f"recs/{_file(work, 1)}: profile a.profile.yaml not found; "
                            "revisit triggers not checked (give --profile FILE)"]


def test_a_broken_record_stops_a_status_change_before_anything_is_written(work: Path) -> None:
    before = (_json(work, 1), _md(work, 1))
    next(work.glob("0002-*.json")).write_text("[", encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON"):
        records.set_status(work, 1, "accepted", to_markdown)
    assert (_json(work, 1), _md(work, 1)) == before
    assert not (work / "README.md").exists()


# --------------------------------------------------------------------------- markdownlint (npm, under .ci/node)


def test_changed_records_and_index_pass_markdownlint(work: Path, tmp_path: Path) -> None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    cli = root / ".ci" / "node" / "node_modules" / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    if shutil.which("node") is None or not cli.exists():
        pytest.skip("markdownlint-cli2 is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    path = next(work.glob("0001-*.md"))
    path.write_text(path.read_text(encoding="utf-8") + "\nHand-written note.\n", encoding="utf-8")
    records.supersede(work, 1, 2, to_markdown)  # 0001 edited in place, 0002 re-rendered
    records.set_status(work, 2, "accepted", to_markdown)
    files = [str(p) for p in sorted(work.glob("*.md"))]
    assert len(files) == 3
    proc = subprocess.run(["node", str(cli), "--config", str(root / ".markdownlint-cli2.yaml"), *files],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
