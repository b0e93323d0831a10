"""Observed answers into a profile: provenance, expiry, and never over a person's answer.

An observed value replaces a default, an unanswered question or an earlier
observation. It never replaces a value a person answered unless ``force`` is given;
either way every difference between the observed and the answered value is returned,
to be shown.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from advisor.observe.derive import Estate
from advisor.profile import AnswerProvenance, Profile

__all__ = ["DEFAULT_EXPIRY_DAYS", "Change", "merge", "now"]

#: an observation holds this many days unless told otherwise
DEFAULT_EXPIRY_DAYS = 90

Action = Literal["set", "updated", "unchanged", "kept", "overwritten", "agrees", "invalid"]


@dataclass(frozen=True)
class Change:
    """What observing did to one answer key."""

    key: str
    value: Any
    before: Any
    before_kind: str | None
    action: Action
    derivation: str
    partial: str | None = None
    #: for ``invalid``: why the observed value is not a valid answer
    problem: str | None = None

    @property
    def differs(self) -> bool:
        return self.before_kind is not None and self.before != self.value


def now() -> _dt.datetime:
    """Now in UTC, to the second (or SOURCE_DATE_EPOCH, for reproducible files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0)


def merge(profile: Profile, estate: Estate, *, force: bool = False, at: _dt.datetime | None = None,
          expires_days: int = DEFAULT_EXPIRY_DAYS, options: Mapping[str, Any] | None = None) -> list[Change]:
    """Put the observed answers of ``estate`` into ``profile``; return one change per observed key."""
    moment = at or now()
    stamp = moment.isoformat().replace("+00:00", "Z")
    expires = (moment + _dt.timedelta(days=expires_days)).date().isoformat()
    changes: list[Change] = []
    for obs in estate.observed:
        question = profile.questionnaire.by_key.get(obs.key)
        if question is None:
            continue  # a questionnaire without this key: nothing to fill
        before_kind = profile.origin(obs.key)
        before = profile.values().get(obs.key)
        try:
            value = question.parse(obs.value, from_text=False)
        except ValueError as exc:
            changes.append(Change(obs.key, obs.value, before, before_kind, "invalid", obs.derivation, obs.partial,
                                  str(exc).partition("; ")[0]))
            continue
        prov = AnswerProvenance(kind="observed", source=list(obs.sources), time=stamp, derivation=obs.derivation,
                                expires=expires, partial=obs.partial, options=dict(options) if options else None)
        action: Action
        if before_kind == "answered":
            if before == value:
                action = "agrees"
            elif force:
                action = "overwritten"
            else:
                action = "kept"
        elif before_kind == "observed":
            action = "unchanged" if before == value else "updated"
        else:
            action = "set"
        if action not in ("kept", "agrees"):
            profile.set_observed(obs.key, value, prov)
        changes.append(Change(obs.key, value, before, before_kind, action, obs.derivation, obs.partial))
    return changes
