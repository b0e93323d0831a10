"""Read a cluster from a folder of ``kubectl ... -o json`` dumps (one folder per cluster).

Every ``*.json`` file of the folder is read, in name order, as a stream: a ``List`` of
mixed kinds (``kubectl get nodes,namespaces,pods,... -A -o json``), a typed list
(``NodeList`` ...), a single object, or ``kubectl version -o json``. A broken file is
one problem line; what was read before the break is kept and the kinds it held are
marked incomplete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.errors import Location, Problem
from advisor.observe.jsonstream import Field, Item, StreamError, read_kubectl
from advisor.observe.snapshot import KINDS, LIST_KINDS, RESOURCE, Snapshot, item_decoder, shown

__all__ = ["DUMP_COMMANDS", "read_folder"]

#: how to make the dumps a folder should hold (printed in hints and docs/observe.md)
DUMP_COMMANDS = ("kubectl get nodes,namespaces,pods,deployments,statefulsets,daemonsets,crds -A -o json "
                 "> cluster.json", "kubectl version -o json > version.json")
_WANTED = ", ".join(RESOURCE[k] for k in KINDS if k != "Version")
_HINT_AGAIN = "dump it again with: " + DUMP_COMMANDS[0]


def read_folder(folder: Path, problems: list[Problem], *, display: str | None = None) -> Snapshot | None:
    """The snapshot of the cluster dumped in ``folder`` (None when nothing could be read)."""
    label = display or str(folder)
    snap = Snapshot(f"dump:{label}")
    if not folder.is_dir():
        problems.append(Problem("not a folder of dumps", "give one folder per cluster holding the output of "
                                + " and ".join(f"'{c}'" for c in DUMP_COMMANDS), Location(shown(label))))
        return None
    named = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json")
    files = [p for p in named if p.is_file()]
    for odd in (p for p in named if not p.is_file()):  # a FIFO, device or folder is never opened
        problems.append(Problem("not a regular file: skipped", "dumps are files written by kubectl",
                                Location(shown(f"{label.rstrip('/')}/{odd.name}", 200))))
    if not files:
        problems.append(Problem("no *.json dumps in this folder", "create them with " + " and ".join(
            f"'{c}'" for c in DUMP_COMMANDS), Location(shown(label))))
        return None
    for path in files:
        _read_file(path, f"{label.rstrip('/')}/{path.name}", snap, problems)
    return snap if snap.read else None


def _read_file(path: Path, display: str, snap: Snapshot, problems: list[Problem]) -> None:
    source = f"dump:{display}"
    where = shown(display, 200)
    fields: dict[str, Any] = {}
    list_kind: str | None = None
    waiting: list[Any] = []  # items without a kind, before the list's kind is known
    seen: set[str] = set()
    try:
        with path.open("rb") as fh:
            for part in read_kubectl(fh.read, item_decoder(), lambda at: _newlines(path, at)):
                if isinstance(part, Field):
                    fields[part.key] = part.value
                    if part.key == "kind" and isinstance(part.value, str):
                        list_kind = LIST_KINDS.get(part.value)
                        if list_kind is not None:  # a typed list, even an empty one, shows the whole kind
                            snap.mark_read(list_kind, source)
                            seen.add(list_kind)
                        for held in waiting:
                            _add(snap, held, source, list_kind, seen)
                        waiting.clear()
                    continue
                assert isinstance(part, Item)
                if isinstance(part.value, dict) and "kind" not in part.value and list_kind is None:
                    waiting.append(part.value)
                else:
                    _add(snap, part.value, source, list_kind, seen)
    except StreamError as exc:
        for held in waiting:
            _add(snap, held, source, list_kind, seen)
        hint = _HINT_AGAIN if exc.truncated else "dump with 'kubectl get ... -o json' (not -o yaml or a table)"
        ours = sorted(RESOURCE[k] for k in seen if k in RESOURCE)
        kept = f" ({', '.join(ours)} read so far are kept, marked partial)" if ours else ""
        problems.append(Problem(exc.message + kept, hint, Location(where, exc.line, exc.col)))
        for kind in (k for k in seen if k in RESOURCE):
            snap.incomplete[kind] = f"{display} is truncated" if exc.truncated else f"{display} is broken"
        return
    except OSError as exc:
        problems.append(Problem(f"cannot read the dump ({exc.strerror})", "check the file and its permissions",
                                Location(where)))
        return
    unknown = 0
    for held in waiting:  # a list without kinds (jq output, hand-made files): tell the kind by the shape
        shape = _shape(held)
        if shape is None:
            unknown += 1
        else:
            _add(snap, held, source, shape, seen)
    if unknown:
        problems.append(Problem(f"{unknown} item{'s' if unknown != 1 else ''} without a kind, in a list without a "
                                "kind: skipped", _HINT_AGAIN, Location(where)))
    if "serverVersion" in fields or "clientVersion" in fields:
        server = fields.get("serverVersion")
        if isinstance(server, dict) and isinstance(server.get("gitVersion"), str):
            snap.server_version = server["gitVersion"]
            snap.mark_read("Version", source)
        else:
            problems.append(Problem("kubectl version output without serverVersion (the cluster was not reached)",
                                    "run 'kubectl version -o json' with access to the cluster", Location(where)))
        return
    top = fields.get("kind")
    if "items" not in fields and list_kind is None and not seen and isinstance(top, str) and top in KINDS:
        _add(snap, fields, source, None, seen)  # a single object: kubectl get node NAME -o json
    others = sorted(shown(k.removeprefix("other:")) for k in seen if k.startswith("other:"))
    if not any(k in RESOURCE for k in seen):
        if others:
            what = f"holds only {', '.join(others)}"
        else:
            what = f"holds {shown(top)}" if isinstance(top, str) else "holds no Kubernetes objects"
        problems.append(Problem(f"wrong kind of dump: {what}, none of {_WANTED}",
                                "dump them with: " + DUMP_COMMANDS[0], Location(where)))


def _newlines(path: Path, offset: int) -> int:
    """Newlines in the first ``offset`` bytes of ``path`` (asked only to report a line number)."""
    count = 0
    with path.open("rb") as fh:
        while offset > 0:
            data = fh.read(min(offset, 1 << 20))
            if not data:
                break
            count += data.count(b"\n")
            offset -= len(data)
    return count


def _shape(item: Any) -> str | None:
    """The kind of an object without ``kind``: Node (nodeInfo, allocatable or providerID), Pod (containers), CRD."""
    spec = item.get("spec") if isinstance(item.get("spec"), dict) else {}
    status = item.get("status") if isinstance(item.get("status"), dict) else {}
    if any(k in status for k in ("nodeInfo", "allocatable", "capacity")) or "providerID" in spec:
        return "Node"
    if isinstance(spec.get("containers"), list):
        return "Pod"
    if "group" in spec and "names" in spec:
        return "CustomResourceDefinition"
    return None


def _add(snap: Snapshot, item: Any, source: str, list_kind: str | None, seen: set[str]) -> None:
    """Add one object; ``seen`` collects its kind (kinds observe does not read as ``other:KIND``)."""
    kind = snap.add(item, source, None if isinstance(item, dict) and "kind" in item else list_kind)
    if kind is not None and kind not in seen:
        seen.add(kind if kind in KINDS else f"other:{kind}")
