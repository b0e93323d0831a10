"""Dates, titles and slugs of records, and the options' names in prose."""

from __future__ import annotations

import calendar
import datetime as _dt
import os
import re

#: A date as records write it: YYYY-MM-DD.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
#: The option as a noun: "bare metal".
OPTION_NAMES: dict[str, str] = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "neither option"}
#: The option as an adjective: "bare-metal nodes".
NODE_NAMES: dict[str, str] = {"bare-metal": "bare-metal", "vm": "VM-backed", "none": "neither"}


def default_date() -> str:
    """Today (UTC) as YYYY-MM-DD, or the day of ``SOURCE_DATE_EPOCH`` when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.datetime.now(tz=_dt.UTC).date().isoformat()


def check_date(text: str) -> str:
    """``text`` when it is a real YYYY-MM-DD date; ValueError otherwise."""
    try:
        if not re.match(DATE_PATTERN, text):
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
