"""The JSON output of ``plugins``."""

from __future__ import annotations

from advisor.cli.outputs.common import Out


class PluginRow(Out):
    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool


class ProbeRow(Out):
    name: str
    plugin: str
    title: str
    tools: list[str]
    installed: bool
    missing: list[str]
    install_hint: str | None
    #: ``measured.<probe>.*`` when its verdicts become facts a rule can read, else None.
    facts: str | None


class RunnerRow(Out):
    kind: str
    plugin: str


class RulePackRow(Out):
    plugin: str
    path: str


class PluginsOutput(Out):
    """``plugins``: measurement plugins, their probes (and missing tools), runners and rule-pack layers."""

    plugins: list[PluginRow]
    probes: list[ProbeRow]
    runners: list[RunnerRow]
    rule_packs: list[RulePackRow]
    warnings: list[str]
