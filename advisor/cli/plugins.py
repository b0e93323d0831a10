"""``advisor plugins``: measurement plugins, their probes and runners, and missing tools."""

from __future__ import annotations

import shutil
from typing import Any

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, emit_json, format_option


@click.command(context_settings=CONTEXT_SETTINGS)
@format_option()
def plugins(fmt: str) -> None:
    """List measurement plugins, probes and whether their tools are installed.

    Plugins register in the entry-point group 'advisor.measurements'; a plugin that
    fails to load is skipped with a warning naming it. Tools are looked up on this
    host's PATH.
    """
    from tabulate import tabulate

    from advisor.measure.manager import load_registry

    registry = load_registry()
    for warning in registry.warnings:
        console.err(f"advisor: warning: {warning}")
    plugin_rows = [{"name": p.name, "module": p.module, "distribution": p.distribution, "version": p.version,
                    "builtin": p.builtin} for p in registry.plugins]
    probe_rows: list[dict[str, Any]] = []
    for name in sorted(registry.probes):
        probe = registry.probes[name]
        missing = [t for t in probe.tools if shutil.which(t) is None]
        probe_rows.append({"name": name, "plugin": registry.probe_plugin[name], "title": probe.title,
                           "tools": list(probe.tools), "installed": not missing, "missing": missing,
                           "install_hint": probe.install_hint() if missing else None})
    runner_rows = [{"kind": k, "plugin": registry.runner_plugin[k]} for k in sorted(registry.runners)]
    pack_rows = [{"plugin": plugin, "path": str(folder)} for folder, plugin in registry.rule_packs]
    for row in probe_rows:
        row["facts"] = f"measured.{row['name']}.*" if row["name"] in registry.fact_probes or \
            registry.probe_plugin[row["name"]] == "probes" else None
    if fmt == "json":
        emit_json({"plugins": plugin_rows, "probes": probe_rows, "runners": runner_rows,
                   "rule_packs": pack_rows, "warnings": registry.warnings})
        return
    console.out("Plugins")
    console.out(tabulate([[p["name"], p["module"], p["distribution"] or "-", p["version"] or "-"]
                          for p in plugin_rows], headers=["name", "module", "distribution", "version"]))
    console.out("\nProbes")
    console.out(tabulate([[p["name"], p["plugin"], ", ".join(p["tools"]) or "-", p["facts"] or "-",
                           "yes" if p["installed"] else f"no: {p['install_hint']}"] for p in probe_rows],
                         headers=["probe", "plugin", "tools", "facts", "installed"]))
    console.out("\nRunners")
    console.out(tabulate([[r["kind"], r["plugin"]] for r in runner_rows], headers=["kind", "plugin"]))
    if pack_rows:
        console.out("\nRule-pack layers (over the default pack, under --rules)")
        console.out(tabulate([[r["plugin"], r["path"]] for r in pack_rows], headers=["plugin", "folder"]))
