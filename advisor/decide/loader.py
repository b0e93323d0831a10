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

Positions in the files are kept as :class:`Spots` (plain data), so a loaded pack can
be cached as JSON and read back without the YAML parser.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from advisor import yamlio
from advisor.conditions import Condition, ConditionError, Expression, FactType, compile_condition, compile_expression
from advisor.decide.model import (
    CRITERIA,
    OPTIONS,
    AttributeSpec,
    CaseFile,
    ConsequenceRule,
    ConstraintRule,
    Criterion,
    DerivedSpec,
    LayerFile,
    Option,
    PackFile,
)
from advisor.decide.values import ValueFunction
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.validation import validate

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
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Spots:
    """The line and column of every key and value of one YAML file, keyed by its path (plain, cacheable data)."""

    name: str
    values: Mapping[str, tuple[int, int]]
    keys: Mapping[str, tuple[int, int]]

    @classmethod
    def of(cls, doc: yamlio.Document) -> Spots:
        values: dict[str, tuple[int, int]] = {}
        keys: dict[str, tuple[int, int]] = {}

        def walk(node: Any, path: tuple[str | int, ...]) -> None:
            at = doc.where(path)
            values[_path_key(path)] = (at.line, at.col)
            if isinstance(node, dict):
                for k, v in node.items():
                    key_at = doc.where((*path, k), key=True)
                    keys[_path_key((*path, k))] = (key_at.line, key_at.col)
                    walk(v, (*path, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, (*path, i))

        walk(doc.plain(), ())
        return cls(doc.name, values, keys)

    def where(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """As :meth:`advisor.yamlio.Document.where`: the deepest part of ``path`` that exists."""
        for n in range(len(path), -1, -1):
            part = _path_key(path[:n])
            table = self.keys if key and n == len(path) and n else self.values
            if part in table:
                line, col = table[part]
                return Location(self.name, line, col)
        return Location(self.name, 1, 1)


def _path_key(path: Sequence[str | int]) -> str:
    return "\x1f".join(str(p) for p in path)


@dataclass(frozen=True)
class Layer:
    """One folder of a layered pack: its name@version and where it was read from."""

    name: str
    root: str


@dataclass(frozen=True)
class Attribute:
    """A criterion attribute with its compiled value function."""

    criterion: Criterion
    name: str
    spec: AttributeSpec
    value: ValueFunction

    @property
    def key(self) -> str:
        return f"{self.criterion}.{self.name}"


@dataclass(frozen=True)
class Dimension:
    option: Option
    name: str
    label: str
    values: tuple[str, ...]
    phrases: Mapping[str, str]

    @property
    def fact(self) -> str:
        return f"config.{self.name}"


@dataclass(frozen=True)
class Derived:
    name: str
    unit: str
    description: str
    expr: Expression | Condition


@dataclass(frozen=True)
class Range:
    low: Expression
    mode: Expression
    high: Expression

    @property
    def names(self) -> frozenset[str]:
        return self.low.names | self.mode.names | self.high.names


@dataclass(frozen=True)
class Constraint:
    rule: ConstraintRule
    when: Condition
    configuration: Condition | None
    at_most: Expression | None
    at_least: Expression | None
    file: str
    doc: Spots = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.rule.id

    @cached_property
    def memo_key(self) -> str:
        return "constraint:" + self.rule.id

    @cached_property
    def config_reads(self) -> tuple[str, ...]:
        """The configuration facts it reads: its outcome is the same for configurations that agree on them."""
        return tuple(sorted(n for n in self.names if n.startswith("config.")))

    @cached_property
    def names(self) -> frozenset[str]:
        out = set(self.when.names)
        for part in (self.configuration, self.at_most, self.at_least):
            if part is not None:
                out |= part.names
        if self.rule.requires is not None and self.rule.requires.measurement is not None:
            out.add(self.rule.requires.measurement.fact)
        return frozenset(out)


@dataclass(frozen=True)
class Consequence:
    rule: ConsequenceRule
    attribute: Attribute
    when: Condition
    estimate: Range
    measured: Range | None
    file: str
    doc: Spots = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def probe(self) -> str | None:
        return self.rule.measured_by.probe if self.rule.measured_by is not None else None

    @cached_property
    def names(self) -> frozenset[str]:
        out = self.when.names | self.estimate.names
        return out | self.measured.names if self.measured is not None else out

    @cached_property
    def config_reads(self) -> tuple[str, ...]:
        """The configuration facts it reads: its estimate is the same for configurations that agree on them."""
        return tuple(sorted(n for n in self.names if n.startswith("config.")))


@dataclass(frozen=True)
class PackCase:
    model: CaseFile
    file: str
    doc: Spots = field(repr=False, compare=False)


@dataclass(frozen=True)
class Pack:
    """A loaded format-2 pack."""

    meta: PackFile
    root: str
    attributes: Mapping[str, Attribute]
    dimensions: Mapping[Option, tuple[Dimension, ...]]
    derived: tuple[Derived, ...]
    constraints: tuple[Constraint, ...]
    consequences: tuple[Consequence, ...]
    cases: tuple[PackCase, ...]
    catalog: Mapping[str, FactType] = field(repr=False, compare=False)
    layers: tuple[Layer, ...] = ()
    disabled: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``name@version`` of the whole pack, then `` + name@version`` of each layer."""
        return " + ".join([f"{self.meta.name}@{self.meta.version}", *(layer.name for layer in self.layers)])

    @property
    def rules(self) -> tuple[Constraint | Consequence, ...]:
        return tuple(sorted((*self.constraints, *self.consequences), key=lambda r: r.id))

    def attributes_of(self, criterion: Criterion) -> list[Attribute]:
        return self._by_criterion[criterion]

    @cached_property
    def _by_criterion(self) -> dict[Criterion, list[Attribute]]:
        return {c: [a for a in self.attributes.values() if a.criterion == c] for c in CRITERIA}

    def constraints_of(self, option: str) -> tuple[Constraint, ...]:
        return self._constraints_by_option.get(option, ())

    def consequences_of(self, option: str) -> tuple[Consequence, ...]:
        return self._consequences_by_option.get(option, ())

    @cached_property
    def _constraints_by_option(self) -> dict[str, tuple[Constraint, ...]]:
        return {o: tuple(c for c in self.constraints if c.rule.option == o) for o in OPTIONS}

    @cached_property
    def _consequences_by_option(self) -> dict[str, tuple[Consequence, ...]]:
        return {o: tuple(c for c in self.consequences if c.rule.option == o) for o in OPTIONS}


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, hint: str | None, where: Location | None) -> None:
        self.items.append(Problem(message, hint, where))

    def raise_any(self) -> None:
        if self.items:
            raise DataError("", problems=self.items[:_MAX_PROBLEMS])


def _parse(path: Path, shown: str) -> yamlio.Document:
    return yamlio.parse(yamlio.read_text(path, display=shown), shown, roundtrip=False)


def _at_offset(doc: yamlio.Document, where: Sequence[str | int], offset: int) -> Location:
    """The position of character ``offset`` of the expression at ``where``, when it is written on one line."""
    at = doc.where(where)
    lines = doc.text.splitlines()
    if not 0 < at.line <= len(lines):
        return at
    line = lines[at.line - 1]
    start = at.col - 1
    if line[start:start + 1] in ("'", '"'):
        start += 1
    elif line[start:start + 1] in (">", "|"):
        return at  # a block scalar: the expression starts on a later line
    return Location(at.file, at.line, start + 1 + offset) if start + offset < len(line) else at


def _compile_cond(expr: str, catalog: Mapping[str, FactType], doc: yamlio.Document,
                  where: Sequence[str | int], problems: _Problems) -> Condition | None:
    try:
        return compile_condition(expr, catalog)
    except ConditionError as exc:
        problems.add(exc.message, exc.hint, _at_offset(doc, where, exc.offset))
        return None


def _compile_expr(expr: str | int | float, catalog: Mapping[str, FactType], doc: yamlio.Document,
                  where: Sequence[str | int], problems: _Problems) -> Expression | None:
    try:
        return compile_expression(expr, catalog)
    except ConditionError as exc:
        problems.add(exc.message, exc.hint, _at_offset(doc, where, exc.offset) if isinstance(expr, str)
                     else doc.where(where))
        return None


def _attributes(meta: PackFile, doc: yamlio.Document, problems: _Problems) -> dict[str, Attribute]:
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


def _check_config_reads(names: Collection[str], option: Option, dims: Mapping[Option, tuple[Dimension, ...]],
                        doc: yamlio.Document, problems: _Problems) -> None:
    own = {d.fact for d in dims[option]}
    for name in sorted(names):
        if name.startswith("config.") and name not in own:
            problems.add(f"{name} is not a configuration of {option}",
                         did_you_mean(name, own) or f"{option} has: {', '.join(sorted(own)) or 'none'}",
                         doc.where(("option",)))


def load_pack(root: str | os.PathLike[str], catalog: Mapping[str, FactType], *,
              evidence: Collection[str] | None = None, shown: str | None = None) -> Pack:
    """Load the format-2 pack in ``root`` against the fact ``catalog`` (see :func:`load_packs`)."""
    path = Path(root)
    return load_packs([(path, shown if shown is not None else path.as_posix())], catalog, evidence=evidence)


def load_packs(roots: Sequence[tuple[Path, str]], catalog: Mapping[str, FactType], *,
               evidence: Collection[str] | None = None) -> Pack:
    """Load a whole pack and the layers over it: ``roots`` are (folder, name shown in messages), in order.

    ``evidence`` is the set of evidence ids of the catalogue; when given, every id a
    rule cites must be in it.
    """
    for path, display in roots:
        if not (path / PACK_FILE).is_file():
            raise DataError(f"not a rule pack: {PACK_FILE} is missing", "give the folder that holds pack.yaml",
                            Location(display))
        for folder in _FOLDERS:  # a FIFO, device or folder named *.yaml: refused before any file is parsed
            for file in sorted((path / folder).glob("*.yaml")) if (path / folder).is_dir() else []:
                if not file.is_file():
                    yamlio.read_text(file, display=f"{display}/{folder}/{file.name}")
    problems = _Problems()
    (base, base_shown), layers = roots[0], roots[1:]
    meta_doc = _parse(base / PACK_FILE, f"{base_shown}/{PACK_FILE}")
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
    _add_derived(meta.derived, meta_doc, types, derived, problems)
    infos: list[Layer] = []
    layer_docs: list[tuple[LayerFile, yamlio.Document]] = []
    for path, display in layers:
        doc = _parse(path / PACK_FILE, f"{display}/{PACK_FILE}")
        _refuse_format_1(doc)
        if isinstance(doc.plain(), dict) and "criteria" in doc.plain():
            raise DataError("a layer cannot redefine the criteria: only the first pack is a whole pack",
                            "remove 'criteria' and 'configurations' from the layer's pack.yaml",
                            doc.where(("criteria",), key=True))
        layer = validate(LayerFile, doc)
        _add_derived(layer.derived, doc, types, derived, problems)
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
                rule = _rule(file, f"{display}/{folder}/{file.name}", folder, types, attributes, dims, problems)
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
            case_doc = _parse(file, shown_file)
            try:
                cases[file.name] = PackCase(validate(CaseFile, case_doc), shown_file, Spots.of(case_doc))
            except DataError as exc:
                problems.items.extend(exc.problems)
    constraints = [r for r in rules.values() if isinstance(r, Constraint)]
    consequences = [r for r in rules.values() if isinstance(r, Consequence)]
    _check_evidence(constraints, consequences, evidence, problems)
    problems.raise_any()
    return Pack(meta, base_shown, attributes, dims, tuple(derived), tuple(constraints), tuple(consequences),
                tuple(cases[k] for k in sorted(cases)), types, tuple(infos), disabled)


def _refuse_format_1(doc: yamlio.Document) -> None:
    data = doc.plain()
    if isinstance(data, dict) and data.get("advisor_rule_pack") == 1:
        raise DataError("this is a format-1 rule pack (effects and weights), which advisor no longer reads",
                        "write its rules as format-2 constraints and consequences: see docs/writing-rules.md",
                        doc.where(("advisor_rule_pack",)))


def _add_derived(specs: Sequence[DerivedSpec], doc: yamlio.Document, types: dict[str, FactType],
                 derived: list[Derived], problems: _Problems) -> None:
    for i, d in enumerate(specs):
        if d.name in types:
            problems.add(f"derived fact {d.name!r} already exists", "pick another name",
                         doc.where(("derived", i, "name")))
            continue
        compiled: Expression | Condition | None
        if d.type == "bool":
            compiled = _compile_cond(d.expr, types, doc, ("derived", i, "expr"), problems)
        else:
            compiled = _compile_expr(d.expr, types, doc, ("derived", i, "expr"), problems)
        if compiled is not None:
            derived.append(Derived(d.name, d.unit, d.description, compiled))
            types[d.name] = FactType(d.type, None, d.description)


def _rule(file: Path, shown_file: str, folder: str, types: Mapping[str, FactType],
          attributes: Mapping[str, Attribute], dims: Mapping[Option, tuple[Dimension, ...]],
          problems: _Problems) -> Constraint | Consequence | None:
    """One rule file, compiled and checked; None (with the problems added) when it is wrong."""
    doc = _parse(file, shown_file)
    model: ConstraintRule | ConsequenceRule
    try:
        model = validate(ConstraintRule, doc) if folder == "constraints" else validate(ConsequenceRule, doc)
    except DataError as exc:
        problems.items.extend(exc.problems)
        return None
    if model.id != file.stem:
        problems.add(f"rule id {model.id!r} differs from the file name {file.name!r}",
                     f"rename the file to {model.id}.yaml", doc.where(("id",)))
    when = _compile_cond(model.when, types, doc, ("when",), problems)
    rule: Constraint | Consequence | None
    if isinstance(model, ConstraintRule):
        rule = _constraint(model, when, types, doc, shown_file, problems)
    else:
        rule = _consequence(model, when, attributes, types, doc, shown_file, problems)
    if rule is not None:
        _check_config_reads(rule.names, model.option, dims, doc, problems)
    return rule


def _constraint(model: ConstraintRule, when: Condition | None, types: Mapping[str, FactType],
                doc: yamlio.Document, shown: str, problems: _Problems) -> Constraint | None:
    if model.infeasible == (model.requires is not None):
        problems.add("a constraint is either 'infeasible: true' or has 'requires'", "keep exactly one",
                     doc.where(()))
        return None
    configuration = at_most = at_least = None
    req = model.requires
    if req is not None:
        if req.configuration is None and req.measurement is None:
            problems.add("'requires' names a configuration, a measurement or both", "add one", doc.where(("requires",)))
            return None
        if (req.configuration is None) != (req.says is None):
            problems.add("a required configuration needs 'says' (the configuration in words)", "add both",
                         doc.where(("requires",)))
        if req.configuration is not None:
            configuration = _compile_cond(req.configuration, types, doc, ("requires", "configuration"), problems)
        m = req.measurement
        if m is not None:
            if m.fact not in types:
                problems.add(f"unknown measured fact {m.fact!r}", did_you_mean(m.fact, types),
                             doc.where(("requires", "measurement", "fact")))
            if (m.at_most is None) == (m.at_least is None):
                problems.add("a measurement requirement has 'at_most' or 'at_least'", "keep exactly one",
                             doc.where(("requires", "measurement")))
            if m.at_most is not None:
                at_most = _compile_expr(m.at_most, types, doc, ("requires", "measurement", "at_most"), problems)
            if m.at_least is not None:
                at_least = _compile_expr(m.at_least, types, doc, ("requires", "measurement", "at_least"), problems)
    if when is None:
        return None
    return Constraint(model, when, configuration, at_most, at_least, shown, Spots.of(doc))


def _range(raw: Any, types: Mapping[str, FactType], doc: yamlio.Document, where: tuple[str, ...],
           problems: _Problems) -> Range | None:
    if getattr(raw, "value", None) is not None:
        one = _compile_expr(raw.value, types, doc, (*where, "value"), problems)
        return None if one is None else Range(one, one, one)
    parts = [_compile_expr(getattr(raw, k), types, doc, (*where, k), problems) for k in ("low", "mode", "high")]
    if any(p is None for p in parts):
        return None
    low, mode, high = parts
    assert low is not None and mode is not None and high is not None
    return Range(low, mode, high)


def _consequence(model: ConsequenceRule, when: Condition | None, attributes: Mapping[str, Attribute],
                 types: Mapping[str, FactType], doc: yamlio.Document, shown: str,
                 problems: _Problems) -> Consequence | None:
    attribute = attributes.get(model.attribute)
    if attribute is None:
        problems.add(f"unknown attribute {model.attribute!r}",
                     did_you_mean(model.attribute, attributes) or "see the criteria in pack.yaml",
                     doc.where(("attribute",)))
        return None
    estimate = _range(model.estimate, types, doc, ("estimate",), problems)
    measured = None
    if model.measured_by is not None:
        probe = model.measured_by.probe
        if not any(name.startswith(f"measured.{probe}.") for name in types):
            problems.add(f"unknown probe {probe!r}", "see the measured facts in docs/facts.md",
                         doc.where(("measured_by", "probe")))
            return None
        measured = _range(model.measured_by, types, doc, ("measured_by",), problems)
        if measured is not None:
            stray = sorted(n for n in measured.names if n.startswith("measured.")
                           and not n.startswith(f"measured.{probe}."))
            if stray:
                problems.add(f"the measured range reads {stray[0]}, not a fact of probe {probe!r}",
                             "a measurement replaces only the range of what it measures",
                             doc.where(("measured_by",)))
    if estimate is not None and any(n.startswith("measured.") for n in estimate.names):
        problems.add("a prior estimate reads a measured fact", "put the measured range under measured_by",
                     doc.where(("estimate",)))
    if estimate is not None and not model.evidence and (
            estimate.low is not estimate.high or model.measured_by is not None):
        problems.add("an estimate with a range needs its evidence", "cite evidence catalogue ids under 'evidence'",
                     doc.where(("estimate",)))
    if when is None or estimate is None:
        return None
    return Consequence(model, attribute, when, estimate, measured, shown, Spots.of(doc))


def _check_evidence(constraints: Sequence[Constraint], consequences: Sequence[Consequence],
                    evidence: Collection[str] | None, problems: _Problems) -> None:
    backing: dict[str, str] = {}
    rules: list[Constraint | Consequence] = [*constraints, *consequences]
    for rule in rules:
        for i, item in enumerate(rule.rule.evidence):
            if evidence is not None and item not in evidence:
                problems.add(f"unknown evidence id {item!r}", did_you_mean(item, evidence)
                             or "add the item to the evidence catalogue first", rule.doc.where(("evidence", i)))
        if isinstance(rule, Consequence):
            for i, item in enumerate(rule.rule.evidence):
                if item in backing and backing[item] != rule.id:
                    problems.add(f"evidence {item!r} already backs the estimate of {backing[item]}",
                                 "an evidence item backs one consequence estimate: split or re-source it",
                                 rule.doc.where(("evidence", i)))
                backing.setdefault(item, rule.id)
