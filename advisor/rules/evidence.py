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
The format is documented in docs/evidence.md. The rules' citations of it and their
check are in :mod:`advisor.rules.citations`, docs/evidence.md is written by
:mod:`advisor.rules.evidence_reference`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor import yamlio
from advisor.errors import DataError, Location, did_you_mean
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
    "json_schema",
    "load_catalogue",
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
