"""``advisor observe``: profile answers read from the clusters themselves.

The modules, one concept each:

* :mod:`~advisor.observe.jsonstream` reads a JSON list item by item (dumps and API responses);
* :mod:`~advisor.observe.snapshot` keeps the few fields of each object that are used;
* :mod:`~advisor.observe.dumps` reads a folder of ``kubectl ... -o json`` dumps (one per cluster);
* :mod:`~advisor.observe.live` reads a cluster through the official Kubernetes client;
* :mod:`~advisor.observe.platform` tells bare metal from which hypervisor or cloud;
* :mod:`~advisor.observe.derive` derives the answers (docs/observe.md has each derivation);
* :mod:`~advisor.observe.merge` puts them into a profile with provenance and expiry;
* :mod:`~advisor.observe.recheck` re-observes for ``advisor records check --observe``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor.errors import Problem
from advisor.observe.derive import Estate, Settings, derive
from advisor.observe.snapshot import Snapshot

__all__ = ["Observation", "observe"]


@dataclass
class Observation:
    snapshots: list[Snapshot]
    estate: Estate
    problems: list[Problem] = field(default_factory=list)


def observe(*, dumps: Sequence[Path] = (), contexts: Sequence[str | None] = (), kubeconfig: str | None = None,
            timeout: float = 30.0, settings: Settings | None = None,
            keys: Sequence[str] | None = None) -> Observation:
    """Read every dump folder and context, then derive the answers. Problems are collected, not raised."""
    problems: list[Problem] = []
    snapshots: list[Snapshot] = []
    if dumps:
        from advisor.observe.dumps import read_folder

        for folder in dumps:
            snap = read_folder(folder, problems, display=str(folder))
            if snap is not None:
                snapshots.append(snap)
    if contexts:
        from advisor.observe.live import read_context

        for context in contexts:
            snap = read_context(context, kubeconfig, timeout=timeout, problems=problems)
            if snap is not None:
                snapshots.append(snap)
    return Observation(snapshots, derive(snapshots, settings, keys), problems)
