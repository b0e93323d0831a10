"""The decision-record model: the JSON twin of every record, and how one is read back.

A decision record is an architecture decision record in MADR 4.0 form (markdown,
rendered by :mod:`advisor.render`) with a JSON twin holding every number. The field
names of :class:`DecisionRecord` are the stored format (docs/decision-records.md): keep them stable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer

from advisor.decide.model import OutcomeKind
from advisor.decide.outcome import Decision
from advisor.errors import DataError, Location
from advisor.records.naming import DATE_PATTERN, slugify
from advisor.yamlio import parse_json

#: Version of the record format (the ``advisor_record`` key).
RECORD_FORMAT = 2
#: A record is due for review this many months after its date.
REVIEW_MONTHS = 12

Status = Literal["proposed", "accepted", "rejected", "superseded", "deprecated"]
STATUSES: tuple[Status, ...] = ("proposed", "accepted", "rejected", "superseded", "deprecated")
Recommendation = Literal["bare-metal", "vm", "none"]

_SHA = r"^[0-9a-f]{64}$"


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
    date: str = Field(pattern=DATE_PATTERN)
    decision_makers: list[str] = Field(default_factory=list)
    supersedes: int | None = Field(None, ge=1)
    superseded_by: int | None = Field(None, ge=1)
    review_by: str | None = Field(None, pattern=DATE_PATTERN)
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


#: Statuses whose records are still in force (checked by :func:`check`).
ACTIVE: tuple[Status, ...] = ("proposed", "accepted")
