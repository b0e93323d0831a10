"""Presentation helpers: table rows and JSON. Nothing here prints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from advisor.faultdomain.metrics import METRICS, MetricValue, Result

__all__ = ["format_value", "metrics_headers", "metrics_table", "to_json"]


def format_value(value: MetricValue) -> str:
    """A metric value for people: booleans as yes/no, floats with one decimal."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def metrics_headers(result: Result) -> list[str]:
    """Column headers matching :func:`metrics_table`: metric, one per option, definition."""
    return ["metric", *(o.label for o in result.options), "definition"]


def metrics_table(result: Result) -> list[list[str]]:
    """One row per metric: ``[metric, value per option..., definition]``, ready for tabulate.

    For a profile the value columns are bare metal then VM-backed.
    """
    return [
        [spec.name, *(format_value(o.metrics[spec.name]) for o in result.options), spec.definition]
        for spec in METRICS
    ]


def to_json(result: Result) -> dict[str, Any]:
    """The result as JSON-ready data: inputs, metric values per option, and definitions.

    Options are keyed ``bare_metal`` and ``vm`` (profile) or ``fleet``, ``fleet_2``, ... (files).
    """
    return {
        "source": result.source,
        "inputs": asdict(result.params) if result.params is not None else None,
        "options": {
            _keys(result)[i]: {"label": o.label, "metrics": dict(o.metrics)} for i, o in enumerate(result.options)
        },
        "definitions": {spec.name: {"type": spec.type, "definition": spec.definition} for spec in METRICS},
    }


def _keys(result: Result) -> list[str]:
    """Option keys, made unique (``fleet``, ``fleet_2``, ...) when several files are compared."""
    keys: list[str] = []
    for o in result.options:
        key, n = o.option, 1
        while key in keys:
            n += 1
            key = f"{o.option}_{n}"
        keys.append(key)
    return keys
