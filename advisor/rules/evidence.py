"""The evidence catalogue: every source the rules cite, by a stable id.

``rules/evidence.yaml`` lists evidence items. Each says which document it comes from
(the exact URL of the document itself), the figure or sentence taken from it, the
platform, I/O path and year it describes, what the document shows (``premise``),
what a rule concludes from it (``conclusion``) and how strongly the document
supports *that conclusion* (``grade``). Rules cite items by id; one item backs one
conclusion, so an item is cited by at most one rule.

The grade ``measured`` is reserved for the user's own measurements on their own
platforms; it never appears in the catalogue. The file is validated once, at the
boundary, into strict models; every problem is ``file:line:col: what; what to do``.
The format is documented in docs/evidence.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor import yamlio
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.validation import validate

__all__ = [
    "EVIDENCE_FILE",
    "EVIDENCE_GRADES",
    "RESERVED_GRADES",
    "AppliesTo",
    "Catalogue",
    "EvidenceFile",
    "EvidenceGrade",
    "EvidenceItem",
    "check_citations",
    "citations",
    "load_catalogue",
    "render_markdown",
]

#: The catalogue's file name, at the top of a rule pack.
EVIDENCE_FILE = "evidence.yaml"

EvidenceGrade = Literal["peer-reviewed", "independent-benchmark", "vendor-benchmark", "expert-judgement", "opinion"]
#: Grades of the support an item gives its conclusion, strongest first.
EVIDENCE_GRADES: tuple[EvidenceGrade, ...] = (
    "peer-reviewed", "independent-benchmark", "vendor-benchmark", "expert-judgement", "opinion",
)
#: Grades that belong to the user's own measurements only, never to the catalogue.
RESERVED_GRADES = frozenset({"measured", "measured-here"})

Audit = Literal["pending", "audited", "rejected"]

_ID = r"^[a-z0-9][a-z0-9-]*$"
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
_TEXT = Field(min_length=1, pattern=r"\S")


class AppliesTo(BaseModel):
    """Where a figure holds: the platform, the I/O path and the year it describes."""

    model_config = _STRICT

    platform: str = Field(min_length=1, pattern=r"\S",
                          description="e.g. 'KVM/QEMU on Linux 3.x', 'AWS Nitro', 'any Kubernetes cluster'")
    io_path: str = Field(min_length=1, pattern=r"\S",
                         description="e.g. 'virtio-net with vhost', 'SR-IOV VF', 'not I/O-specific'")
    year: int = Field(ge=1990, le=2100, description="year of the hardware and software measured or described")


class EvidenceItem(BaseModel):
    """One figure or statement from one document, backing one conclusion."""

    model_config = _STRICT

    id: str = Field(pattern=_ID, max_length=80, description="stable slug; never renamed once published")
    source: str = Field(min_length=1, pattern=r"\S", description="authors, title, publisher or series")
    url: str = Field(min_length=1, description="the exact http(s) URL of the document itself (a DOI is fine)")
    published: int = Field(ge=1990, le=2100, description="year the document was published")
    figure: str = Field(min_length=1, pattern=r"\S", description="the quoted or tabled figure, verbatim where possible")
    applies_to: AppliesTo
    premise: str = Field(min_length=1, pattern=r"\S", description="what the document itself shows")
    conclusion: str = Field(min_length=1, pattern=r"\S", description="what the citing rule concludes from it")
    grade: EvidenceGrade = Field(description="support for the conclusion: " + " > ".join(EVIDENCE_GRADES))
    audit: Audit = Field(description="pending (migrated, not yet checked), audited, or rejected")
    verified: bool = Field(description="the figure was read in the document itself")
    reason: str | None = Field(None, min_length=1, pattern=r"\S",
                               description="required for a rejected or unverified item: why")
    note: str | None = Field(None, min_length=1, description="anything else a reviewer should know")

    @field_validator("grade", mode="before")
    @classmethod
    def _not_reserved(cls, value: Any) -> Any:
        if isinstance(value, str) and value in RESERVED_GRADES:
            raise ValueError(f"the grade {value!r} is reserved for the user's own measurements; "
                             "grade published evidence as one of " + ", ".join(EVIDENCE_GRADES))
        return value

    @field_validator("url")
    @classmethod
    def _document_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an http(s) URL; give the exact URL of the document")
        if parts.path in ("", "/") and not parts.query:
            raise ValueError(f"{value!r} is a site, not a document; give the URL of the page or paper itself")
        return value

    @model_validator(mode="after")
    def _reason_when_needed(self) -> EvidenceItem:
        if self.reason is None and self.audit == "rejected":
            raise ValueError("reason: a rejected item needs the reason; add 'reason:'")
        if self.reason is None and not self.verified:
            raise ValueError("reason: an unverified item needs the reason it could not be read; add 'reason:'")
        return self


class EvidenceFile(BaseModel):
    """``rules/evidence.yaml``: the format version and the items."""

    model_config = _STRICT

    advisor_evidence: Literal[1] = Field(description="format version of the catalogue")
    items: list[EvidenceItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> EvidenceFile:
        ids: dict[str, int] = {}
        figures: dict[tuple[str, str], int] = {}
        for i, item in enumerate(self.items):
            if item.id in ids:
                raise ValueError(f"items.{i}.id: duplicate id {item.id!r} (also item {ids[item.id] + 1}); "
                                 "ids are unique: rename the new one")
            ids[item.id] = i
            key = (item.url, " ".join(item.figure.split()))
            if key in figures:
                raise ValueError(f"items.{i}.figure: the same figure of the same document is already item "
                                 f"{self.items[figures[key]].id!r}; cite that id, or quote a different figure")
            figures[key] = i
        return self


@dataclass(frozen=True)
class Catalogue:
    """A loaded catalogue: the items by id, with the position of each in its file."""

    file: str
    items: tuple[EvidenceItem, ...]
    locations: Mapping[str, Location]

    def __iter__(self) -> Iterator[EvidenceItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, evidence_id: object) -> bool:
        return evidence_id in self.locations

    def item(self, evidence_id: str) -> EvidenceItem:
        """The item with this id; DataError with did-you-mean when there is none."""
        for item in self.items:
            if item.id == evidence_id:
                return item
        hint = did_you_mean(evidence_id, self.locations) or f"see the ids in {self.file}"
        raise DataError(f"no evidence item with id {evidence_id!r}", hint)


def load_catalogue(path: str | Path, *, display: str | None = None) -> Catalogue:
    """Read and validate an evidence catalogue; DataError with file:line:col on any problem."""
    shown = display if display is not None else Path(path).as_posix()
    doc = yamlio.load(path, display=shown)
    model = validate(EvidenceFile, doc)
    where = {item.id: doc.where(("items", i, "id")) for i, item in enumerate(model.items)}
    return Catalogue(shown, tuple(model.items), where)


# --------------------------------------------------------------------------- citations


def _cited(node: Any) -> Iterator[str]:
    """Evidence ids under every ``evidence`` key of a rule document, in order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "evidence":
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if isinstance(v, str):
                        yield v
                    elif isinstance(v, Mapping) and isinstance(v.get("id"), str):
                        yield v["id"]
            else:
                yield from _cited(value)
    elif isinstance(node, list):
        for v in node:
            yield from _cited(v)


def citations(pack_root: str | Path) -> dict[str, list[str]]:
    """Rule id -> the evidence ids its file cites, for every rule file of a pack folder.

    A rule cites an item by its id, as a string (or a mapping with ``id``) in any
    ``evidence:`` list of the rule file; inline evidence mappings without an ``id``
    are not citations of the catalogue and are ignored.
    """
    root = Path(pack_root)
    out: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == "cases" or path.parent.name.startswith("."):
            continue
        data = yamlio.load(path, display=path.relative_to(root).as_posix()).plain()
        rule_id = data.get("id") if isinstance(data.get("id"), str) else path.stem
        ids = list(_cited(data))
        if ids:
            out[rule_id] = ids
    return out


def check_citations(catalogue: Catalogue, cited: Mapping[str, Sequence[str]]) -> list[Problem]:
    """Problems with the rules' citations: unknown ids, rejected items, an item cited twice."""
    problems: list[Problem] = []
    users: dict[str, str] = {}
    for rule_id in sorted(cited):
        for evidence_id in cited[rule_id]:
            where = catalogue.locations.get(evidence_id)
            if where is None:
                hint = did_you_mean(evidence_id, catalogue.locations) or f"add it to {catalogue.file}"
                problems.append(Problem(f"rule {rule_id!r} cites {evidence_id!r}, which is not in the catalogue",
                                        hint, Location(catalogue.file)))
                continue
            if catalogue.item(evidence_id).audit == "rejected":
                problems.append(Problem(f"rule {rule_id!r} cites the rejected item {evidence_id!r}",
                                        "cite another item; the reason is in the catalogue", where))
            first = users.get(evidence_id)
            if first is not None:
                whom = "twice" if first == rule_id else f"by {first!r} and {rule_id!r}"
                problems.append(Problem(f"evidence {evidence_id!r} is cited {whom}",
                                        "one item backs one conclusion: split it into two items with "
                                        "different figures, or drop one citation", where))
            users.setdefault(evidence_id, rule_id)
    return problems


# --------------------------------------------------------------------------- reference


_BARE_URL = re.compile(r"(?<!<)(https?://[^\s<>]*[^\s<>.,;:)])")


def _cell(text: str) -> str:
    """One line of markdown: whitespace folded, pipes escaped, bare URLs as autolinks."""
    return _BARE_URL.sub(r"<\1>", " ".join(text.split()).replace("|", "\\|"))


_FORMAT = """\
## Format

`rules/evidence.yaml` holds `advisor_evidence: 1` and a list of `items`. Every key is
required unless marked optional; unknown keys are errors (`file:line:col`).

| key | meaning |
|---|---|
{fields}

Checks (`advisor rules lint` and the test suite): the URL is an http(s) URL of a
document, not of a site; the grade is one of the vocabulary above and never
`measured` (that grade belongs to the user's own measurements, which the catalogue
never holds); ids are unique; no two items quote the same figure of the same
document; a rejected or unverified item says why; every id a rule cites exists, is
not rejected, and is cited by one rule only (one item backs one conclusion).
"""


def _field_rows() -> list[str]:
    rows: list[str] = []
    for name, info in EvidenceItem.model_fields.items():
        if name == "applies_to":
            for sub, subinfo in AppliesTo.model_fields.items():
                rows.append(f"| `applies_to.{sub}` | {_cell(subinfo.description or '')} |")
            continue
        description = info.description or ""
        optional = "" if info.is_required() or description.startswith("required") else " (optional)"
        rows.append(f"| `{name}` | {_cell(description)}{optional} |")
    return rows


def render_markdown(catalogue: Catalogue, cited: Mapping[str, Sequence[str]]) -> str:
    """docs/evidence.md: the format, then every item with its grade, scope and citing rules."""
    users: dict[str, list[str]] = {}
    for rule_id in sorted(cited):
        for evidence_id in cited[rule_id]:
            users.setdefault(evidence_id, []).append(rule_id)
    counts = {grade: sum(1 for i in catalogue if i.grade == grade and i.audit != "rejected")
              for grade in EVIDENCE_GRADES}
    audits = {state: sum(1 for i in catalogue if i.audit == state) for state in ("audited", "pending", "rejected")}
    out = [
        "# Evidence catalogue\n",
        f"Generated from `{catalogue.file}` by `python scripts/gen_docs.py`; do not edit.\n",
        "Every source a rule cites is an item here, with the exact URL of the document, the "
        "figure taken from it, the platform, I/O path and year it describes, what the document "
        "shows (premise), what the citing rule concludes (conclusion), and the grade of the "
        "support it gives *that conclusion*: "
        + " > ".join(f"`{g}`" for g in EVIDENCE_GRADES)
        + ". The grade `measured` belongs to your own measurements (`advisor measure`) only.\n",
        f"{len(catalogue)} items: {audits['audited']} audited, {audits['pending']} pending, "
        f"{audits['rejected']} rejected. Grades of the items not rejected: "
        + ", ".join(f"{counts[g]} {g}" for g in EVIDENCE_GRADES) + ".\n",
        _FORMAT.format(fields="\n".join(_field_rows())),
        "## Items\n",
        "| id | grade | applies to | year | audit | cited by |",
        "|---|---|---|---|---|---|",
    ]
    for item in catalogue:
        scope = f"{item.applies_to.platform}; {item.applies_to.io_path}"
        audit = item.audit + ("" if item.verified else ", unverified")
        rules = ", ".join(f"`{r}`" for r in users.get(item.id, [])) or "-"
        out.append(f"| [`{item.id}`](#{item.id}) | {item.grade} | {_cell(scope)} | {item.applies_to.year} "
                   f"| {audit} | {rules} |")
    out.append("")
    for item in catalogue:
        out.append(f"### {item.id}\n")
        out.append(f"- **Source:** {_cell(item.source)} ({item.published}), <{item.url}>")
        out.append(f"- **Figure:** {_cell(item.figure)}")
        out.append(f"- **Applies to:** {_cell(item.applies_to.platform)}; {_cell(item.applies_to.io_path)}; "
                   f"{item.applies_to.year}")
        out.append(f"- **Premise:** {_cell(item.premise)}")
        out.append(f"- **Conclusion:** {_cell(item.conclusion)}")
        out.append(f"- **Grade:** {item.grade}; **audit:** {item.audit}; "
                   f"**verified:** {'yes' if item.verified else 'no'}")
        if item.reason:
            out.append(f"- **Reason:** {_cell(item.reason)}")
        if item.note:
            out.append(f"- **Note:** {_cell(item.note)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
