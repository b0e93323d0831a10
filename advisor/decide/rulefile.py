"""One rule file of a format-2 pack to a compiled rule: parse, validate, type-check every expression.

Every problem is collected (:class:`Problems`) as one line ``file:line:col: what is
wrong; what to do``, pointing inside an expression where it can; the loader
(:mod:`advisor.decide.loader`) raises them together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor import yamlio
from advisor.conditions import Condition, ConditionError, Expression, FactType, compile_condition, compile_expression
from advisor.decide.compiled import Attribute, Consequence, Constraint, Derived, Dimension, Range, Spots
from advisor.decide.model import ConsequenceRule, ConstraintRule, DerivedSpec, Option
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.validation import validate

__all__ = ["MAX_PROBLEMS", "Problems", "add_derived", "compile_cond", "compile_expr", "compile_rule", "parse_file"]

#: The most problems one load reports.
MAX_PROBLEMS = 50


class Problems:
    """The problems found so far by one load, raised together (at most :data:`MAX_PROBLEMS`)."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, hint: str | None, where: Location | None) -> None:
        self.items.append(Problem(message, hint, where))

    def raise_any(self) -> None:
        if self.items:
            raise DataError("", problems=self.items[:MAX_PROBLEMS])


def parse_file(path: Path, shown: str) -> yamlio.Document:
    """A pack file, read and parsed for its data and positions (the fast path when it vouches)."""
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


def compile_cond(expr: str, catalog: Mapping[str, FactType], doc: yamlio.Document,
                  where: Sequence[str | int], problems: Problems) -> Condition | None:
    try:
        return compile_condition(expr, catalog)
    except ConditionError as exc:
        problems.add(exc.message, exc.hint, _at_offset(doc, where, exc.offset))
        return None


def compile_expr(expr: str | int | float, catalog: Mapping[str, FactType], doc: yamlio.Document,
                  where: Sequence[str | int], problems: Problems) -> Expression | None:
    try:
        return compile_expression(expr, catalog)
    except ConditionError as exc:
        problems.add(exc.message, exc.hint, _at_offset(doc, where, exc.offset) if isinstance(expr, str)
                     else doc.where(where))
        return None


def add_derived(specs: Sequence[DerivedSpec], doc: yamlio.Document, types: dict[str, FactType],
                 derived: list[Derived], problems: Problems) -> None:
    for i, d in enumerate(specs):
        if d.name in types:
            problems.add(f"derived fact {d.name!r} already exists", "pick another name",
                         doc.where(("derived", i, "name")))
            continue
        compiled: Expression | Condition | None
        if d.type == "bool":
            compiled = compile_cond(d.expr, types, doc, ("derived", i, "expr"), problems)
        else:
            compiled = compile_expr(d.expr, types, doc, ("derived", i, "expr"), problems)
        if compiled is not None:
            derived.append(Derived(d.name, d.unit, d.description, compiled))
            types[d.name] = FactType(d.type, None, d.description)


def compile_rule(file: Path, shown_file: str, folder: str, types: Mapping[str, FactType],
          attributes: Mapping[str, Attribute], dims: Mapping[Option, tuple[Dimension, ...]],
          problems: Problems) -> Constraint | Consequence | None:
    """One rule file, compiled and checked; None (with the problems added) when it is wrong."""
    doc = parse_file(file, shown_file)
    model: ConstraintRule | ConsequenceRule
    try:
        model = validate(ConstraintRule, doc) if folder == "constraints" else validate(ConsequenceRule, doc)
    except DataError as exc:
        problems.items.extend(exc.problems)
        return None
    if model.id != file.stem:
        problems.add(f"rule id {model.id!r} differs from the file name {file.name!r}",
                     f"rename the file to {model.id}.yaml", doc.where(("id",)))
    when = compile_cond(model.when, types, doc, ("when",), problems)
    rule: Constraint | Consequence | None
    if isinstance(model, ConstraintRule):
        rule = _constraint(model, when, types, doc, shown_file, problems)
    else:
        rule = _consequence(model, when, attributes, types, doc, shown_file, problems)
    if rule is not None:
        _check_config_reads(rule.names, model.option, dims, doc, problems)
    return rule


def _constraint(model: ConstraintRule, when: Condition | None, types: Mapping[str, FactType],
                doc: yamlio.Document, shown: str, problems: Problems) -> Constraint | None:
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
            configuration = compile_cond(req.configuration, types, doc, ("requires", "configuration"), problems)
        m = req.measurement
        if m is not None:
            if m.fact not in types:
                problems.add(f"unknown measured fact {m.fact!r}", did_you_mean(m.fact, types),
                             doc.where(("requires", "measurement", "fact")))
            if (m.at_most is None) == (m.at_least is None):
                problems.add("a measurement requirement has 'at_most' or 'at_least'", "keep exactly one",
                             doc.where(("requires", "measurement")))
            if m.at_most is not None:
                at_most = compile_expr(m.at_most, types, doc, ("requires", "measurement", "at_most"), problems)
            if m.at_least is not None:
                at_least = compile_expr(m.at_least, types, doc, ("requires", "measurement", "at_least"), problems)
    if when is None:
        return None
    return Constraint(model, when, configuration, at_most, at_least, shown, Spots.of(doc))


def _range(raw: Any, types: Mapping[str, FactType], doc: yamlio.Document, where: tuple[str, ...],
           problems: Problems) -> Range | None:
    if getattr(raw, "value", None) is not None:
        one = compile_expr(raw.value, types, doc, (*where, "value"), problems)
        return None if one is None else Range(one, one, one)
    parts = [compile_expr(getattr(raw, k), types, doc, (*where, k), problems) for k in ("low", "mode", "high")]
    if any(p is None for p in parts):
        return None
    low, mode, high = parts
    assert low is not None and mode is not None and high is not None
    return Range(low, mode, high)


def _consequence(model: ConsequenceRule, when: Condition | None, attributes: Mapping[str, Attribute],
                 types: Mapping[str, FactType], doc: yamlio.Document, shown: str,
                 problems: Problems) -> Consequence | None:
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


def _check_config_reads(names: Collection[str], option: Option, dims: Mapping[Option, tuple[Dimension, ...]],
                        doc: yamlio.Document, problems: Problems) -> None:
    own = {d.fact for d in dims[option]}
    for name in sorted(names):
        if name.startswith("config.") and name not in own:
            problems.add(f"{name} is not a configuration of {option}",
                         did_you_mean(name, own) or f"{option} has: {', '.join(sorted(own)) or 'none'}",
                         doc.where(("option",)))
