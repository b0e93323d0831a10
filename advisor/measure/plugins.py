"""What measurement plugins bring to the decision: their probes' measured facts and their rule-pack layers.

A plugin's probe ``pyloop`` brings ``measured.pyloop.ratio``, ``.ci_low``, ``.ci_high``
and ``.verdict`` to the fact catalog; a plugin's ``advisor_rule_packs()`` hook names
folders of rule-pack layers that are laid over the default pack (before the user's
``--rules``), so a consequence can read those facts under ``measured_by`` and a rule
with ``overrides: true`` replaces the estimate the probe measures. A plugin that would
shadow a probe or its facts is an error (:func:`advisor.measure.manager.load_registry`).

Looked up once per process. Without a third-party plugin (no entry point of the group
other than the built-ins) the plugins are not loaded: the entry-point scan is all.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "Extensions", "extensions"]

#: The entry-point group plugins register in (kept here, without pluggy, so that deciding imports no pluggy).
ENTRY_POINT_GROUP = "advisor.measurements"
#: entry-point name -> module of the built-in plugins (as in pyproject.toml).
BUILTINS: dict[str, str] = {
    "probes": "advisor.measure.probes",
    "local": "advisor.measure.runners.local",
    "ssh": "advisor.measure.runners.ssh",
    "kubernetes": "advisor.measure.runners.kubernetes",
}


@dataclass(frozen=True)
class Extensions:
    """The plugins' probes with measured facts (name -> what the ratio compares) and their rule-pack layers."""

    facts: dict[str, str] = field(default_factory=dict)
    #: (folder, plugin name), in plugin order.
    packs: tuple[tuple[Path, str], ...] = ()
    #: The probe -> plugin name of the probes in :attr:`facts`.
    plugins: dict[str, str] = field(default_factory=dict)


def _third_party() -> bool:
    return any(BUILTINS.get(ep.name) != ep.value for ep in md.entry_points(group=ENTRY_POINT_GROUP))


@functools.cache
def extensions() -> Extensions:
    """The installed plugins' facts and layers; MeasurementError (exit code 3) when a plugin shadows a probe or
    its facts."""
    if not _third_party():
        return Extensions()
    from advisor.measure.manager import load_registry

    registry = load_registry()
    return Extensions(dict(registry.fact_probes), tuple(registry.rule_packs),
                      {name: registry.probe_plugin[name] for name in registry.fact_probes})
