"""Workload profiles: validated answers plus provenance, kept as YAML in git.

A profile file (format in docs/profile-format.md)::

    advisor_profile: 1
    questionnaire: {id: default, version: 1}
    answers:
      workload_name: payments-api  # Name of the workload or platform
    defaults:
      workload_class: web-services  # What kind of workload is it?
    answer_provenance:
      crd_count: {kind: observed, source: [dump:estate/prod/cluster.json], time: ..., derivation: ..., expires: ...}
    provenance: {created: ..., tool_version: ..., answered_by: ..., source: interactive}

Every value has a provenance (:data:`Origin`): ``answers`` holds what a person gave
(typed, or a shown default confirmed with Enter) or ``--set`` gave; ``defaults`` holds
the defaults of questions that were never shown, recorded as such; ``notes`` holds an
optional reason per answer, carried into the decision record; ``answer_provenance``
says, per answer key, where a value no person typed came from (``observed`` from a
cluster by ``advisor observe``, ``measured``), when, how, and until when it holds.
The file is read and written with round-trip YAML so that a rewrite keeps the user's
comments and key order, and a load followed by a write with no change gives the same
bytes.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor import inputs, yamlio
from advisor._version import __version__
from advisor.atomic import write_text
from advisor.errors import DataError, Location, Problem, UsageError, did_you_mean
from advisor.questionnaire import Mode, Questionnaire
from advisor.validation import validate

__all__ = [
    "PROFILE_FORMAT",
    "AnswerProvenance",
    "Plan",
    "Profile",
    "ProfileFile",
    "Provenance",
    "default_output",
    "load",
    "parse_assignment",
    "plan",
]

#: Version of the profile file format (the ``advisor_profile`` key).
PROFILE_FORMAT = 1

Source = Literal["interactive", "file", "set", "defaults", "observed"]

#: Where one value came from: a person (``answered``: typed or a shown default confirmed),
#: the questionnaire (``default``: never shown), or a later stage that fills facts in
#: (``observed`` from a running platform, ``measured`` by a benchmark).
Origin = Literal["answered", "default", "observed", "measured"]


class QuestionnaireRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="id of the questionnaire that asked the questions")
    version: int = Field(ge=1, description="its version")


class Provenance(BaseModel):
    """Who or what produced the answers, and when."""

    model_config = ConfigDict(extra="forbid")

    created: str = Field(description="when the profile was first written (ISO 8601, UTC)")
    updated: str | None = Field(None, description="when it was last rewritten")
    tool_version: str = Field(description="advisor version that wrote it")
    answered_by: str = Field(description="who answered (login name, or --answered-by)")
    source: Source = Field(description="where the answers came from in the last write")
    complete: bool = Field(True, description="false for a partial profile saved on Ctrl-C")


class AnswerProvenance(BaseModel):
    """Where one answer came from, when, how, and until when it holds."""

    model_config = ConfigDict(extra="forbid")

    kind: Origin = Field(description="answered, default, observed or measured")
    source: list[str] = Field(default_factory=list, description="what it was read from: context:NAME or "
                              "dump:FOLDER/FILE.json (observed), a results file (measured)")
    time: str | None = Field(None, description="when it was read (ISO 8601, UTC)")
    derivation: str | None = Field(None, description="how the value was derived from the source")
    expires: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                description="date (YYYY-MM-DD) after which it must be observed again")
    partial: str | None = Field(None, description="why the value may be incomplete (clusters or kinds missing)")
    options: dict[str, Any] | None = Field(None, description="observation options that shaped the derivation")


class ProfileFile(BaseModel):
    """The structure of a profile file (answers are checked against the questionnaire)."""

    model_config = ConfigDict(extra="forbid")

    advisor_profile: Literal[1] = Field(description="format version of this file")
    questionnaire: QuestionnaireRef
    answers: dict[str, Any] = Field(default_factory=dict, description="answers given, by question key")
    defaults: dict[str, Any] = Field(default_factory=dict,
                                     description="defaults of questions never shown, by question key")
    notes: dict[str, str] = Field(default_factory=dict,
                                  description="why an answer was given (optional, one line), by question key")
    answer_provenance: dict[str, AnswerProvenance] = Field(
        default_factory=dict, description="where answers came from, by question key (none: answered by a person)")
    provenance: Provenance | None = None

    @field_validator("answers", "defaults", "notes", "answer_provenance", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return {} if value is None else value  # a hand-written "answers:" with nothing under it


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        moment = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    else:
        moment = _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


@dataclass
class Profile:
    """A profile in memory: validated values plus the round-trip tree they came from."""

    questionnaire: Questionnaire
    answers: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None
    path: Path | None = None
    _doc: yamlio.Document | None = None
    _dirty: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    answer_provenance: dict[str, AnswerProvenance] = field(default_factory=dict)

    # ------------------------------------------------------------- values

    def values(self) -> dict[str, Any]:
        """Defaults overlaid by answers, in questionnaire order (what the rules see)."""
        out: dict[str, Any] = {}
        for key in self.questionnaire.keys():
            if key in self.answers:
                out[key] = self.answers[key]
            elif key in self.defaults:
                out[key] = self.defaults[key]
        return out

    def has(self, key: str) -> bool:
        return key in self.answers or key in self.defaults

    def origin(self, key: str) -> Origin | None:
        """Where the value of ``key`` came from, or None when it has no value."""
        if key in self.answers:
            entry = self.answer_provenance.get(key)
            return entry.kind if entry is not None else "answered"
        if key in self.defaults:
            return "default"
        return None

    def origins(self) -> dict[str, Origin]:
        """The origin of every value, in questionnaire order."""
        return {key: origin for key in self.values() if (origin := self.origin(key)) is not None}

    def set_note(self, key: str, text: str) -> None:
        """Record why ``key`` was answered as it was (an empty text removes the note)."""
        self.questionnaire.question(key)
        note = " ".join(text.split())
        if len(note) > 300:
            raise DataError(f"the note on {key} is longer than 300 characters", "shorten it to one line")
        if self.notes.get(key, "") != note:
            self._dirty = True
        if note:
            self.notes[key] = note
        else:
            self.notes.pop(key, None)

    def set_answer(self, key: str, value: Any) -> None:
        """Record a validated answer given by a person (moving the key out of ``defaults``)."""
        if self.answers.get(key, _MISSING) != value or key in self.defaults or key in self.answer_provenance:
            self._dirty = True
        self.defaults.pop(key, None)
        self.answer_provenance.pop(key, None)
        self.answers[key] = value

    def set_observed(self, key: str, value: Any, provenance: AnswerProvenance) -> None:
        """Record an answer that was observed or measured, with where it came from."""
        if (self.answers.get(key, _MISSING) != value or key in self.defaults
                or self.answer_provenance.get(key) != provenance):
            self._dirty = True
        self.defaults.pop(key, None)
        self.answers[key] = value
        self.answer_provenance[key] = provenance

    def set_default(self, key: str) -> None:
        """Record that the question's default was taken without showing it (it follows earlier answers)."""
        question = self.questionnaire.question(key)
        if question.default is None:
            raise DataError(f"{key} has no default", f"give it with --set {key}=VALUE")
        default = self.questionnaire.default_for(key, self.values())
        if self.defaults.get(key, _MISSING) != default or key in self.answers:
            self._dirty = True
        self.answers.pop(key, None)
        self.answer_provenance.pop(key, None)
        self.defaults[key] = default

    def drop_defaults(self) -> None:
        """Forget every recorded default (a partial profile: they are decided again on resume)."""
        if self.defaults:
            self._dirty = True
        self.defaults.clear()

    def forget(self, key: str) -> None:
        if key in self.answers or key in self.defaults:
            self._dirty = True
        self.answers.pop(key, None)
        self.defaults.pop(key, None)
        self.notes.pop(key, None)
        self.answer_provenance.pop(key, None)

    @property
    def changed(self) -> bool:
        return self._dirty or self._doc is None

    # ------------------------------------------------------------- writing

    def render(self, *, source: Source, complete: bool = True, answered_by: str | None = None) -> str:
        """The profile file text. Unchanged loaded profiles come back byte for byte."""
        same_state = self.provenance is None or self.provenance.complete == complete
        if self._doc is not None and not self._dirty and same_state:
            return yamlio.dump(self._doc.root)
        root = self._doc.root if self._doc is not None else _new_root(self.questionnaire)
        now = _now()
        old = self.provenance
        prov = Provenance(
            created=old.created if old else now,
            updated=now if old else None,
            tool_version=__version__,
            answered_by=answered_by or (old.answered_by if old else None) or _who(),
            source=source,
            complete=complete,
        )
        # a key moving between 'answers' and 'defaults' takes the user's line comment along
        kept = {key: text for name in ("answers", "defaults") if hasattr(root.get(name), "yaml_add_eol_comment")
                for key in root[name] if (text := yamlio.eol_comment(root[name], key))}
        _sync_section(root, "answers", self.answers, self.questionnaire, kept)
        _sync_section(root, "defaults", self.defaults, self.questionnaire, kept)
        if self.notes or "notes" in root:
            _sync_section(root, "notes", {k: v for k, v in self.notes.items() if k in self.values()},
                          self.questionnaire, {}, comment=False)
            if not root["notes"]:
                del root["notes"]
        _sync_provenance(root, self.answer_provenance, self.questionnaire)
        prov_map = yamlio.flow(yamlio.new_map(prov.model_dump(exclude_none=True, exclude_defaults=False)))
        if prov.complete:
            del prov_map["complete"]
        root["provenance"] = prov_map
        self.provenance = prov
        return yamlio.dump(root)

    def write(self, path: Path, *, source: Source, complete: bool = True, answered_by: str | None = None) -> None:
        """Write the profile atomically to ``path``."""
        text = self.render(source=source, complete=complete, answered_by=answered_by)
        write_text(path, text)
        self.path = path
        self._doc = yamlio.parse(text, str(path))
        self._dirty = False


_MISSING = object()


def _new_root(questionnaire: Questionnaire) -> Any:
    root = yamlio.new_map()
    root["advisor_profile"] = PROFILE_FORMAT
    root["questionnaire"] = yamlio.flow(yamlio.new_map({"id": questionnaire.id, "version": questionnaire.version}))
    root["answers"] = yamlio.new_map()
    root["defaults"] = yamlio.new_map()
    return root


def _yaml_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # 5, not 5.0: the float question reads it back as 5.0
    if isinstance(value, list):
        return yamlio.flow(yamlio.new_seq(value))
    return value


def _comment_column(key: str, value: Any) -> int:
    shown = yamlio.dump({key: _yaml_value(value)}).splitlines()[0]
    return 2 + len(shown) + 2


def _sync_section(root: Any, name: str, values: Mapping[str, Any], questionnaire: Questionnaire,
                  comments: Mapping[str, str], *, comment: bool = True) -> None:
    """Make ``root[name]`` hold ``values``: update in place, keep comments and order."""
    section = root.get(name)
    if section is None or not hasattr(section, "yaml_add_eol_comment"):
        section = yamlio.new_map()
        # keep 'answers' before 'defaults' before 'provenance'
        if "provenance" in root:
            root.insert(list(root.keys()).index("provenance"), name, section)
        else:
            root[name] = section
    for key in [k for k in section if k not in values]:
        yamlio.remove_key(section, key)  # comment lines below it stay where they are
    order = {k: i for i, k in enumerate(questionnaire.keys())}
    for key in sorted(values, key=lambda k: order.get(k, len(order))):
        value = values[key]
        if key in section:
            if section[key] != value or type(section[key]) is not type(_yaml_value(value)):
                section[key] = _yaml_value(value)
            continue
        # a new key: in questionnaire order among the keys we placed, comment = prompt
        position = len(section)
        for i, existing in enumerate(section):
            if order.get(existing, len(order)) > order.get(key, len(order)):
                position = i
                break
        section.insert(position, key, _yaml_value(value))
        if comment:
            text = comments.get(key) or questionnaire.question(key).prompt
            yamlio.set_comment(section, key, text, column=_comment_column(key, value))


def _sync_provenance(root: Any, entries: Mapping[str, AnswerProvenance], questionnaire: Questionnaire) -> None:
    """Make ``root['answer_provenance']`` hold ``entries``, one flow mapping per key, in questionnaire order."""
    if not entries:
        if "answer_provenance" in root:
            del root["answer_provenance"]
        return
    order = {k: i for i, k in enumerate(questionnaire.keys())}
    section = yamlio.new_map()
    for key in sorted(entries, key=lambda k: order.get(k, len(order))):
        data = entries[key].model_dump(exclude_none=True)
        if not data.get("source"):
            data.pop("source", None)
        item = yamlio.flow(yamlio.new_map(data))
        if "source" in item:
            item["source"] = yamlio.flow(yamlio.new_seq(data["source"]))
        section[key] = item
    if "answer_provenance" in root:
        root["answer_provenance"] = section
    elif "provenance" in root:
        root.insert(list(root.keys()).index("provenance"), "answer_provenance", section)
    else:
        root["answer_provenance"] = section


# ----------------------------------------------------------------- loading


def load(path: str | Path, questionnaire: Questionnaire, *, display: str | None = None) -> Profile:
    """Load a profile file and validate every value against the questionnaire."""
    doc = yamlio.load(path, display=display, max_bytes=inputs.limit("profile"))
    model = validate(ProfileFile, doc)
    ref = model.questionnaire
    if ref.id != questionnaire.id:
        raise DataError(
            f"profile was written for questionnaire {ref.id!r}, not {questionnaire.id!r}",
            "use --questionnaire with the matching file",
            doc.where(("questionnaire", "id")),
        )
    if ref.version > questionnaire.version:
        raise DataError(
            f"profile needs questionnaire {ref.id!r} version {ref.version}, "
            f"this one is version {questionnaire.version}",
            "upgrade advisor",
            doc.where(("questionnaire", "version")),
        )
    problems: list[Problem] = []
    answers = _check_section(doc, "answers", model.answers, questionnaire, problems)
    defaults = _check_section(doc, "defaults", model.defaults, questionnaire, problems)
    for key in sorted(set(answers) & set(defaults)):
        problems.append(Problem(
            f"{key!r} is both answered and defaulted", "keep it under 'answers' only",
            doc.where(("defaults", key), key=True),
        ))
    notes: dict[str, str] = {}
    for key, text in model.notes.items():
        if key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint, doc.where(("notes", key), key=True)))
        elif len(text) > 300 or "\n" in text.strip():
            problems.append(Problem(f"the note on {key} is not one line of at most 300 characters",
                                    "shorten it to one line", doc.where(("notes", key))))
        else:
            notes[key] = text.strip()
    for key, entry in model.answer_provenance.items():
        held = "answers" if entry.kind != "default" else "defaults"
        if key not in (answers if held == "answers" else defaults) and key in questionnaire.by_key:
            problems.append(Problem(f"provenance for {key!r}, which is not under {held!r}",
                                    f"remove answer_provenance.{key} or give the answer",
                                    doc.where(("answer_provenance", key), key=True)))
        elif key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint,
                                    doc.where(("answer_provenance", key), key=True)))
    if problems:
        raise DataError("", problems=problems)
    return Profile(questionnaire, answers, defaults, model.provenance, Path(path), doc, notes=notes,
                   answer_provenance=dict(model.answer_provenance))


def _check_section(doc: yamlio.Document, section: str, values: Mapping[str, Any], questionnaire: Questionnaire,
                   problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint, doc.where((section, key), key=True)))
            continue
        try:
            out[key] = questionnaire.by_key[key].parse(raw, from_text=False)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            problems.append(Problem(f"{key}: {message}", hint or None, doc.where((section, key))))
    return out


def new(questionnaire: Questionnaire) -> Profile:
    return Profile(questionnaire)


# ----------------------------------------------------------------- --set and planning

_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)


def parse_assignment(text: str, questionnaire: Questionnaire) -> tuple[str, Any]:
    """Parse and validate one ``--set key=value``; UsageError on any problem."""
    match = _ASSIGN.match(text)
    where = Location("--set")
    if match is None:
        raise UsageError(f"{text!r} is not key=value", "write e.g. --set latency_p99_ms=5", where)
    key, raw = match.group(1), match.group(2)
    if key not in questionnaire.by_key:
        raise UsageError(f"unknown question key {key!r}", suggest_key(key, questionnaire.keys()), where)
    try:
        return key, questionnaire.by_key[key].parse(raw, from_text=True)
    except ValueError as exc:
        message, _, hint = str(exc).partition("; ")
        raise UsageError(f"{key}: {message}", hint or None, where) from None


def suggest_key(key: str, keys: Sequence[str]) -> str:
    """A hint for an unknown key: keys that start with it or contain it as a word, else the closest."""
    word = key.lower()
    parts = [k for k in keys if k.startswith(word) or word in k.split("_")]
    if 0 < len(parts) <= 3:
        return "did you mean " + " or ".join(repr(k) for k in parts) + "?"
    return did_you_mean(word, keys) or "run 'advisor questions' to list the keys"


@dataclass
class Plan:
    """Which questions to ask and which take their defaults."""

    ask: list[str]
    take_default: list[str]
    missing: list[str]  # would be asked, but there is no terminal and no --defaults


def plan(profile: Profile, *, mode: Mode, use_defaults: bool, reask: Sequence[str] = (),
         interactive: bool) -> Plan:
    """Decide, question by question, what happens (conditions see earlier values)."""
    q = profile.questionnaire
    reask_set = set(reask)
    for key in reask:
        q.question(key)
    selected = {x.key for x in q.selected(mode)}
    values = profile.values()
    ask: list[str] = []
    take_default: list[str] = []
    missing: list[str] = []
    for question in q.questions:
        key = question.key
        if key not in reask_set and profile.has(key):
            continue
        has_default = question.default is not None
        if key in reask_set:
            (ask if interactive else missing).append(key)
        elif not (key in selected and q.applies(key, values)):
            if has_default:
                take_default.append(key)  # not asked in this mode, or its condition is false
        elif use_defaults and has_default:
            take_default.append(key)
        elif interactive:
            ask.append(key)
        else:
            missing.append(key)
        # later conditions see the default of a question not yet answered
        if key not in values and has_default:
            values[key] = q.default_for(key, values)
    return Plan(ask, take_default, missing)


def default_output(profile: Profile) -> Path:
    """``<workload-name>.profile.yaml`` in the current directory."""
    name = str(profile.values().get("workload_name") or "advisor")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "advisor"
    return Path(f"{slug}.profile.yaml")


@dataclass
class Gathered:
    """A profile ready for questions: what to ask, what to default, what is missing."""

    profile: Profile
    plan: Plan
    source: Source


def gather(questionnaire: Questionnaire, *, profile_path: Path | None, sets: Sequence[str], use_defaults: bool,
           reask: Sequence[str], mode: Mode, interactive: bool) -> Gathered:
    """Load ``--profile``, apply ``--set`` values and plan the questions (no prompting here)."""
    profile = load(profile_path, questionnaire) if profile_path is not None else new(questionnaire)
    if profile.provenance is not None and not profile.provenance.complete:
        # a partial profile's defaults were never confirmed: decide them again (and ask them in this mode)
        profile.drop_defaults()
    if list(reask) == ["all"]:
        reask = [q.key for q in questionnaire.selected(mode) if q.key not in ("all",)]
    given = [parse_assignment(text, questionnaire) for text in sets]
    for key, value in given:
        profile.set_answer(key, value)
    if reask and not interactive:
        raise UsageError(
            f"--ask {','.join(reask)} needs a terminal to ask on", "use --set key=value to change answers instead"
        )
    the_plan = plan(profile, mode=mode, use_defaults=use_defaults, reask=reask, interactive=interactive)
    if the_plan.ask:
        source: Source = "interactive"
    elif given:
        source = "set"
    elif profile_path is not None:
        source = "file"
    else:
        source = "defaults"
    return Gathered(profile, the_plan, source)


def missing_error(keys: Sequence[str], questionnaire: Questionnaire) -> DataError:
    """The error for answers that are missing on a non-terminal."""
    required = [k for k in keys if questionnaire.by_key[k].default is None]
    listed = ", ".join(keys)
    if required and len(required) == len(keys):
        hint = "give " + " ".join(f"--set {k}=VALUE" for k in required)
    elif required:
        hint = ("give " + " ".join(f"--set {k}=VALUE" for k in required)
                + " and use --defaults for the rest, or run on a terminal")
    else:
        hint = "give them with --set key=value or --profile FILE, use --defaults, or run on a terminal"
    return DataError(f"missing answers (no terminal to ask on): {listed}", hint)


def json_schema(questionnaire: Questionnaire) -> dict[str, Any]:
    """JSON Schema of profile files for ``questionnaire``, with a schema per answer key."""
    schema = ProfileFile.model_json_schema()
    per_key: dict[str, Any] = {}
    for q in questionnaire.questions:
        item: dict[str, Any]
        if q.type == "str":
            item = {"type": "string"}
            if q.pattern:
                item["pattern"] = q.pattern
        elif q.type == "bool":
            item = {"type": "boolean"}
        elif q.type in ("int", "float"):
            item = {"type": "integer" if q.type == "int" else "number"}
            if q.min is not None:
                item["exclusiveMinimum" if q.min_exclusive else "minimum"] = q.min
            if q.max is not None:
                item["maximum"] = q.max
        elif q.type == "choice":
            item = {"type": "string", "enum": list(q.choice_values)}
        else:
            item = {"type": "array", "items": {"type": "string", "enum": list(q.choice_values)},
                    "minItems": 1, "uniqueItems": True}
        item["description"] = q.prompt + (f" ({q.unit})" if q.unit else "")
        if q.default is not None:
            item["default"] = q.default
        per_key[q.key] = item
    for section in ("answers", "defaults"):
        schema["properties"][section] = {
            "type": "object", "additionalProperties": False, "properties": per_key,
            "description": schema["properties"][section].get("description", ""),
        }
    schema["title"] = f"advisor profile (questionnaire {questionnaire.id} v{questionnaire.version})"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
