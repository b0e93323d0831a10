"""Decision records: the model, how one is built from an assessment, and how it is stored.

A decision record is an architecture decision record in MADR 4.0 form (markdown,
rendered by :mod:`advisor.report`) with a JSON twin holding every number. Both are
stored side by side as ``NNNN-<slug>.md`` and ``NNNN-<slug>.json`` in a records
folder (default ``reports/``); numbers are 4 digits, the next is 1 + the highest.
Format and sections: docs/decision-records.md.

This module returns data; it never prints. The field names of
:class:`DecisionRecord` are the stored format: keep them stable.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer

from advisor import journal
from advisor._version import __version__
from advisor.atomic import locked
from advisor.decide.model import OutcomeKind
from advisor.decide.outcome import Decision
from advisor.errors import DataError, Location
from advisor.yamlio import parse_json

__all__ = [
    "RECORD_FORMAT",
    "REVIEW_MONTHS",
    "STATUSES",
    "DecisionRecord",
    "Link",
    "MeasurementsInfo",
    "PackInfo",
    "ProfileInfo",
    "QuestionnaireInfo",
    "RulesInfo",
    "Status",
    "add_months",
    "build_record",
    "default_date",
    "default_title",
    "file_sha256",
    "next_number",
    "pack_sha256",
    "probability_of",
    "record_paths",
    "rules_sha256",
    "sha256_hex",
    "slugify",
    "write_record",
]

#: Version of the record format (the ``advisor_record`` key).
RECORD_FORMAT = 2
#: A record is due for review this many months after its date.
REVIEW_MONTHS = 12

Status = Literal["proposed", "accepted", "rejected", "superseded", "deprecated"]
STATUSES: tuple[Status, ...] = ("proposed", "accepted", "rejected", "superseded", "deprecated")
Recommendation = Literal["bare-metal", "vm", "none"]

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_SHA = r"^[0-9a-f]{64}$"
#: ``NNNN-<slug>.md`` / ``.json``: the number is the first 4+ digits.
#: The index of a records folder (written by :mod:`advisor.records`).
INDEX_NAME = "README.md"
RECORD_NAME = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]*)\.(md|json)$")
OPTION_NAMES: dict[str, str] = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "neither option"}
#: The option as an adjective: "bare-metal nodes".
NODE_NAMES: dict[str, str] = {"bare-metal": "bare-metal", "vm": "VM-backed", "none": "neither"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionnaireInfo(_Model):
    id: str
    version: int = Field(ge=1)


class ProfileInfo(_Model):
    """The profile the record was made from: where, its bytes' hash, and its answers."""

    path: str = Field(description="profile file as given on the command line (relative when it was)")
    sha256: str = Field(pattern=_SHA, description="sha256 of the profile file's bytes")
    answers: dict[str, Any] = Field(description="answers and defaults taken, by question key")
    questionnaire: QuestionnaireInfo


class PackInfo(_Model):
    name: str
    version: int = Field(ge=1)
    path: str = Field(description="pack folder as given ('rules' for the bundled pack)")
    sha256: str = Field(pattern=_SHA, description="hash over the sorted relative paths and bytes of its files")


class RulesInfo(_Model):
    packs: list[PackInfo]
    sha256: str = Field(pattern=_SHA, description="hash over the packs' hashes, in layer order")


class MeasurementsInfo(_Model):
    path: str | None = None
    sha256: str | None = Field(None, pattern=_SHA)
    verdicts: list[dict[str, Any]] = Field(default_factory=list)
    #: Where each target ran (target, role, runner, host, CPU model, kernel, virtualization, pinning, cgroup).
    targets: list[dict[str, Any]] = Field(default_factory=list)
    #: The decision before the measured facts were added: outcome, recommendation, configuration,
    #: p_bare_metal_better, close.
    before: dict[str, Any] | None = None
    #: Probes left out, with the reason (e.g. their rules cannot flip the result).
    skipped: dict[str, str] = Field(default_factory=dict)


class Link(_Model):
    relation: str = Field(min_length=1, description="e.g. 'supersedes', 'superseded by', 'relates to'")
    number: int = Field(ge=1)
    title: str
    note: str | None = Field(None, description="why the link was made against a guard rail (--force-supersede); "
                                               "absent if none")

    @model_serializer(mode="wrap")
    def _without_empty_note(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("note") is None:
            data.pop("note", None)
        return data


class DecisionRecord(_Model):
    """One decision record (the JSON twin is this model, dumped deterministically)."""

    advisor_record: Literal[2] = Field(2, description="format version of the record")
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    status: Status = "proposed"
    date: str = Field(pattern=_DATE)
    decision_makers: list[str] = Field(default_factory=list)
    supersedes: int | None = Field(None, ge=1)
    superseded_by: int | None = Field(None, ge=1)
    review_by: str | None = Field(None, pattern=_DATE)
    workload: str
    recommendation: Recommendation = Field(description="the recommended option; 'none' for a tie, for measure-first "
                                           "and when both options are ruled out")
    outcome: OutcomeKind = Field(description="recommend, tie, one-ruled-out, both-ruled-out or measure-first")
    configuration: str | None = Field(None, description="the recommended option's configuration, in words")
    probability: float | None = Field(None, ge=0, le=1, description=(
        "probability that the recommended option is the better one, over the sampled consequence ranges "
        "(null when the other option is ruled out, or for a tie)"))
    close: bool = Field(description="the probability is in the pack's close band, or a measurement could flip it")
    profile: ProfileInfo
    rules: RulesInfo
    measurements: MeasurementsInfo = Field(default_factory=MeasurementsInfo)
    tool_version: str
    command: str = Field("", description="the command that regenerates this record")
    decision: Decision = Field(description="the full decision (advisor.decide): screen, consequences, "
                               "uncertainty, value of information, facts")
    graph: dict[str, Any] = Field(description="fault-domain metrics of both options (faultdomain.to_json)")
    tipping_points: list[dict[str, Any]] = Field(default_factory=list)
    revisit_triggers: list[str] = Field(default_factory=list, description="when to revisit, as sentences")
    links: list[Link] = Field(default_factory=list)
    # what the markdown shows beyond the numbers above (kept so that a record renders from its JSON alone)
    context: list[dict[str, Any]] = Field(
        default_factory=list, description="each answer in plain words: key, question, answer, default (bool)")
    rules_applied: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="the rules the decision rests on, by id: kind, option, title, rationale, "
        "evidence (source, url, grade)")
    confirmation: list[dict[str, Any]] = Field(
        default_factory=list, description="measurable unknowns, most valuable first: probe, compares, "
        "value_of_information, can_flip, rules")
    mermaid: str = Field("", description="fault-domain diagram (faultdomain.to_mermaid)")

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def stem(self) -> str:
        """``NNNN-<slug>``: the file name without extension."""
        return f"{self.number:04d}-{self.slug}"

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, 2-space indent, UTF-8 text, newline at the end."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str, display_name: str) -> DecisionRecord:
        """Parse a JSON twin; DataError at ``display_name:line:col`` on bad input."""
        try:
            data = parse_json(text, display_name)
        except DataError as exc:
            p = exc.first
            hint = "fix the JSON syntax (or regenerate the record)" if p.message.startswith("invalid JSON") else p.hint
            raise DataError(p.message, hint, p.location) from None
        if not isinstance(data, dict):
            raise DataError("a decision record must be a JSON object", None, Location(display_name, 1, 1))
        if data.get("advisor_record") != RECORD_FORMAT and isinstance(data.get("advisor_record"), int):
            raise DataError(f"record format {data['advisor_record']} is not read by this advisor (it reads format "
                            f"{RECORD_FORMAT})", "regenerate the record with the command in its Reproducibility "
                            "section", _json_location(text, display_name, ["advisor_record"]))
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            path = ".".join(str(p) for p in err["loc"]) or "record"
            where = _json_location(text, display_name, err["loc"])
            raise DataError(f"{path}: {err['msg']}", "see docs/decision-records.md for the format", where) from None


def _json_location(text: str, display_name: str, loc: Sequence[int | str]) -> Location:
    """Best effort: the line of the deepest named key of ``loc`` in the text."""
    keys = [p for p in loc if isinstance(p, str)]
    start = 0
    for key in keys:
        found = text.find(json.dumps(key) + ":", start)
        if found < 0:
            break
        start = found
    if start == 0 and not keys:
        return Location(display_name, 1, 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return Location(display_name, line, col)


# --------------------------------------------------------------------------- hashes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: A rule pack is a few hundred small files: a folder far beyond these is not one (never hashed whole).
MAX_PACK_FILES = 5000
MAX_PACK_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20


def _feed(h: Any, path: Path, where: Location) -> int:
    """Stream a regular file into ``h`` in fixed-size chunks; its length."""
    size = 0
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DataError("not a regular file", "give the path of a regular file", where)
        with os.fdopen(fd, "rb", buffering=0) as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", "check the path and permissions", where) from None
    return size


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a regular file, read in chunks (constant memory)."""
    h = hashlib.sha256()
    _feed(h, Path(path), Location(str(path)))
    return h.hexdigest()


def pack_sha256(root: str | os.PathLike[str]) -> str:
    """Hash of a rule pack folder: every regular file (hidden ones and caches excluded).

    Files are taken in order of their relative POSIX path; for each, the path, a NUL
    byte, the file's length as 8 big-endian bytes and its bytes feed one sha256. Files
    are streamed; symlinks to folders are not followed. A folder with more than
    :data:`MAX_PACK_FILES` files or :data:`MAX_PACK_BYTES` bytes is refused (DataError):
    it is not a rule pack.
    """
    base = Path(root)
    where = Location(str(root))
    files: list[tuple[str, Path, int]] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            try:
                st = full.stat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            files.append((full.relative_to(base).as_posix(), full, st.st_size))
            total += st.st_size
            if len(files) > MAX_PACK_FILES or total > MAX_PACK_BYTES:
                raise DataError(f"not a rule pack: more than {MAX_PACK_FILES:,} files or {MAX_PACK_BYTES:,} bytes",
                                "give the folder of a rule pack (the one holding pack.yaml)", where)
    h = hashlib.sha256()
    for rel, full, size in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + size.to_bytes(8, "big"))
        if _feed(h, full, Location(str(full))) != size:
            raise DataError("the file changed while it was hashed", "run the command again", Location(str(full)))
    return h.hexdigest()


def rules_sha256(packs: Sequence[PackInfo]) -> str:
    """Hash of the layered packs: their ``name@version:sha256`` lines in layer order."""
    text = "".join(f"{p.name}@{p.version}:{p.sha256}\n" for p in packs)
    return sha256_hex(text.encode("utf-8"))


# --------------------------------------------------------------------------- dates, names


def default_date() -> str:
    """Today (UTC) as YYYY-MM-DD, or the day of ``SOURCE_DATE_EPOCH`` when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.datetime.now(tz=_dt.UTC).date().isoformat()


def check_date(text: str) -> str:
    """``text`` when it is a real YYYY-MM-DD date; ValueError otherwise."""
    try:
        if not re.match(_DATE, text):
            raise ValueError
        _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
    return text


def add_months(date: str, months: int) -> str:
    """``date`` plus ``months`` calendar months (the day clamped to the month's end)."""
    d = _dt.date.fromisoformat(date)
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return _dt.date(year, month + 1, day).isoformat()


def slugify(text: str, limit: int = 60) -> str:
    """Lower-case ASCII words joined by hyphens (``record`` when nothing is left)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for w in words:
        candidate = f"{slug}-{w}" if slug else w
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "record")


def default_title(workload: str, recommendation: str, outcome: str = "recommend") -> str:
    if outcome == "measure-first":
        return f"Measure before choosing Kubernetes nodes for {workload}"
    if outcome == "both-ruled-out":
        return f"Neither bare-metal nor VM-backed Kubernetes nodes fit {workload}"
    if recommendation == "none":
        return f"Bare-metal or VM-backed Kubernetes nodes for {workload}: a tie"
    return f"Run {workload} on {NODE_NAMES[recommendation]} Kubernetes nodes"


def record_paths(directory: str | os.PathLike[str]) -> dict[int, list[Path]]:
    """The record files in ``directory`` by number (``NNNN-slug.md`` and ``.json``)."""
    out: dict[int, list[Path]] = {}
    base = Path(directory)
    if not base.is_dir():
        return out
    for entry in sorted(base.iterdir()):
        m = RECORD_NAME.match(entry.name)
        if m:
            out.setdefault(int(m.group(1)), []).append(entry)
    return out


def next_number(directory: str | os.PathLike[str]) -> int:
    """1 + the highest record number in ``directory`` (1 when there is none)."""
    return max(record_paths(directory), default=0) + 1


# --------------------------------------------------------------------------- building


def build_record(*, number: int, title: str | None, date: str | None, decision_makers: Sequence[str],
                 workload: str, profile: ProfileInfo, rules: RulesInfo, result: Decision,
                 graph: Mapping[str, Any], command: str = "", measurements: MeasurementsInfo | None = None,
                 tipping_points: Sequence[Mapping[str, Any]] = (), revisit_triggers: Sequence[str] = (),
                 supersedes: int | None = None, review_months: int = REVIEW_MONTHS,
                 context: Sequence[Mapping[str, Any]] = (),
                 rules_applied: Mapping[str, Mapping[str, Any]] | None = None,
                 confirmation: Sequence[Mapping[str, Any]] = (), mermaid: str = "",
                 tool_version: str = __version__) -> DecisionRecord:
    """A proposed record from a decision (:class:`advisor.decide.Decision`); ``graph`` is
    ``faultdomain.to_json(...)`` of the same facts."""
    day = check_date(date) if date else default_date()
    chosen = result.outcome in ("recommend", "one-ruled-out")
    recommendation = result.recommendation if chosen and result.recommendation else "none"
    return DecisionRecord(
        number=number,
        title=title or default_title(workload, recommendation, result.outcome),
        date=day,
        decision_makers=list(decision_makers),
        supersedes=supersedes,
        review_by=add_months(day, review_months),
        workload=workload,
        recommendation=recommendation,
        outcome=result.outcome,
        configuration=result.configuration,
        probability=probability_of(result),
        close=result.uncertainty is not None and result.uncertainty.close,
        profile=profile,
        rules=rules,
        measurements=measurements or MeasurementsInfo(),
        tool_version=tool_version,
        command=command,
        decision=result,
        graph=dict(graph),
        tipping_points=[dict(t) for t in tipping_points],
        revisit_triggers=list(revisit_triggers),
        context=[dict(c) for c in context],
        rules_applied={k: dict(v) for k, v in (rules_applied or {}).items()},
        confirmation=[dict(c) for c in confirmation],
        mermaid=mermaid,
    )


def probability_of(result: Decision) -> float | None:
    """The probability that the recommended option is the better one (None without a comparison)."""
    p = result.p_bare_metal
    if p is None or result.recommendation is None:
        return None
    return p if result.recommendation == "bare-metal" else round(1.0 - p, 4) + 0.0


# --------------------------------------------------------------------------- writing


def write_record(record: DecisionRecord, directory: str | os.PathLike[str],
                 render_markdown: Callable[[DecisionRecord], str], *,
                 index: Callable[[Path, DecisionRecord], str | None] | None = None,
                 on_wait: Callable[[], None] | None = None) -> tuple[Path, Path, DecisionRecord]:
    """Store ``record`` as ``NNNN-slug.json`` and ``NNNN-slug.md``; never overwrite anything.

    Under the records-folder lock (:func:`advisor.atomic.locked`), the number is
    ``max(record.number, next_number(directory))``, so concurrent writers get distinct
    numbers. Both files (and the index, when ``index(directory, record)`` returns its
    text) are written as one journalled change (:mod:`advisor.journal`): a crash at any
    point leaves a folder that ``advisor records repair`` completes. Returns the
    markdown path, the JSON path and the record as written (with its final number).
    """
    base = Path(directory)
    with locked(base, on_wait=on_wait):
        number = max(record.number, next_number(base))
        current = record.model_copy(update={"number": number})
        md_path = base / f"{current.stem}.md"
        json_path = base / f"{current.stem}.json"
        for path in (json_path, md_path):
            if path.exists() or path.is_symlink():
                raise DataError("file already exists", "choose another name; existing files are never overwritten",
                                Location(str(path)))
        files = [(json_path.name, current.to_json()), (md_path.name, render_markdown(current))]
        index_text = index(base, current) if index is not None else None
        if index_text is not None:
            files.append((INDEX_NAME, index_text))
        journal.apply(base, files)
    return md_path, json_path, current
