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


def test_the_app_layer_graph_is_a_mermaid_flowchart_of_its_modules() -> None:
    import shutil
    import subprocess

    import pytest

    graph = _gen().app_graph()
    assert graph.startswith("```mermaid\nflowchart TB\n")
    for module in ("pipeline", "recording", "measuring", "tipping", "portfolio_assess", "observe_recheck"):
        assert f"  {module}[" in graph or f"    {module}[" in graph, module
    assert "cli --> pipeline" in graph and "recording --> pipeline" in graph
    script = ROOT / ".ci" / "node" / "mermaid-parse.mjs"
    if shutil.which("node") is None or not (ROOT / ".ci" / "node" / "node_modules" / "mermaid").exists():
        pytest.skip("mermaid is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    proc = subprocess.run(["node", str(script), "docs/architecture.md"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and "1 diagram(s) parsed" in proc.stdout, proc.stdout + proc.stderr
