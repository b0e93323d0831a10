"""``advisor facts``: every fact a rule's ``when`` can read."""

from __future__ import annotations

from pathlib import Path

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, emit_json, format_option, load_questionnaire, questionnaire_option

_SOURCES = ["profile", "derived", "graph", "measured"]


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--source", "sources", multiple=True, type=click.Choice(_SOURCES),
              help="Only facts from this source (repeatable).")
@format_option("markdown")
def facts(questionnaire_path: Path | None, sources: tuple[str, ...], fmt: str) -> None:
    """List the facts rules can read: name, type, source and meaning.

    Profile facts are the questionnaire's keys; derived facts are computed from
    them; graph facts come from the fault-domain graph; measured facts exist only
    after a measurement.
    """
    from advisor.pipeline import fact_catalog
    from advisor.rules.catalog import source_of
    from advisor.rules.catalog_reference import facts_markdown

    catalog = fact_catalog(load_questionnaire(questionnaire_path))
    if sources:
        catalog = {k: v for k, v in catalog.items() if source_of(k) in sources}
    if fmt == "markdown":
        console.out(facts_markdown(catalog), end="")
        return
    rows = [
        {"name": name, "type": t.kind, "choices": list(t.choices) if t.choices else None,
         "source": source_of(name), "description": t.description}
        for name, t in catalog.items()
    ]
    if fmt == "json":
        emit_json(rows)
        return
    from tabulate import tabulate

    table = [[r["name"], r["type"] if not r["choices"] else f"{r['type']}: {', '.join(r['choices'])}",
              r["source"], r["description"]] for r in rows]
    console.out(tabulate(table, headers=["fact", "type", "source", "description"], maxcolwidths=[None, 40, None, 60]))
