"""A profile in memory: validated values, their provenance, and the round-trip YAML they came from.

A rewrite keeps the user's comments and key order; a load followed by a write with no
change gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor import yamlio
from advisor._version import __version__
from advisor.atomic import write_text
from advisor.errors import DataError
from advisor.profile.model import PROFILE_FORMAT, AnswerProvenance, Origin, Provenance, Source
from advisor.questionnaire import Questionnaire


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
            return "answered" if self._edited_default(key, self.values()) is not None else "default"
        return None

    def edited_defaults(self) -> dict[str, tuple[Any, Any]]:
        """Values under ``defaults`` that are not the questionnaire's default for the other values: key ->
        (value, the default). A hand edit, or a default that has changed since the file was written: either
        way the value is the profile's choice, not the default, and counts as an answer."""
        values = self.values()
        return {key: (value, default) for key, value in self.defaults.items()
                if (default := self._edited_default(key, values)) is not None}

    def _edited_default(self, key: str, values: Mapping[str, Any]) -> Any:
        """The question's default when the value under ``defaults`` is not it (parsed: a multi-select in the
        questionnaire's order, as the value is), else None."""
        question = self.questionnaire.by_key.get(key)
        if question is None or question.default is None:
            return None
        default = question.parse(self.questionnaire.default_for(key, values), from_text=False)
        return None if self.defaults[key] == default else default

    def where_default(self, key: str) -> str:
        """``file:line:col`` of ``key`` under ``defaults`` (the file's name when it has no position)."""
        if self._doc is None:
            return str(self.path or "profile")
        return str(self._doc.where(("defaults", key)))

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
        # read back by the C parser, its round-trip tree parsed only if the profile is rendered again (a few
        # commands write a profile twice): 0.8 ms instead of 14 for the round-trip parse of the example profile
        self._doc = yamlio.parse(text, str(path), roundtrip=False)
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
