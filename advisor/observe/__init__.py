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

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor.errors import Problem
from advisor.observe.derive import Estate, Settings, derive
from advisor.observe.snapshot import Snapshot

__all__ = ["Observation", "observe"]

#: dump folders are read in parallel, one process per CPU, when there are several
#: and their files hold more than this many bytes (below it, starting processes costs more)
PARALLEL_BYTES = 64 << 20


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
        for snap, found in _read_dumps(list(dumps)):
            problems.extend(found)
            if snap is not None:
                snapshots.append(snap)
    if contexts:
        from advisor.observe.live import read_context

        for context in contexts:
            snap = read_context(context, kubeconfig, timeout=timeout, problems=problems)
            if snap is not None:
                snapshots.append(snap)
    return Observation(snapshots, derive(snapshots, settings, keys), problems)


def _read_one(folder: Path) -> tuple[Snapshot | None, list[Problem]]:
    from advisor.observe.dumps import read_folder

    problems: list[Problem] = []
    return read_folder(folder, problems, display=str(folder)), problems


def _size(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    except OSError:
        return 0


def _read_dumps(folders: list[Path]) -> list[tuple[Snapshot | None, list[Problem]]]:
    """Each folder's snapshot and problems, in the order given (several folders: in parallel)."""
    workers = min(len(folders), os.cpu_count() or 1)
    if workers < 2 or sum(_size(f) for f in folders) < PARALLEL_BYTES:
        return [_read_one(f) for f in folders]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_read_one, folders))
