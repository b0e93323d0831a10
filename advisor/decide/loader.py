"""Load a format-2 rule pack: parse, validate, type-check every expression. Any problem is fatal.

Every problem is one line ``file:line:col: what is wrong; what to do``. The checks
that keep the method sound are made here, once: value functions are monotone, the
attribute weights of a criterion sum to 1, a rule reads only the configuration
dimensions of its option, and no evidence item backs two consequence estimates.

Packs are layered: the first folder is a whole pack (its ``pack.yaml`` has the criteria
and configurations); each later one is an organisation's layer, whose ``pack.yaml``
has only its name, version, derived facts and ``disable`` (rule id -> why). A layer
adds rules and archetypes; it replaces a rule of an earlier pack only with
``overrides: true`` (a clash without it is an error naming both files) and a case
file of the same name replaces the earlier one. Later layers win.

One rule file is compiled by :mod:`advisor.decide.rulefile`; the loaded pack is the
model of :mod:`advisor.decide.compiled` (re-exported here).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor import yamlio
from advisor.conditions import FactType
from advisor.decide.compiled import (
    Attribute,
    Consequence,
    Constraint,
    Derived,
    Dimension,
    Layer,
    Pack,
    PackCase,
    Range,
    Spots,
)
from advisor.decide.model import CRITERIA, OPTIONS, CaseFile, LayerFile, Option, PackFile
from advisor.decide.rulefile import Problems, add_derived, compile_rule, parse_file
from advisor.decide.values import ValueFunction
from advisor.errors import DataError, Location, did_you_mean
from advisor.rules.citations import Citation, check_citations
from advisor.validation import validate

if TYPE_CHECKING:
    from advisor.rules.evidence import Catalogue

__all__ = [
    "PACK_FILE",
    "Attribute",
    "Consequence",
    "Constraint",
    "Derived",
    "Dimension",
    "Layer",
    "Pack",
    "PackCase",
    "Range",
    "Spots",
    "load_pack",
    "load_packs",
]

PACK_FILE = "pack.yaml"
_FOLDERS = ("constraints", "consequences", "cases")


def _attributes(meta: PackFile, doc: yamlio.Document, problems: Problems) -> dict[str, Attribute]:
    out: dict[str, Attribute] = {}
    for criterion in CRITERIA:
        spec = meta.criteria.get(criterion)
        if spec is None:
            problems.add(f"criterion {criterion!r} has no attributes", "every criterion needs at least one",
                         doc.where(("criteria",)))
            continue
        total = sum(a.weight for a in spec.attributes.values())
        if abs(total - 1.0) > 1e-9:
            problems.add(f"the attribute weights of {criterion!r} sum to {total:g}, not 1",
                         "make them sum to 1", doc.where(("criteria", criterion)))
        for name, attr in spec.attributes.items():
            try:
                fn = ValueFunction.from_anchors([(a[0], a[1]) for a in attr.value])
            except ValueError as exc:
                problems.add(f"{criterion}.{name}: {exc}", "fix the anchors [x, value]",
                             doc.where(("criteria", criterion, "attributes", name, "value")))
                continue
            out[f"{criterion}.{name}"] = Attribute(criterion, name, attr, fn)
    return out


def _dimensions(meta: PackFile) -> dict[Option, tuple[Dimension, ...]]:
    return {o: tuple(Dimension(o, name, d.label, tuple(d.values), dict(d.values))
                     for name, d in meta.configurations.get(o, {}).items()) for o in OPTIONS}


def _config_types(dims: Mapping[Option, tuple[Dimension, ...]]) -> dict[str, FactType]:
    values: dict[str, list[str]] = {}
    for option in OPTIONS:
        for d in dims[option]:
            values.setdefault(d.fact, [])
            values[d.fact] += [v for v in d.values if v not in values[d.fact]]
    return {name: FactType("str", tuple(v), "configuration dimension") for name, v in values.items()}


def load_pack(root: str | os.PathLike[str], catalog: Mapping[str, FactType], *,
              evidence: Catalogue | None = None, shown: str | None = None) -> Pack:
    """Load the format-2 pack in ``root`` against the fact ``catalog`` (see :func:`load_packs`)."""
    path = Path(root)
    return load_packs([(path, shown if shown is not None else path.as_posix())], catalog, evidence=evidence)


def load_packs(roots: Sequence[tuple[Path, str]], catalog: Mapping[str, FactType], *,
               evidence: Catalogue | None = None) -> Pack:
    """Load a whole pack and the layers over it: ``roots`` are (folder, name shown in messages), in order.

    ``evidence`` is the evidence catalogue; when given, every id a rule cites must be in
    it and not rejected. With it or without, no item backs two consequence estimates
    (:func:`advisor.rules.citations.check_citations`, the one check of citations).
    """
    for path, display in roots:
        if not (path / PACK_FILE).is_file():
            raise DataError(f"not a rule pack: {PACK_FILE} is missing", "give the folder that holds pack.yaml",
                            Location(display))
        for folder in _FOLDERS:  # a FIFO, device or folder named *.yaml: refused before any file is parsed
            for file in sorted((path / folder).glob("*.yaml")) if (path / folder).is_dir() else []:
                if not file.is_file():
                    yamlio.read_text(file, display=f"{display}/{folder}/{file.name}")
    problems = Problems()
    (base, base_shown), layers = roots[0], roots[1:]
    meta_doc = parse_file(base / PACK_FILE, f"{base_shown}/{PACK_FILE}")
    _refuse_format_1(meta_doc)
    if "criteria" not in (meta_doc.plain() or {}) and "advisor_rule_pack" in (meta_doc.plain() or {}):
        raise DataError("this pack is a layer (its pack.yaml has no criteria), not a whole pack",
                        "give it after the pack it layers over, or leave the default pack in front of it",
                        meta_doc.where(()))
    meta = validate(PackFile, meta_doc)
    attributes = _attributes(meta, meta_doc, problems)
    dims = _dimensions(meta)
    types: dict[str, FactType] = dict(catalog)
    types.update(_config_types(dims))
    derived: list[Derived] = []
    add_derived(meta.derived, meta_doc, types, derived, problems)
    infos: list[Layer] = []
    layer_docs: list[tuple[LayerFile, yamlio.Document]] = []
    for path, display in layers:
        doc = parse_file(path / PACK_FILE, f"{display}/{PACK_FILE}")
        _refuse_format_1(doc)
        if isinstance(doc.plain(), dict) and "criteria" in doc.plain():
            raise DataError("a layer cannot redefine the criteria: only the first pack is a whole pack",
                            "remove 'criteria' and 'configurations' from the layer's pack.yaml",
                            doc.where(("criteria",), key=True))
        layer = validate(LayerFile, doc)
        add_derived(layer.derived, doc, types, derived, problems)
        infos.append(Layer(f"{layer.name}@{layer.version}", display))
        layer_docs.append((layer, doc))
    rules: dict[str, Constraint | Consequence] = {}
    where: dict[str, str] = {}
    disabled: dict[str, str] = {}
    cases: dict[str, PackCase] = {}
    for n, (path, display) in enumerate(roots):
        own: set[str] = set()
        for folder in _FOLDERS[:2]:
            sub = path / folder
            for file in sorted(sub.glob("*.yaml")) if sub.is_dir() else []:
                rule = compile_rule(file, f"{display}/{folder}/{file.name}", folder, types, attributes, dims, problems)
                if rule is None:
                    continue
                rid, earlier = rule.id, where.get(rule.id)
                if rid in own:
                    problems.add(f"rule id {rid!r} is also used by {earlier}", "ids are unique",
                                 rule.doc.where(("id",)))
                elif earlier is not None and not rule.rule.overrides:
                    problems.add(f"rule id {rid!r} is already defined by {earlier}",
                                 "add 'overrides: true' to replace it, or choose another id", rule.doc.where(("id",)))
                elif earlier is None and rule.rule.overrides:
                    problems.add(f"'overrides: true' but no earlier pack defines {rid!r}",
                                 did_you_mean(rid, rules) or "remove 'overrides: true'",
                                 rule.doc.where(("overrides",), key=True))
                own.add(rid)
                where[rid] = rule.file
                rules[rid] = rule
                disabled.pop(rid, None)
        if n:
            layer, doc = layer_docs[n - 1]
            for rid, why in layer.disable.items():
                if rid not in rules:
                    problems.add(f"'disable' names {rid!r}, which no pack defines",
                                 did_you_mean(rid, rules) or "see 'advisor rules list'",
                                 doc.where(("disable", rid), key=True))
                    continue
                del rules[rid]
                disabled[rid] = why
        case_dir = path / "cases"
        for file in sorted(case_dir.glob("*.yaml")) if case_dir.is_dir() else []:
            shown_file = f"{display}/cases/{file.name}"
            case_doc = parse_file(file, shown_file)
            try:
                cases[file.name] = PackCase(validate(CaseFile, case_doc), shown_file, Spots.of(case_doc))
            except DataError as exc:
                problems.items.extend(exc.problems)
    constraints = [r for r in rules.values() if isinstance(r, Constraint)]
    consequences = [r for r in rules.values() if isinstance(r, Consequence)]
    problems.items.extend(check_citations(evidence, _citations([*constraints, *consequences])))
    problems.raise_any()
    return Pack(meta, base_shown, attributes, dims, tuple(derived), tuple(constraints), tuple(consequences),
                tuple(cases[k] for k in sorted(cases)), types, tuple(infos), disabled)


def _refuse_format_1(doc: yamlio.Document) -> None:
    data = doc.plain()
    if isinstance(data, dict) and data.get("advisor_rule_pack") == 1:
        raise DataError("this is a format-1 rule pack (effects and weights), which advisor no longer reads",
                        "write its rules as format-2 constraints and consequences: see docs/writing-rules.md",
                        doc.where(("advisor_rule_pack",)))


def _citations(rules: Sequence[Constraint | Consequence]) -> dict[str, list[Citation]]:
    """Rule id -> its citations of the evidence catalogue, each at its place in the rule file."""
    return {rule.id: [Citation(item, rule.doc.where(("evidence", i)), isinstance(rule, Consequence))
                      for i, item in enumerate(rule.rule.evidence)] for rule in rules}
