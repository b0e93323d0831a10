"""Load rule packs: parse, validate, type-check, layer. Any problem is fatal.

A pack is a folder with ``pack.yaml``, rule files ``<area>/<rule-id>.yaml`` and
whole-pack cases ``cases/<archetype>.yaml``. Several packs can be layered (later
wins): a later pack may replace a rule by id (``overrides: true``), change weights
and disable rules with a reason. Every problem is reported as
``file:line:col: what is wrong; what to do``; a broken rule is never skipped.

Parsed files are cached in-process by path, size and modification time, and compiled
conditions by expression and catalog, so re-loading an unchanged pack is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor import inputs, yamlio
from advisor.conditions import Condition, ConditionError, FactType, compile_condition
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.resources import bundled_dir
from advisor.rules.evidence import EVIDENCE_FILE, check_citations, citations, load_catalogue
from advisor.rules.model import (
    DEFAULT_CLOSE_THRESHOLD,
    DEFAULT_GRADE_FACTORS,
    CaseFile,
    Grade,
    LoadedRule,
    Pack,
    PackCase,
    PackFile,
    PackRef,
    RuleCase,
    RuleFile,
)
from advisor.validation import validate

__all__ = ["MAX_PROBLEMS", "PACK_FILE", "clear_caches", "condition_location", "load_pack"]

#: The file that makes a folder a rule pack.
PACK_FILE = "pack.yaml"
#: At most this many problems are reported for one load.
MAX_PROBLEMS = 50

#: Bundled rule files are shown as rules/..., wherever the package is installed.
_PROJECT_ROOT = bundled_dir("rules").resolve().parent


# --------------------------------------------------------------------------- positions


def condition_location(source: str, where: Location, expr: str, offset: int) -> Location:
    """The file position of character ``offset`` of a condition.

    ``where`` is the position of the YAML value that holds ``expr`` and ``source`` the
    file's text; ``offset`` counts in the expression with its lines joined by one space
    (as :func:`advisor.conditions.compile_condition` reports it). Plain, quoted and
    block scalars (``>-``, ``|``), on one line or several, are mapped by walking the
    non-blank characters of both texts in step; if they ever disagree (escape
    sequences) the value's own position is returned.
    """
    joined = " ".join(expr.splitlines())
    lines = source.splitlines()
    li, ci = where.line - 1, where.col - 1
    if not 0 <= li < len(lines):
        return where
    quote = ""
    head = lines[li][ci : ci + 1]
    if head in (">", "|"):
        li, ci = li + 1, 0
    elif head in ("'", '"'):
        quote, ci = head, ci + 1
    target = min(max(offset, 0), len(joined))
    while target < len(joined) and joined[target].isspace():
        target += 1
    wanted = [c for c in joined[:target] if not c.isspace()]

    def skip_blank(li: int, ci: int) -> tuple[int, int]:
        while li < len(lines):
            while ci < len(lines[li]) and lines[li][ci].isspace():
                ci += 1
            if ci < len(lines[li]):
                return li, ci
            li, ci = li + 1, 0
        return li, ci

    for char in wanted:
        li, ci = skip_blank(li, ci)
        if li >= len(lines) or lines[li][ci] != char:
            return where
        step = 2 if quote == "'" and char == "'" and lines[li][ci : ci + 2] == "''" else 1
        ci += step
    if target < len(joined):
        li, ci = skip_blank(li, ci)
        if li >= len(lines) or lines[li][ci] != joined[target]:
            return where
    return Location(where.file, li + 1, ci + 1)


# --------------------------------------------------------------------------- caches


@dataclass(frozen=True)
class _Parsed:
    text: str
    doc: yamlio.Document


_FILES: dict[tuple[str, int, int, str], _Parsed] = {}
_CONDITIONS: dict[tuple[str, int], Condition] = {}


def clear_caches() -> None:
    """Forget parsed files and compiled conditions (for benchmarks of a cold load)."""
    _FILES.clear()
    _CONDITIONS.clear()


def _parse(path: Path, display: str) -> _Parsed:
    try:
        st = path.stat()
        key: tuple[str, int, int, str] | None = (str(path), st.st_mtime_ns, st.st_size, display)
    except OSError:
        key = None
    if key is not None and key in _FILES:
        return _FILES[key]
    text = yamlio.read_text(path, display=display, max_bytes=inputs.limit("rules"))
    parsed = _Parsed(text, yamlio.parse(text, display, roundtrip=False))
    if key is not None:
        if len(_FILES) > 4096:
            _FILES.clear()
        _FILES[key] = parsed
    return parsed


def _compile(expr: str, catalog: Mapping[str, FactType], fingerprint: int) -> Condition:
    key = (expr, fingerprint)
    cond = _CONDITIONS.get(key)
    if cond is None:
        cond = compile_condition(expr, catalog)
        if len(_CONDITIONS) > 16384:
            _CONDITIONS.clear()
        _CONDITIONS[key] = cond
    return cond


# --------------------------------------------------------------------------- one pack


def _display(path: Path, base: Path | None) -> str:
    for root in (base, Path.cwd(), _PROJECT_ROOT):
        if root is None:
            continue
        try:
            return path.relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _join(display: str, *parts: str) -> str:
    return "/".join(parts) if display == "." else "/".join((display, *parts))


@dataclass
class _Rule:
    model: RuleFile
    condition: Condition
    file: str
    area: str
    doc: yamlio.Document


@dataclass
class _Loaded:
    """One pack folder, parsed and checked on its own."""

    meta: PackFile
    meta_doc: yamlio.Document
    rules: list[_Rule] = field(default_factory=list)
    cases: list[PackCase] = field(default_factory=list)
    broken_ids: set[str] = field(default_factory=set)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, hint: str | None, where: Location | None) -> None:
        self.items.append(Problem(message, hint, where))

    def extend(self, exc: DataError) -> None:
        """Add a file's validation problems; a misspelt key is not also reported as missing."""
        meant = {p.hint.split("'")[1] for p in exc.problems
                 if p.message.startswith("unknown key ") and p.hint and p.hint.startswith("did you mean '")}
        self.items.extend(p for p in exc.problems
                          if not (p.message.startswith("missing required key ") and p.message.split("'")[1] in meant))

    def raise_any(self) -> None:
        if self.items:
            raise DataError("", problems=self.items[:MAX_PROBLEMS])


def _files(root: Path, display: str, problems: _Problems) -> tuple[list[tuple[Path, str]], list[Path]]:
    """(rule files with their area, case files), sorted; stray YAML files are problems."""
    rules: list[tuple[Path, str]] = []
    cases: list[Path] = []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_file():
            if name in (PACK_FILE, EVIDENCE_FILE):
                continue
            if name.endswith((".yaml", ".yml")):
                problems.add(
                    "unexpected YAML file at the top of a rule pack",
                    f"rule files live in <area>/<rule-id>.yaml and cases in cases/; move {name}",
                    Location(_join(display, name)),
                )
            continue
        if not entry.is_dir():
            continue
        for sub in sorted(entry.iterdir()):
            shown = _join(display, name, sub.name)
            if sub.name.startswith("."):
                continue
            if sub.is_dir():
                problems.add("a folder inside a rule area", "rule files live exactly one folder deep; move them up",
                             Location(shown))
            elif sub.name.endswith(".yml"):
                problems.add("rule and case files must end in .yaml", f"rename it to {sub.stem}.yaml",
                             Location(shown))
            elif sub.name.endswith(".yaml"):
                if name == "cases":
                    cases.append(sub)
                else:
                    rules.append((sub, name))
    return rules, cases


def _rule_file(path: Path, shown: str, area: str, catalog: Mapping[str, FactType], fingerprint: int,
               problems: _Problems, loaded: _Loaded) -> None:
    parsed = _parse(path, shown)
    doc = parsed.doc
    raw_id = doc.plain().get("id")
    try:
        model = validate(RuleFile, doc)
    except DataError as exc:
        problems.extend(exc)
        if isinstance(raw_id, str):
            loaded.broken_ids.add(raw_id)
        return
    ok = True
    if model.id != path.stem:
        problems.add(f"rule id {model.id!r} differs from the file name {path.name!r}",
                     f"rename the file to {model.id}.yaml or the id to {path.stem}", doc.where(("id",)))
        ok = False
    if model.effect is not None and model.knock_out is not None:
        problems.add("a rule has either 'effect' or 'knock_out', not both",
                     "split it into two rules", doc.where(("knock_out",), key=True))
        ok = False
    elif model.effect is None and model.knock_out is None:
        problems.add("a rule needs 'effect' (criterion, favours, weight) or 'knock_out' (option, reason)",
                     "add one of them", doc.where(()))
        ok = False
    try:
        condition = _compile(model.when, catalog, fingerprint)
    except ConditionError as exc:
        where = condition_location(parsed.text, doc.where(("when",)), model.when, exc.offset)
        problems.add(exc.message, exc.hint, where)
        ok = False
    if not ok:
        loaded.broken_ids.add(model.id)
        return
    loaded.rules.append(_Rule(model, condition, shown, area, doc))


def _case_file(path: Path, shown: str, pack: str, problems: _Problems, loaded: _Loaded) -> None:
    doc = _parse(path, shown).doc
    try:
        model = validate(CaseFile, doc)
    except DataError as exc:
        problems.extend(exc)
        return
    keys = {k: doc.where(("answers", k), key=True) for k in model.answers}
    loaded.cases.append(PackCase(model.name, model.expect, model.reason, model.answers, shown, pack,
                                 doc.where(("answers",)), keys))


def _load_one(root: Path, display: str, catalog: Mapping[str, FactType], fingerprint: int,
              problems: _Problems, with_cases: bool) -> _Loaded:
    where = Location(display)
    if not root.is_dir():
        hint = "give the folder that holds pack.yaml"
        raise DataError("rule pack not found" if not root.exists() else "a rule pack is a folder", hint, where)
    if not (root / PACK_FILE).is_file():
        raise DataError(f"not a rule pack: {PACK_FILE} is missing", f"add {_join(display, PACK_FILE)}", where)
    meta_doc = _parse(root / PACK_FILE, _join(display, PACK_FILE)).doc
    meta = validate(PackFile, meta_doc)
    loaded = _Loaded(meta, meta_doc)
    rule_files, case_files = _files(root, display, problems)
    for path, area in rule_files:
        try:
            _rule_file(path, _join(display, area, path.name), area, catalog, fingerprint, problems, loaded)
        except DataError as exc:
            problems.extend(exc)
    if with_cases and (root / EVIDENCE_FILE).is_file():  # the catalogue is checked with the test data
        try:
            catalogue = load_catalogue(root / EVIDENCE_FILE, display=_join(display, EVIDENCE_FILE))
            problems.items.extend(check_citations(catalogue, citations(root, display=display)))
        except DataError as exc:
            problems.extend(exc)
    for path in case_files if with_cases else ():
        try:
            _case_file(path, _join(display, "cases", path.name), meta.name, problems, loaded)
        except DataError as exc:
            problems.extend(exc)
    return loaded


# --------------------------------------------------------------------------- layering


@dataclass
class _State:
    rules: dict[str, _Rule] = field(default_factory=dict)
    packs: dict[str, str] = field(default_factory=dict)  # rule id -> pack name
    weights: dict[str, float] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # ids incl. broken ones, for override checks


def _layer(state: _State, loaded: _Loaded, problems: _Problems) -> None:
    meta, pack = loaded.meta, loaded.meta.name
    seen: dict[str, _Rule] = {}
    for rule in loaded.rules:
        rid = rule.model.id
        first = seen.get(rid)
        if first is not None:
            problems.add(f"duplicate rule id {rid!r} (also in {first.file})",
                         "rule ids must be unique across the pack; rename one", rule.doc.where(("id",)))
            continue
        seen[rid] = rule
        earlier = state.rules.get(rid)
        if earlier is not None and not rule.model.overrides:
            problems.add(f"duplicate rule id {rid!r} (already defined in {earlier.file})",
                         "add 'overrides: true' to replace it, or choose another id", rule.doc.where(("id",)))
            continue
        if earlier is None and rule.model.overrides:
            hint = did_you_mean(rid, state.rules) or "remove 'overrides: true'"
            problems.add(f"'overrides: true' but no earlier pack defines {rid!r}", hint,
                         rule.doc.where(("overrides",), key=True))
            continue
        state.rules[rid] = rule
        state.packs[rid] = pack
        state.weights.pop(rid, None)
        state.disabled.pop(rid, None)
    state.known |= set(seen) | loaded.broken_ids
    for section, values in (("weights", meta.weights), ("disable", meta.disable)):
        for rid, value in values.items():
            if rid not in state.rules and rid not in state.known:
                hint = did_you_mean(rid, state.known) or "run 'advisor rules list' to see the ids"
                problems.add(f"{section}: no rule with id {rid!r}", hint,
                             loaded.meta_doc.where((section, rid), key=True))
            elif section == "weights" and rid in state.rules and state.rules[rid].model.effect is None:
                problems.add(f"weights: {rid!r} is a knock-out rule and has no weight", "remove it from weights",
                             loaded.meta_doc.where((section, rid), key=True))
            elif section == "weights":
                state.weights[rid] = float(value)
            else:
                state.disabled[rid] = str(value)


def _cases(rule: _Rule) -> tuple[RuleCase, ...]:
    out: list[RuleCase] = []
    for kind, items in (("fires", rule.model.tests.fires), ("does_not_fire", rule.model.tests.does_not_fire)):
        for i, answers in enumerate(items):
            path: tuple[str | int, ...] = ("tests", kind, i)
            keys = {k: rule.doc.where((*path, k), key=True) for k in answers}
            out.append(RuleCase(kind == "fires", answers, rule.doc.where(path), keys))
    return tuple(out)


def _strongest(rule: RuleFile, factors: Mapping[Grade, float]) -> tuple[Grade, float]:
    grades = sorted({e.grade for e in rule.evidence}, key=lambda g: (-factors[g], g))
    return grades[0], factors[grades[0]]


def load_pack(dirs: Sequence[str | os.PathLike[str]], catalog: Mapping[str, FactType], *,
              base: Path | None = None, cases: bool = True) -> Pack:
    """Load one pack or several layered packs (later wins) against a fact catalog.

    File names in messages are shown relative to ``base`` (default: the current
    directory) when the files are inside it. ``cases=False`` skips the whole-pack
    cases (test data an assessment does not need; parsing is the slow part of a load).
    Raises DataError listing every problem.
    """
    if not dirs:
        raise DataError("no rule pack given", "give the folder of a pack, e.g. rules/")
    fingerprint = hash(tuple(sorted(catalog.items())))
    problems = _Problems()
    state = _State()
    refs: list[PackRef] = []
    close = DEFAULT_CLOSE_THRESHOLD
    factors: dict[Grade, float] = dict(DEFAULT_GRADE_FACTORS)
    pack_cases: list[PackCase] = []
    names: dict[str, str] = {}
    for d in dirs:
        root = Path(d).resolve()
        display = _display(root, base)
        try:
            loaded = _load_one(root, display, catalog, fingerprint, problems, cases)
        except DataError as exc:  # no pack.yaml, or a broken one: report it with the rest
            problems.extend(exc)
            continue
        meta = loaded.meta
        if meta.name in names:
            problems.add(f"pack {meta.name!r} is given twice (also {names[meta.name]})",
                         "give each pack once", loaded.meta_doc.where(("name",)))
            continue
        names[meta.name] = display
        refs.append(PackRef(meta.name, meta.version))
        _layer(state, loaded, problems)
        if meta.close_threshold is not None:
            close = meta.close_threshold
        factors.update(meta.grade_factors)
        pack_cases.extend(loaded.cases)
    problems.raise_any()
    rules: list[LoadedRule] = []
    for rid in sorted(state.rules):
        r = state.rules[rid]
        grade, factor = _strongest(r.model, factors)
        base_weight = r.model.effect.weight if r.model.effect is not None else 0.0
        rules.append(LoadedRule(
            rule=r.model, condition=r.condition, file=r.file, area=r.area, pack=state.packs[rid],
            weight=state.weights.get(rid, base_weight), grade=grade, grade_factor=factor,
            disabled=state.disabled.get(rid), tests=_cases(r), location=r.doc.where(("tests",), key=True),
        ))
    return Pack(tuple(refs), tuple(rules), close, factors, tuple(sorted(pack_cases, key=lambda c: c.file)))

