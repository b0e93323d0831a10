"""The evidence catalogue: every source the rules cite, by a stable id.

``rules/evidence.yaml`` lists evidence items. Each says which document it comes from
(the exact URL of the document itself), the figure or sentence taken from it, the
platform, I/O path and year it describes, what the document shows (``premise``),
what a rule concludes from it (``conclusion``) and how strongly the document
supports *that conclusion* (``grade``). Rules cite items by id; no item backs two
consequence estimates (a constraint may cite the document an estimate cites: a
constraint only rules an option in or out, so the item is not counted twice in the
score).

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
    "Citation",
    "EvidenceFile",
    "EvidenceGrade",
    "EvidenceItem",
    "check_citations",
    "citations",
    "json_schema",
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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an evidence catalogue file (``advisor schema evidence``)."""
    schema = EvidenceFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "advisor evidence catalogue"
    return schema


def load_catalogue(path: str | Path, *, display: str | None = None) -> Catalogue:
    """Read and validate an evidence catalogue; DataError with file:line:col on any problem."""
    shown = display if display is not None else Path(path).as_posix()
    doc = yamlio.load(path, display=shown, roundtrip=False)
    model = validate(EvidenceFile, doc)
    where = {item.id: doc.where(("items", i, "id")) for i, item in enumerate(model.items)}
    return Catalogue(shown, tuple(model.items), where)


# --------------------------------------------------------------------------- citations


@dataclass(frozen=True)
class Citation:
    """One reference from a rule to a catalogue item, and where the rule makes it.

    ``estimate``: the citing rule is a consequence (its item backs an estimate in the
    score); a constraint's citation is not.
    """

    evidence_id: str
    location: Location | None = None
    estimate: bool = True


def _cited(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(evidence id, path of the value) under every ``evidence`` key of a rule document, in order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "evidence":
                values = value if isinstance(value, list) else [value]
                for i, v in enumerate(values):
                    at = (*path, key, i) if isinstance(value, list) else (*path, key)
                    if isinstance(v, str):
                        yield v, at
                    elif isinstance(v, Mapping) and isinstance(v.get("id"), str):
                        yield v["id"], (*at, "id")
            else:
                yield from _cited(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _cited(v, (*path, i))


def citations(pack_root: str | Path, *, display: str | None = None) -> dict[str, list[Citation]]:
    """Rule id -> the evidence items its file cites, for every rule file of a pack folder.

    A rule cites an item by its id, as a string (or a mapping with ``id``) in any
    ``evidence:`` list of the rule file; inline evidence mappings without an ``id``
    are not citations of the catalogue and are ignored. File names in locations are
    shown under ``display`` (default: the folder as given).
    """
    root = Path(pack_root)
    shown = display if display is not None else root.as_posix()
    out: dict[str, list[Citation]] = {}
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == "cases" or path.parent.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        doc = yamlio.load(path, display=rel if shown == "." else f"{shown}/{rel}", roundtrip=False)
        data = doc.plain()
        if not isinstance(data, dict):
            continue
        rule_id = data["id"] if isinstance(data.get("id"), str) else path.stem
        estimate = data.get("kind") != "constraint"
        found = [Citation(evidence_id, doc.where(at), estimate) for evidence_id, at in _cited(data)]
        if found:
            out[rule_id] = found
    return out


def _citation(value: str | Citation) -> Citation:
    return value if isinstance(value, Citation) else Citation(value)


def check_citations(catalogue: Catalogue, cited: Mapping[str, Sequence[str | Citation]]) -> list[Problem]:
    """Problems with the rules' citations: unknown ids, rejected items, an item backing two estimates.

    An item backs one consequence estimate: a second consequence citing it (or the same
    one twice) is a problem; constraints may cite it too.

    Each problem points at the citation in the rule file when its location is known,
    otherwise at the catalogue.
    """
    problems: list[Problem] = []
    users: dict[str, str] = {}
    for rule_id in sorted(cited):
        for citation in map(_citation, cited[rule_id]):
            evidence_id = citation.evidence_id
            item_at = catalogue.locations.get(evidence_id)
            if item_at is None:
                hint = did_you_mean(evidence_id, catalogue.locations) or f"add it to {catalogue.file}"
                problems.append(Problem(f"rule {rule_id!r} cites {evidence_id!r}, which is not in the catalogue",
                                        hint, citation.location or Location(catalogue.file)))
                continue
            where = citation.location or item_at
            if catalogue.item(evidence_id).audit == "rejected":
                problems.append(Problem(f"rule {rule_id!r} cites the rejected item {evidence_id!r}",
                                        f"cite another item; the reason is in {item_at}", where))
            if not citation.estimate:
                continue
            first = users.get(evidence_id)
            if first is not None:
                whom = "twice" if first == rule_id else f"by {first!r} and {rule_id!r}"
                problems.append(Problem(f"evidence {evidence_id!r} backs two consequence estimates (cited {whom})",
                                        "an item backs one consequence estimate: split it into two "
                                        "items with different figures, or drop one citation", where))
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
required unless marked optional; unknown keys are errors (`file:line:col`). For editors:
`advisor schema evidence > evidence.schema.json` (also in `docs/schemas/`).

| key | meaning |
|---|---|
{fields}

A rule cites items by id in an `evidence:` list, for example
`evidence: [felter2014-netperf-tcp-rr]` (a mapping with an `id` key counts too).

Checks, run by `advisor rules lint` and `advisor rules test` on any pack folder that has
an `evidence.yaml`, and by the test suite: the URL is an http(s) URL of a document, not
of a site; the grade is one of the vocabulary above and never `measured` (that grade
belongs to the user's own measurements, which the catalogue never holds); ids are
unique; no two items quote the same figure of the same document; a rejected or
unverified item says why; every id a rule cites exists and is not rejected; no item backs
two consequence estimates in the whole pack (a constraint may cite the document an estimate
cites: it rules an option in or out and adds nothing to the score, so nothing is counted
twice).

Grading: the grade is the support the document gives the item's *conclusion*, not its
premise. The project documentation of Kubernetes and of a vendor's own product is
authoritative for what the product does and is graded `expert-judgement`; a vendor's
performance claim with a published benchmark is `vendor-benchmark`, without one
`opinion`; a third party's published measurement is `independent-benchmark`; a paper
whose peer-reviewed text carries the figure is `peer-reviewed`. A figure says which
platform, I/O path and year it describes and holds only there.
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


def render_markdown(catalogue: Catalogue, cited: Mapping[str, Sequence[str | Citation]]) -> str:
    """docs/evidence.md: the format, then every item with its grade, scope and citing rules."""
    users: dict[str, list[str]] = {}
    for rule_id in sorted(cited):
        for citation in map(_citation, cited[rule_id]):
            users.setdefault(citation.evidence_id, []).append(rule_id)
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
