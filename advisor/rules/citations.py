"""The rules' citations of the evidence catalogue, and the one check of them.

A rule cites catalogue items by id in ``evidence:``. The check (:func:`check_citations`)
is the one both the pack loader (every pack loaded, bundled or layered) and the
reference of docs/evidence.md rely on: each cited id is in the catalogue and not
rejected, and no item backs two consequence estimates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import yamlio
from advisor.errors import Location, Problem, did_you_mean

if TYPE_CHECKING:
    from advisor.rules.evidence import Catalogue  # its pydantic models are built only where a catalogue is read

__all__ = ["Citation", "check_citations", "citations"]


@dataclass(frozen=True)
class Citation:
    """One reference from a rule to a catalogue item, and where the rule makes it.

    ``estimate``: the citing rule is a consequence (its item backs an estimate in the
    score); a constraint's citation is not.
    """

    evidence_id: str
    location: Location | None = None
    estimate: bool = True


def _cited(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(evidence id, path of the value) under every ``evidence`` key of a rule document, in order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "evidence":
                values = value if isinstance(value, list) else [value]
                for i, v in enumerate(values):
                    at = (*path, key, i) if isinstance(value, list) else (*path, key)
                    if isinstance(v, str):
                        yield v, at
                    elif isinstance(v, Mapping) and isinstance(v.get("id"), str):
                        yield v["id"], (*at, "id")
            else:
                yield from _cited(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _cited(v, (*path, i))


def citations(pack_root: str | Path, *, display: str | None = None) -> dict[str, list[Citation]]:
    """Rule id -> the evidence items its file cites, for every rule file of a pack folder.

    A rule cites an item by its id, as a string (or a mapping with ``id``) in any
    ``evidence:`` list of the rule file; inline evidence mappings without an ``id``
    are not citations of the catalogue and are ignored. File names in locations are
    shown under ``display`` (default: the folder as given).
    """
    root = Path(pack_root)
    shown = display if display is not None else root.as_posix()
    out: dict[str, list[Citation]] = {}
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == "cases" or path.parent.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        doc = yamlio.load(path, display=rel if shown == "." else f"{shown}/{rel}", roundtrip=False)
        data = doc.plain()
        if not isinstance(data, dict):
            continue
        rule_id = data["id"] if isinstance(data.get("id"), str) else path.stem
        estimate = data.get("kind") != "constraint"
        found = [Citation(evidence_id, doc.where(at), estimate) for evidence_id, at in _cited(data)]
        if found:
            out[rule_id] = found
    return out


def as_citation(value: str | Citation) -> Citation:
    """A citation given by id alone: one of a consequence, with no location."""
    return value if isinstance(value, Citation) else Citation(value)


def check_citations(catalogue: Catalogue | None, cited: Mapping[str, Sequence[str | Citation]]) -> list[Problem]:
    """Problems with the rules' citations: unknown ids, rejected items, an item backing two estimates.

    An item backs one consequence estimate: a second consequence citing it (or the same
    one twice) is a problem, reported at the later citation in the order of ``cited`` (the
    load order of a pack: a layer's rule, not the bundled one it collides with);
    constraints may cite it too. Without a ``catalogue`` only that is checked.

    Each problem points at the citation in the rule file when its location is known,
    otherwise at the catalogue.
    """
    problems: list[Problem] = []
    users: dict[str, str] = {}
    for rule_id, refs in cited.items():
        for citation in map(as_citation, refs):
            evidence_id = citation.evidence_id
            where = citation.location
            if catalogue is not None:
                item_at = catalogue.locations.get(evidence_id)
                if item_at is None:
                    hint = did_you_mean(evidence_id, catalogue.locations) or f"add it to {catalogue.file}"
                    problems.append(Problem(f"rule {rule_id!r} cites {evidence_id!r}, which is not in the catalogue",
                                            hint, where or Location(catalogue.file)))
                    continue
                where = where or item_at
                if catalogue.item(evidence_id).audit == "rejected":
                    problems.append(Problem(f"rule {rule_id!r} cites the rejected item {evidence_id!r}",
                                            f"cite another item; the reason is in {item_at}", where))
            if not citation.estimate:
                continue
            first = users.get(evidence_id)
            if first is not None:
                whom = "twice" if first == rule_id else f"by {first!r} and {rule_id!r}"
                problems.append(Problem(f"evidence {evidence_id!r} backs two consequence estimates (cited {whom})",
                                        "an item backs one consequence estimate: split it into two "
                                        "items with different figures, or drop one citation", where))
            users.setdefault(evidence_id, rule_id)
    return problems
