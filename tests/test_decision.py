"""Decision records: the model, building one from a profile, hashes, names, and safe writing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from advisor import pipeline, recording, records, render
from advisor import profile as profiles
from advisor.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "profiles" / "multi-tenant-saas.profile.yaml"


@pytest.fixture(scope="module")
def record() -> records.DecisionRecord:
    q = pipeline.load_questionnaire()
    prof = profiles.load(EXAMPLE, q)
    return recording.decide(prof, questionnaire=q, date="2026-02-28", decision_makers=["Ada", "Linus"],
                           profile_display="saas.profile.yaml")


# ----------------------------------------------------------------- the model


def test_record_fields_from_the_assessment(record: records.DecisionRecord) -> None:
    assert record.advisor_record == 2
    assert record.number == 1 and record.status == "proposed"
    assert record.date == "2026-02-28" and record.review_by == "2027-02-28"
    assert record.decision_makers == ["Ada", "Linus"]
    assert record.workload == "saas-platform"
    assert record.title == "Run saas-platform on bare-metal Kubernetes nodes"
    assert record.recommendation == record.decision.recommendation == "bare-metal"
    assert record.outcome == record.decision.outcome == "recommend"
    assert record.configuration == record.decision.configuration == "bare metal, with Kata for untrusted pods"
    assert record.decision.uncertainty is not None
    assert record.probability == record.decision.uncertainty.p_bare_metal_better
    assert record.close is record.decision.uncertainty.close
    assert record.decision == pipeline.decide_profile(prof_of(EXAMPLE))  # the engine's decision, whole
    assert "confidence" not in record.to_json()
    assert record.profile.path == "saas.profile.yaml"
    assert record.profile.sha256 == records.sha256_hex(EXAMPLE.read_bytes())
    assert record.profile.questionnaire.id == "default"
    assert record.profile.answers["untrusted_tenants"] is True
    [pack] = record.rules.packs
    assert (pack.name, pack.path) == (pipeline.load_decision_pack().meta.name, "rules")
    assert pack.sha256 == records.pack_sha256(pipeline.DECISION_PACK_DIR)
    for rule in record.rules_applied.values():
        assert rule["kind"] in ("constraint", "consequence") and rule["rationale"]
        assert all(e.get("source") and e.get("grade") for e in rule["evidence"])
    assert record.rules.sha256 == records.rules_sha256(record.rules.packs)
    assert record.measurements.path is None and record.measurements.verdicts == []
    assert set(record.graph["options"]) == {"bare_metal", "vm"}
    assert record.mermaid.startswith("flowchart")
    assert record.command.startswith("advisor assess --profile saas.profile.yaml --defaults --date 2026-02-28")
    assert record.stem == "0001-run-saas-platform-on-bare-metal-kubernetes-nodes"


def prof_of(path: Path) -> profiles.Profile:
    return profiles.load(path, pipeline.load_questionnaire())


def test_record_format_1_is_refused_with_a_hint() -> None:
    old = json.dumps({"advisor_record": 1, "number": 1})
    with pytest.raises(DataError) as exc:
        records.DecisionRecord.from_json(old, "0001-x.json")
    assert "record format 1" in str(exc.value) and "regenerate" in str(exc.value)


def test_revisit_triggers_compile_in_the_rule_language(record: records.DecisionRecord) -> None:
    from advisor.conditions import compile_condition

    catalog = pipeline.fact_catalog(pipeline.load_questionnaire())
    facts = pipeline.build_facts(record.profile.answers, pipeline.load_questionnaire())
    for text in record.revisit_triggers:
        condition = compile_condition(text, catalog)
        assert condition.evaluate(facts) is False, text  # nothing has changed yet
    for point in record.tipping_points:
        assert {"key", "condition", "recommendation"} <= set(point)


def test_json_is_deterministic_and_round_trips(record: records.DecisionRecord) -> None:
    text = record.to_json()
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    again = records.DecisionRecord.from_json(text, "r.json")
    assert again == record
    assert again.to_json() == text
    assert render.to_markdown(again) == render.to_markdown(record)


def test_same_inputs_give_the_same_bytes() -> None:
    q = pipeline.load_questionnaire()
    texts = {recording.decide(profiles.load(EXAMPLE, q), questionnaire=q, date="2026-01-01").to_json()
             for _ in range(2)}
    assert len(texts) == 1


def test_from_json_syntax_error_has_a_position() -> None:
    with pytest.raises(DataError) as err:
        records.DecisionRecord.from_json('{\n  "number": 1,\n  oops\n}', "reports/0001-x.json")
    assert err.value.first.location is not None
    assert str(err.value.first.location) == "reports/0001-x.json:3:3"


def test_from_json_invalid_field_points_at_it(record: records.DecisionRecord) -> None:
    data = json.loads(record.to_json())
    data["status"] = "maybe"
    text = json.dumps(data, sort_keys=True, indent=2)
    with pytest.raises(DataError) as err:
        records.DecisionRecord.from_json(text, "r.json")
    problem = err.value.first
    assert problem.message.startswith("status:")
    line = text.splitlines()[problem.location.line - 1]  # type: ignore[union-attr]
    assert '"status"' in line


@pytest.mark.parametrize("text", ["[]", "", "null"])
def test_from_json_rejects_non_objects(text: str) -> None:
    with pytest.raises(DataError):
        records.DecisionRecord.from_json(text, "r.json")


# ----------------------------------------------------------------- dates, names, hashes


@pytest.mark.parametrize(("date", "months", "expected"), [
    ("2026-11-28", 12, "2027-11-28"), ("2024-02-29", 12, "2025-02-28"), ("2026-01-31", 1, "2026-02-28"),
    ("2026-12-15", 1, "2027-01-15"),
])
def test_add_months(date: str, months: int, expected: str) -> None:
    assert records.add_months(date, months) == expected


def test_default_date_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert records.default_date() == "2023-11-14"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert len(records.default_date()) == 10


@pytest.mark.parametrize("bad", ["2026-13-01", "26-01-01", "2026-02-30", "today"])
def test_check_date_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        records.check_date(bad)


@pytest.mark.parametrize(("title", "slug"), [
    ("Run payments-api on VM-backed Kubernetes nodes", "run-payments-api-on-vm-backed-kubernetes-nodes"),
    ("  Ünïcode & spaces!! ", "n-code-spaces"), ("???", "record"),
])
def test_slugify(title: str, slug: str) -> None:
    assert records.slugify(title) == slug


def test_next_number_follows_the_highest(tmp_path: Path) -> None:
    assert records.next_number(tmp_path / "missing") == 1
    for name in ("0001-a.md", "0001-a.json", "0007-b.md", "notes.md", ".0009-c.md.x.tmp", "0003-c.json"):
        (tmp_path / name).write_text("x")
    assert records.next_number(tmp_path) == 8
    assert sorted(records.record_paths(tmp_path)) == [1, 3, 7]


def test_pack_hash_covers_paths_and_bytes(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "a").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: x\n")
    (pack / "a" / "r.yaml").write_text("id: r\n")
    first = records.pack_sha256(pack)
    (pack / ".hidden").write_text("ignored")
    assert records.pack_sha256(pack) == first
    (pack / "a" / "r.yaml").write_text("id: r \n")
    changed = records.pack_sha256(pack)
    assert changed != first
    (pack / "a" / "r.yaml").rename(pack / "a" / "s.yaml")
    assert records.pack_sha256(pack) not in (first, changed)


# ----------------------------------------------------------------- writing


def test_write_record_takes_the_next_number_and_never_overwrites(tmp_path: Path,
                                                                 record: records.DecisionRecord) -> None:
    existing = tmp_path / f"{record.stem}.md"
    existing.write_text("someone else's record\n")
    md, js, written = records.write_record(record, tmp_path, render.to_markdown)
    assert existing.read_text() == "someone else's record\n"
    assert written.number == 2 and md.name.startswith("0002-") and js.name.startswith("0002-")
    assert md.read_text() == render.to_markdown(written)
    assert records.DecisionRecord.from_json(js.read_text(), str(js)) == written
    md3, _, third = records.write_record(record, tmp_path, render.to_markdown)
    assert third.number == 3 and md.read_text() == render.to_markdown(written)
    assert md3 != md
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_concurrent_writers_get_distinct_numbers(tmp_path: Path, record: records.DecisionRecord) -> None:
    # the number is chosen under the folder lock: threads (separate lock descriptors) wait for each other
    with ThreadPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(lambda _: records.write_record(record, tmp_path, render.to_markdown)[2], range(8)))
    assert sorted(r.number for r in written) == list(range(1, 9))
    assert len(list(tmp_path.glob("*.json"))) == len(list(tmp_path.glob("*.md"))) == 8
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_interrupted_markdown_write_leaves_no_record(tmp_path: Path, record: records.DecisionRecord,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync
    seen = []

    def fsync(fd: int) -> None:
        seen.append(fd)
        if len(seen) == 3:  # json file, json's folder, then the markdown file: interrupt there
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(KeyboardInterrupt):
        records.write_record(record, tmp_path, render.to_markdown)
    assert list(tmp_path.iterdir()) == []


_WRITER = textwrap.dedent("""
    import sys
    from advisor import records, render
    record = records.DecisionRecord.from_json(open(sys.argv[1]).read(), sys.argv[1])
    record = record.model_copy(update={"mermaid": "flowchart TB\\n" + "    a --> b\\n" * 400000})
    print("ready", flush=True)
    while True:
        records.write_record(record, sys.argv[2], render.to_markdown)
""")


@pytest.mark.slow
def test_killed_writer_leaves_only_complete_files(tmp_path: Path, record: records.DecisionRecord) -> None:
    """SIGKILL a process while it writes (a temporary file is there): no partial record is left."""
    source = tmp_path / "record.json"
    source.write_text(record.to_json())
    out = tmp_path / "records"
    out.mkdir()
    for nth in (1, 2, 3, 4):  # kill during the nth temporary file: json, markdown, next json, ...
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(source), str(out)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        old = {p.name for p in out.iterdir()}  # temporary files of earlier kills stay (hidden)
        seen: set[str] = set()
        deadline = time.monotonic() + 120
        while len(seen) < nth and time.monotonic() < deadline and proc.poll() is None:
            seen.update(p.name for p in out.iterdir() if p.name.endswith(".tmp") and p.name not in old)
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(seen) >= nth, "the writer never got to write"
    files = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    for p in files:
        text = p.read_text()
        if p.suffix == ".json":
            loaded = records.DecisionRecord.from_json(text, str(p))
            assert loaded.mermaid.count("a --> b") == 400000
        else:
            assert text.endswith("```\n"), f"{p.name} is incomplete"
            assert text.count("a --> b") == 400000
    # a record is its markdown: every markdown file has its complete JSON twin
    for p in files:
        if p.suffix == ".md":
            assert p.with_suffix(".json").exists()


# ----------------------------------------------------------------- advisor assess writes the record


def _assess(advisor, *extra: str):  # type: ignore[no-untyped-def]
    return advisor("assess", "--set", "workload_name=payments", "--set", "latency_p99_ms=5", "--defaults", *extra)


def test_assess_writes_a_record(advisor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _assess(advisor, "--decision-maker", "Ada", "--decision-maker", "Bo")
    assert result.exit_code == 0, result.stderr
    stem = "0001-measure-before-choosing-kubernetes-nodes-for-payments"
    assert f"Decision record written to reports/{stem}.md (and .json)" in result.stderr
    md = (tmp_path / "reports" / f"{stem}.md").read_text()
    rec = records.DecisionRecord.from_json((tmp_path / "reports" / f"{stem}.json").read_text(), "r.json")
    assert rec.date == "2023-11-14"  # SOURCE_DATE_EPOCH of the fixture
    assert rec.decision_makers == ["Ada", "Bo"]
    assert rec.profile.path == "payments.profile.yaml"
    assert rec.profile.sha256 == records.sha256_hex((tmp_path / "payments.profile.yaml").read_bytes())
    assert md == render.to_markdown(rec)
    # the same answers, rule packs and measurements: no second record, and it says which one matches
    same = advisor("assess", "--profile", "payments.profile.yaml", "--format", "json")
    assert same.exit_code == 0, same.stderr
    assert f"No new record: reports/{stem}.md holds the same assessment" in same.stderr
    assert sorted(p.name for p in (tmp_path / "reports").glob("0*")) == [f"{stem}.json", f"{stem}.md"]
    again = advisor("assess", "--profile", "payments.profile.yaml", "--set", "racks=5", "--date", "2026-03-01",
                    "--title", "Payments nodes")
    assert again.exit_code == 0, again.stderr
    assert "reports/0002-payments-nodes.md" in again.stderr
    assert (tmp_path / "reports" / f"{stem}.md").read_text() == md


def test_assess_records_dir_and_no_record(advisor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plain = _assess(advisor, "--no-record", "--format", "json")
    assert plain.exit_code == 0 and not (tmp_path / "reports").exists()
    assert "Decision record" not in plain.stderr
    recorded = advisor("assess", "--profile", "payments.profile.yaml", "--records-dir", "adr", "--format", "json")
    assert recorded.exit_code == 0, recorded.stderr
    assert recorded.stdout == plain.stdout  # the printed result does not change
    assert len(list((tmp_path / "adr").glob("0001-*.md"))) == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--date", "2026-02-30"), "--date: '2026-02-30' is not a date"),
    (("--date", "yesterday"), "--date: 'yesterday' is not a date"),
    (("--title", "  "), "--title is empty"),
])
def test_assess_rejects_bad_record_options(advisor, tmp_path: Path, args, message) -> None:  # type: ignore[no-untyped-def]
    result = _assess(advisor, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "reports").exists()
