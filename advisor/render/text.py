"""Words and escaping shared by the record's sections (markdown escaping lives in :mod:`advisor.markdown`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from advisor import markdown, tables
from advisor.records import OPTION_NAMES, slugify

OPTIONS = ("bare-metal", "vm")
CRITERION_WORDS = {
    "performance": "performance", "isolation": "isolation", "operations": "operations",
    "resilience": "resilience", "cost": "cost",
}
SOURCE_WORDS = {"prior": "published range", "measured": "measured", "default": "pack default",
                 "unknown": "unknown answer"}


inline = markdown.inline
code = markdown.code
url = markdown.url
shell_block = markdown.shell_block


def lc(text: str) -> str:
    """A title continuing a sentence: first letter lower-cased (unless an acronym)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


table = tables.markdown


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def num(x: Any, digits: int = 2) -> str:
    return f"{float(x):.{digits}f}"


def option_name(option: str) -> str:
    return OPTION_NAMES.get(option, option)


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def evidence_links(rule: Mapping[str, Any]) -> str:
    links = []
    for e in rule.get("evidence", []):
        text = inline(e.get("source", "source"))
        grade = inline(e.get("grade", ""))
        href = url(e["url"]) if e.get("url") else None
        links.append(f"[{text}]({href}) ({grade})" if href else f"{text} ({grade})")
    return "; ".join(links)


def record_file(number: int, title: str) -> str:
    return f"{number:04d}-{slugify(title)}.md"


def plain(value: Any) -> str:
    """A value as the condition language writes it: true/false, 5 rather than 5.0, no float noise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)
