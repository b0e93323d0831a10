"""How a record's markdown follows a change.

Rendering lives in :mod:`advisor.render`, a layer above this one, so callers pass
``render`` (``advisor.render.to_markdown``):

* when the markdown on disk is exactly ``render(old record)`` (nobody edited it), it is
  replaced by ``render(new record)``: byte for byte what a fresh render gives;
* otherwise (edited by hand, or rendered by another advisor version) the edit is
  targeted, so that hand-written text is kept: the front matter ``status:`` line is
  rewritten and new links are added as bullets under ``### Related Records`` (the
  section is added before ``### Reproducibility``, or at the end, when missing).

Every change is made to both files and the index as one journalled change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor import markdown
from advisor.errors import DataError, Location
from advisor.inputs import LIMITS
from advisor.records.index import index_text
from advisor.records.model import DecisionRecord, Link, Status
from advisor.records.naming import slugify
from advisor.records.store import INDEX_NAME, RecordFile, load_all, write_all
from advisor.yamlio import read_text

#: ``render(record) -> markdown`` (``advisor.render.to_markdown``).
Render = Callable[[DecisionRecord], str]


_FRONT = re.compile(r"\A---\n(.*?)^---[ \t]*\n", re.S | re.M)
_STATUS = re.compile(r"^status:.*$", re.M)


def _escape(text: str) -> str:
    return markdown.inline(text)


def _record_file(number: int, title: str) -> str:
    return f"{number:04d}-{slugify(title)}.md"


def link_line(link: Link) -> str:
    """A link as ``advisor.render`` lists it under Related Records."""
    relation = _escape(link.relation)
    label = f"{link.number:04d} {_escape(link.title)}".rstrip()
    note = f" ({_escape(link.note)})" if link.note else ""
    return f"- {relation[:1].upper() + relation[1:]} [{label}]({_record_file(link.number, link.title)}){note}"


def edit_markdown(text: str, status: Status, new_links: Sequence[Link] = ()) -> str:
    """Targeted edit of a hand-edited record: the front matter status and added link bullets."""
    m = _FRONT.match(text)
    if m is None:
        text = f"---\nstatus: {status}\n---\n\n" + text
    else:
        front = m.group(1)
        front = _STATUS.sub(f"status: {status}", front, count=1) if _STATUS.search(front) else \
            f"status: {status}\n{front}"
        text = f"---\n{front}---\n" + text[m.end():]
    if not new_links:
        return text
    bullets = "\n".join(link_line(lk) for lk in new_links)
    lines = text.split("\n")
    heading = next((h for h in ("### Related Records", "## Related Records") if h in lines), None)
    if heading is not None:
        start = lines.index(heading) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
        body = lines[start:end]
        while body and not body[-1].strip():
            body.pop()
        if not body or not body[-1].startswith("- "):
            body.append("")
        body += bullets.split("\n")
        tail = [""]  # a blank line before the next heading, or the final newline
        return "\n".join(lines[:start] + body + tail + lines[end:])
    at = text.find("\n### Reproducibility\n")
    if at >= 0:
        return text[:at + 1] + f"### Related Records\n\n{bullets}\n\n" + text[at + 1:]
    level = "###" if "\n## More Information\n" in text else "##"  # no skipped heading level
    return text.rstrip("\n") + f"\n\n{level} Related Records\n\n{bullets}\n"


def _markdown(rf: RecordFile, new: DecisionRecord, render: Render | None, new_links: Sequence[Link]) -> str:
    if not rf.md_path.exists():
        if render is None:
            raise DataError("the markdown of this record is missing", "regenerate it", Location(str(rf.md_path)))
        return render(new)
    text = read_text(rf.md_path, max_bytes=LIMITS["record"], kind="markdown")
    if render is not None and text == render(rf.record):
        return render(new)
    return edit_markdown(text, new.status, new_links)


def save(changes: Sequence[tuple[RecordFile, DecisionRecord, Sequence[Link]]], render: Render | None,
          directory: Path) -> list[RecordFile]:
    """Write the changed records and the index together (every record is read first: a broken one stops all)."""
    out = [RecordFile(new, rf.json_path, rf.md_path) for rf, new, _ in changes]
    changed = {rf.number: rf for rf in out}
    everything = [changed.get(rf.number, rf) for rf in load_all(directory)]
    files: list[tuple[Path, str]] = []
    for rf, new, links in changes:
        files.append((rf.json_path, new.to_json()))
        files.append((rf.md_path, _markdown(rf, new, render, links)))
    files.append((directory / INDEX_NAME, index_text(everything)))
    write_all(directory, files)
    return out
