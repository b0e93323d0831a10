"""advisor.journal and advisor.repair: multi-file changes survive crashes; repair restores a consistent folder."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from advisor import atomic, journal, pipeline, recording, records, repair
from advisor import profile as profiles
from advisor.errors import DataError
from advisor.render import to_markdown

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "profiles" / "multi-tenant-saas.profile.yaml"


def _index(directory: Path) -> str:
    return records.index_text(records.load_all(directory))


def test_apply_writes_every_file_and_removes_the_journal(tmp_path: Path) -> None:
    journal.apply(tmp_path, [("a.md", "A\n"), ("b.json", "{}\n")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.json"]
    assert (tmp_path / "a.md").read_text() == "A\n"


def test_a_left_journal_is_replayed_idempotently(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("old\n")
    body = {"advisor_journal": 1, "files": [
        {"name": n, "text": t, "sha256": __import__("hashlib").sha256(t.encode()).hexdigest()}
        for n, t in (("a.md", "new\n"), ("b.md", "B\n"))]}
    (tmp_path / journal.JOURNAL_NAME).write_text(json.dumps(body))
    pending = journal.pending(tmp_path)
    assert pending is not None and pending.names == ["a.md", "b.md"]
    assert journal.replay(tmp_path) == ["a.md", "b.md"]
    assert (tmp_path / "a.md").read_text() == "new\n" and (tmp_path / "b.md").read_text() == "B\n"
    assert journal.pending(tmp_path) is None and journal.replay(tmp_path) == []


@pytest.mark.parametrize("name", ["../escape.md", "/etc/passwd", "sub/x.md", "..", journal.JOURNAL_NAME])
def test_a_journal_cannot_name_a_file_outside_its_folder(tmp_path: Path, name: str) -> None:
    body = {"advisor_journal": 1, "files": [{"name": name, "text": "x", "sha256":
                                             __import__("hashlib").sha256(b"x").hexdigest()}]}
    (tmp_path / journal.JOURNAL_NAME).write_text(json.dumps(body))
    with pytest.raises(DataError, match="not a file of this folder"):
        journal.replay(tmp_path)
    assert not (tmp_path.parent / "escape.md").exists()


def test_a_damaged_journal_is_refused_not_applied(tmp_path: Path) -> None:
    body = {"advisor_journal": 1, "files": [{"name": "a.md", "text": "x", "sha256": "0" * 64}]}
    (tmp_path / journal.JOURNAL_NAME).write_text(json.dumps(body))
    with pytest.raises(DataError, match="damaged"):
        journal.replay(tmp_path)
    assert not (tmp_path / "a.md").exists()


def test_the_lock_serialises_threads_and_is_reentrant(tmp_path: Path) -> None:
    inside: list[int] = []
    overlap: list[bool] = []

    def work(i: int) -> None:
        with atomic.locked(tmp_path), atomic.locked(tmp_path):  # re-entrant in one thread
            inside.append(i)
            overlap.append(len(inside) > 1)
            threading.Event().wait(0.01)
            inside.remove(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [False] * 6


@pytest.fixture(scope="module")
def record() -> records.DecisionRecord:
    q = pipeline.load_questionnaire()
    prof = profiles.load(EXAMPLE, q)
    return recording.decide(prof, questionnaire=q, date="2026-02-28", profile_display="saas.profile.yaml")


def test_repair_renders_missing_markdown_and_removes_temporaries(tmp_path: Path,
                                                               record: records.DecisionRecord) -> None:
    records.write_index(tmp_path)
    records.write_record(record, tmp_path, to_markdown, index=records.index_with)
    rf = records.load(tmp_path, 1)
    rf.md_path.unlink()
    (tmp_path / f".{rf.md_path.name}.abcd1234.tmp").write_text("half")
    (tmp_path / ".someone-else.yaml.abcd1234.tmp").write_text("not ours")
    found = [p.message for p in repair.state(tmp_path, _index)]
    assert found == ["temporary file of an interrupted write; repair removes it",
                     "JSON twin without its markdown; repair renders it"]
    report = repair.repair(tmp_path, to_markdown, _index)
    assert report.remaining == []
    assert rf.md_path.read_text() == to_markdown(rf.record)
    assert (tmp_path / ".someone-else.yaml.abcd1234.tmp").exists()
    assert repair.state(tmp_path, _index) == []


def test_repair_lists_what_needs_a_person_and_deletes_nothing(tmp_path: Path) -> None:
    (tmp_path / "0001-orphan.md").write_text("# notes\n")
    report = repair.repair(tmp_path, to_markdown, _index)
    assert [p.format() for p in report.remaining] == [
        f"{tmp_path / '0001-orphan.md'}: markdown without its JSON twin; restore the .json from version control "
        "or remove the record"]
    assert (tmp_path / "0001-orphan.md").exists()
