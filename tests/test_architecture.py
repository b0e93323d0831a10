"""docs/architecture.md: its import graph is the code's, and every unit sits in a layer."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import support

ROOT = Path(__file__).resolve().parent.parent


def _gen() -> ModuleType:
    return support.load_script("gen_architecture")


def test_import_graph_is_current() -> None:
    doc = ROOT / "docs" / "architecture.md"
    current = doc.read_text(encoding="utf-8")
    expected = _gen().render(current)
    assert support.golden(doc, expected) == expected, (
        "docs/architecture.md is out of date; run: .venv/bin/python scripts/gen_architecture.py "
        "(or pytest --update-golden)")


def test_every_unit_is_in_the_layers_contract() -> None:
    table = _gen().graph_table()
    assert "Not in the layers contract" not in table, table.rsplit("\n", 1)[-1]
    assert "| `cli` |" in table and "| `yamlio` |" in table
