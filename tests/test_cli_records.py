"""``advisor records``: exit codes, stdout/stderr and files, through the real entry point.

Records are written by ``advisor assess`` from two profiles that differ only in
``bare_metal_mandated``: 0001 recommends VM-backed nodes, 0002 bare metal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]


@pytest.fixture
def two(advisor: Run, tmp_path: Path) -> Path:
    for extra, name in (([], "a"), (["--set", "bare_metal_mandated=true"], "b")):
        result = advisor("assess", "--set", "workload_name=pay", "--set", "existing_virtualization=public-cloud",
                         *extra, "--defaults",
                         "--profile-output", f"{name}.profile.yaml", "--date", "2026-01-01")
        assert result.exit_code == 0, result.stderr
    return tmp_path / "reports"


def _record(directory: Path, number: int) -> dict[str, Any]:
    return dict(json.loads(next(directory.glob(f"{number:04d}-*.json")).read_text(encoding="utf-8")))


def _md_name(directory: Path, number: int) -> str:
    return next(directory.glob(f"{number:04d}-*.md")).name


def test_list_table_and_json(advisor: Run, two: Path) -> None:
    result = advisor("records", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["number", "title", "status", "recommendation", "date"]
    assert lines[2].startswith("0001  ") and lines[2].split()[-3:] == ["proposed", "vm", "2026-01-01"]
    assert lines[3].startswith("0002  ") and lines[3].split()[-3:] == ["proposed", "bare-metal", "2026-01-01"]
    assert result.stderr == "2 records in reports\n"
    data = json.loads(advisor("records", "list", "--format", "json").stdout)
    assert [(r["number"], r["status"], r["recommendation"]) for r in data] == [(1, "proposed", "vm"),
                                                                              (2, "proposed", "bare-metal")]
    assert data[0]["title"] == _record(two, 1)["title"]


def test_list_of_a_missing_folder_is_empty(advisor: Run) -> None:
    result = advisor("records", "list", "--records-dir", "nowhere", "--format", "json")
    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_show_prints_the_markdown(advisor: Run, two: Path) -> None:
    result = advisor("records", "show", "0002")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (two / _md_name(two, 2)).read_text(encoding="utf-8")


def test_unknown_number_is_one_line_with_the_numbers_that_exist(advisor: Run, two: Path) -> None:
    result = advisor("records", "show", "9")
    assert result.exit_code == 1
    assert result.stderr == "advisor: no record 0009 in reports; records: 0001, 0002\n"
    assert result.stdout == ""


def test_a_bad_number_is_a_usage_error(advisor: Run, two: Path) -> None:
    result = advisor("records", "accept", "first")
    assert result.exit_code == 2
    assert result.stderr == "advisor: 'first' is not a record number; give the number, e.g. 3 or 0003\n"


def test_corrupt_json_twin_is_reported_at_file_line_col(advisor: Run, two: Path) -> None:
    path = next(two.glob("0001-*.json"))
    path.write_text('{"number": 1,,}\n', encoding="utf-8")
    result = advisor("records", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"reports/{path.name}:1:14: invalid JSON: ")
    assert len(result.stderr.splitlines()) == 1


def test_accept_then_reject_is_refused(advisor: Run, two: Path) -> None:
    result = advisor("records", "accept", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"Record 0001 is now accepted: reports/{_md_name(two, 1)} and .json updated, "
                             "index regenerated\n")
    assert _record(two, 1)["status"] == "accepted"
    assert (two / _md_name(two, 1)).read_text(encoding="utf-8").startswith("---\nstatus: accepted\n")
    assert "| accepted | vm |" in (two / "README.md").read_text(encoding="utf-8")
    result = advisor("records", "reject", "1")
    assert result.exit_code == 1
    assert result.stderr == (f"reports/{next(two.glob('0001-*.json')).name}: cannot reject record 0001: it is "
                             "accepted; only a proposed record can become rejected\n")
    assert _record(two, 1)["status"] == "accepted"


def test_reject(advisor: Run, two: Path) -> None:
    assert advisor("records", "reject", "2").exit_code == 0
    assert _record(two, 2)["status"] == "rejected"
    result = advisor("records", "accept", "2")
    assert result.exit_code == 1
    assert "cannot accept record 0002: it is rejected" in result.stderr


def test_supersede_updates_both_records_and_the_index(advisor: Run, two: Path) -> None:
    result = advisor("records", "supersede", "1", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "Record 0001 is now superseded by 0002; both records and the index updated\n"
    old, new = _record(two, 1), _record(two, 2)
    assert (old["status"], old["superseded_by"]) == ("superseded", 2)
    assert (new["status"], new["supersedes"]) == ("proposed", 1)
    assert [(lk["relation"], lk["number"]) for lk in old["links"]] == [("superseded by", 2)]
    assert [(lk["relation"], lk["number"]) for lk in new["links"]] == [("supersedes", 1)]
    md_old = (two / _md_name(two, 1)).read_text(encoding="utf-8")
    md_new = (two / _md_name(two, 2)).read_text(encoding="utf-8")
    assert md_old.startswith("---\nstatus: superseded\n")
    assert f"- Superseded by [0002 {new['title']}]({_md_name(two, 2)})" in md_old
    assert f"- Supersedes [0001 {old['title']}]({_md_name(two, 1)})" in md_new
    index = (two / "README.md").read_text(encoding="utf-8")
    assert f"| [0001]({_md_name(two, 1)}) | {old['title']} | superseded by [0002]({_md_name(two, 2)}) | vm | " \
           "2026-01-01 |" in index
    again = advisor("records", "accept", "1")
    assert again.exit_code == 1
    assert again.stderr.endswith(": cannot accept record 0001: it is superseded by 0002; only a proposed record "
                                 "can become accepted\n")


def test_diff_names_the_answer_that_changed_the_outcome(advisor: Run, two: Path) -> None:
    result = advisor("records", "diff", "1", "2")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "0001 -> 0002: recommendation vm -> bare-metal"
    assert "answer bare_metal_mandated: false -> true  [changes the outcome]" in lines
    assert lines[-1] == "changed the outcome: answer bare_metal_mandated"
    data = json.loads(advisor("records", "diff", "1", "2", "--format", "json").stdout)
    assert data["changed_the_outcome"] == ["answer bare_metal_mandated"]
    assert data["recommendation"] == ["vm", "bare-metal"]


def test_diff_from_a_measure_first_record_names_the_one_answer_that_settled_it(advisor: Run, tmp_path: Path) -> None:
    # 0001 is a close call (measure first: recorded as 'none', VM-backed leading); 0002 differs in one answer
    # and recommends VM-backed nodes. The re-evaluation must read a measure-first outcome as the record does
    # ('none', not the leader), or the one answer that settled it is missed and the packs are blamed.
    for name, extra in (("a", []), ("b", ["--set", "existing_virtualization=public-cloud"])):
        result = advisor("assess", "--set", "workload_name=pay", *extra, "--defaults", "--profile-output",
                         f"{name}.profile.yaml", "--date", "2026-01-01")
        assert result.exit_code == 0, result.stderr
    assert _record(tmp_path / "reports", 1)["outcome"] == "measure-first"
    result = advisor("records", "diff", "1", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "0001 -> 0002: recommendation none -> vm",
        "answer existing_virtualization: none -> public-cloud  [changes the outcome]",
        "changed the outcome: answer existing_virtualization",
    ]


def test_diff_of_two_measure_first_records_says_when_the_lead_moved(advisor: Run, tmp_path: Path) -> None:
    # both close calls (recorded as 'none'), but a sub-millisecond SLO moves the lead from VM-backed to bare metal
    for name, slo in (("a", "200"), ("b", "0.3333")):
        result = advisor("assess", "--set", "workload_name=pay", "--set", f"latency_p99_ms={slo}", "--defaults",
                         "--profile-output", f"{name}.profile.yaml", "--date", "2026-01-01")
        assert result.exit_code == 0, result.stderr
    first, second = _record(tmp_path / "reports", 1), _record(tmp_path / "reports", 2)
    assert (first["outcome"], second["outcome"]) == ("measure-first", "measure-first")
    lead = (first["decision"]["recommendation"], second["decision"]["recommendation"])
    assert lead == ("vm", "bare-metal")
    result = advisor("records", "diff", "1", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == ("0001 -> 0002: recommendation none (unchanged: measure first in both; "
                                             "the leading option vm -> bare-metal)")
    data = json.loads(advisor("records", "diff", "1", "2", "--format", "json").stdout)
    assert data["leading"] == ["vm", "bare-metal"] and data["outcome_changed"] is False


def test_check_exit_codes(advisor: Run, two: Path) -> None:
    result = advisor("records", "check", "--today", "2026-06-01")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "ok: 2 active records checked, nothing to revisit\n"

    result = advisor("records", "check", "--today", "2027-01-02")
    assert result.exit_code == 4
    assert result.stdout.splitlines() == [
        f"reports/{_md_name(two, 1)}: review was due by 2027-01-01 (today is 2027-01-02)",
        f"reports/{_md_name(two, 2)}: review was due by 2027-01-01 (today is 2027-01-02)",
    ]
    assert result.stderr == ("advisor: 2 findings in 2 active records; revisit them: re-assess, then "
                             "'advisor records supersede OLD NEW'\n")


def test_check_fires_a_trigger_for_a_changed_profile(advisor: Run, two: Path) -> None:
    path = next(two.glob("0001-*.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["revisit_triggers"] = ["untrusted_tenants"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert advisor("records", "supersede", "--force-supersede", "2", "1").exit_code == 0  # only 0001 stays in force
    assert advisor("records", "check", "--today", "2026-06-01", "--profile", "a.profile.yaml").exit_code == 0
    changed = advisor("assess", "--profile", "a.profile.yaml", "--set", "untrusted_tenants=yes",
                      "--defaults", "--no-record")
    assert changed.exit_code == 0, changed.stderr
    result = advisor("records", "check", "--today", "2026-06-01")  # re-reads the record's own profile file
    assert result.exit_code == 4
    assert result.stdout == (f"reports/{_md_name(two, 1)}: revisit trigger fires for a.profile.yaml: "
                             "untrusted_tenants\n")


def test_check_rejects_a_bad_date(advisor: Run, two: Path) -> None:
    result = advisor("records", "check", "--today", "tomorrow")
    assert result.exit_code == 2
    assert result.stderr.startswith("advisor: --today: 'tomorrow' is not a date")


def test_index_is_written_and_deterministic(advisor: Run, two: Path) -> None:
    result = advisor("records", "index")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "Index written to reports/README.md\n"
    first = (two / "README.md").read_text(encoding="utf-8")
    assert advisor("records", "index").exit_code == 0
    assert (two / "README.md").read_text(encoding="utf-8") == first
    rows = [line for line in first.splitlines() if line.startswith("| [")]
    assert rows == [
        f"| [0001]({_md_name(two, 1)}) | {_record(two, 1)['title']} | proposed | vm | 2026-01-01 |",
        f"| [0002]({_md_name(two, 2)}) | {_record(two, 2)['title']} | proposed | bare-metal | 2026-01-01 |",
    ]


def test_index_of_a_missing_folder(advisor: Run) -> None:
    result = advisor("records", "index", "--records-dir", "nowhere")
    assert result.exit_code == 1
    assert result.stderr.startswith("advisor: no records folder nowhere; ")


# ----------------------------------------------------------------- guard rails: workload, chronology, deprecate, link


def _other_workload(advisor: Run) -> None:
    result = advisor("assess", "--set", "workload_name=ledger", "--defaults", "--profile-output", "c.profile.yaml",
                     "--date", "2026-02-01")
    assert result.exit_code == 0, result.stderr


def test_supersede_refuses_another_workload_and_an_older_record(advisor: Run, two: Path) -> None:
    _other_workload(advisor)  # 0003: another workload
    across = advisor("records", "supersede", "1", "3")
    assert across.exit_code == 1
    assert "cannot supersede 0001 with 0003: record 0003 is about workload 'ledger', record 0001 about 'pay'" \
        in across.stderr and "use --force-supersede" in across.stderr
    back = advisor("records", "supersede", "2", "1")
    assert back.exit_code == 1 and "record 0001 (2026-01-01) is older than record 0002 (2026-01-01)" in back.stderr
    assert _record(two, 1)["status"] == "proposed" and _record(two, 2)["status"] == "proposed"

    forced = advisor("records", "supersede", "--force-supersede", "1", "3")
    assert forced.exit_code == 0, forced.stderr
    assert "(forced: the links say why)" in forced.stderr
    (link,) = _record(two, 3)["links"]
    assert link["relation"] == "supersedes"
    assert link["note"].startswith("forced with --force-supersede: record 0003 is about")
    md = (two / _md_name(two, 3)).read_text(encoding="utf-8")
    assert "(forced with --force-supersede: record 0003 is about workload 'ledger'" in md


def test_deprecate_and_link(advisor: Run, two: Path) -> None:
    result = advisor("records", "deprecate", "1")
    assert result.exit_code == 0, result.stderr
    assert _record(two, 1)["status"] == "deprecated"
    again = advisor("records", "deprecate", "1")
    assert again.exit_code == 1 and "already deprecated" in again.stderr

    linked = advisor("records", "link", "--relation", "depends on", "2", "1")
    assert linked.exit_code == 0, linked.stderr
    assert linked.stderr == "Record 0002 now depends on 0001; both records and the index updated\n"
    assert [(lk["relation"], lk["number"]) for lk in _record(two, 2)["links"]] == [("depends on", 1)]
    assert [(lk["relation"], lk["number"]) for lk in _record(two, 1)["links"]] == [("depends on (from 0002)", 2)]
    assert "- Depends on [0001 " in (two / _md_name(two, 2)).read_text(encoding="utf-8")
    twice = advisor("records", "link", "--relation", "depends on", "2", "1")
    assert twice.exit_code == 1 and "already depends on" in twice.stderr
    wrong = advisor("records", "link", "--relation", "supersedes", "2", "1")
    assert wrong.exit_code == 1 and "records supersede OLD NEW" in wrong.stderr
