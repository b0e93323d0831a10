"""Turn pydantic validation errors into ``file:line:col: problem; what to do`` lines.

Every YAML file is validated once, at the boundary, into strict models
(``extra="forbid"``). This module maps each pydantic error back to the position of
the offending key or value in the YAML document and phrases it for a person.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.errors import DataError, Problem, did_you_mean, one_of
from advisor.inputs import token
from advisor.yamlio import Document

__all__ = ["MAX_PROBLEMS", "foreign", "problems_from", "validate"]

#: At most this many problems are reported for one file.
MAX_PROBLEMS = 20

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], doc: Document, *, context: dict[str, Any] | None = None) -> M:
    """Validate the document's data into ``model``; raise DataError with positions."""
    try:
        return model.model_validate(doc.plain(), context=context)
    except ValidationError as exc:
        raise DataError("", problems=problems_from(exc, doc, model)) from None


def _unwrap(annotation: Any) -> list[Any]:
    """The candidate types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc`` (for did-you-mean on keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            found = None
            for cand in _unwrap(current):
                origin = typing.get_origin(cand)
                if origin in (list, tuple, Sequence):
                    found = typing.get_args(cand)[0]
            if found is None:
                return None
            current = found
            continue
        found = None
        for cand in _unwrap(current):
            if isinstance(cand, type) and issubclass(cand, BaseModel) and part in cand.model_fields:
                found = cand.model_fields[part].annotation
            elif typing.get_origin(cand) is dict:
                found = typing.get_args(cand)[1]
        if found is None:
            return None
        current = found
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "text",
    "str": "text",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "model": "a mapping",
}


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any) -> Any:
    """5.0 -> 5 for messages."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _phrase(err: Any, root_model: type[BaseModel]) -> tuple[str, str | None, bool]:
    """(message, hint, point_at_key) for one pydantic error dict."""
    etype: str = err["type"]
    loc: tuple[str | int, ...] = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        parent = ".".join(str(p) for p in loc[:-2]) or "(top level)"
        return f"{parent}: the key {_got(loc[-2])} is not text", "use a name as the key, or quote it", True
    if etype == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _keys_of(_model_at(root_model, loc[:-1]))
        hint = did_you_mean(key, allowed) or (f"allowed keys: {one_of(allowed)}" if allowed else "remove it")
        return f"unknown key {token(key)}", hint, True
    if etype == "missing":
        key = str(loc[-1]) if loc else "?"
        parent = ".".join(str(p) for p in loc[:-1])
        where = f" in {parent}" if parent else ""
        return f"missing required key {token(key)}{where}", f"add '{key}:'", False
    if etype in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        options = [o.strip().strip("'\"") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        hint = (did_you_mean(str(value), options) if isinstance(value, str) else None) or f"use one of {expected}"
        return f"{field}: {_got(value)} is not allowed", hint, False
    if etype == "int_from_float":
        return f"{field}: expected a whole number, got {_got(value)}", "fix the value's type", False
    if etype.endswith("_type") or etype.endswith("_parsing"):
        want = _TYPE_WORDS.get(etype.split("_")[0], etype.split("_")[0])
        if etype == "model_type" or etype == "dict_type":
            want = "a mapping"
        return f"{field}: expected {want}, got {_got(value)}", "fix the value's type", False
    if etype in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bounds = {k: _number(ctx.get(k)) for k in ("gt", "ge", "lt", "le")}
        words = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
                 "less_than_equal": "<= {le}"}[etype].format(**bounds)
        return f"{field}: {_got(value)} is out of range, must be {words}", "use a value in range", False
    if etype == "too_short" and ctx.get("min_length") is not None:
        n = ctx["min_length"]
        return f"{field}: needs at least {n} item{'s' if n != 1 else ''}", "add one" if n == 1 else "add more", False
    if etype in ("string_too_short", "too_short"):
        return f"{field}: is empty or too short", "give a value", False
    if etype in ("string_too_long", "too_long"):
        return f"{field}: is too long", "shorten it", False
    if etype == "string_pattern_mismatch":
        return f"{field}: {_got(value)} does not match the pattern {ctx.get('pattern')}", "fix the value", False
    if etype == "finite_number":
        return f"{field}: must be a finite number, got {_got(value)}", "use a finite number", False
    if etype in ("value_error", "assertion_error"):
        msg = str(err.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        message, _, hint = msg.partition("; ")
        return (f"{field}: {message}" if loc else message), (hint or None), False
    msg = str(err.get("msg", "invalid value"))
    return f"{field}: {msg[:1].lower() + msg[1:]}", "fix the value", False


#: A validator message ``"field: problem; hint"`` (or ``"field.0.sub: ..."``) is located at that field.
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)$", re.DOTALL)


def _refine(err: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Move a model validator's error from the mapping to the field its message names."""
    if err["type"] not in ("value_error", "assertion_error"):
        return err
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    match = _FIELD_PREFIX.match(msg)
    if match is None or match.group(1).split(".")[0] not in _keys_of(_model_at(model, err["loc"])):
        return err
    extra = tuple(int(p) if p.isdigit() else p for p in match.group(1).split("."))
    return {**err, "loc": tuple(err["loc"]) + extra, "msg": match.group(2)}


def _redundant(err: dict[str, Any], errors: list[dict[str, Any]], model: type[BaseModel]) -> bool:
    """Errors that only echo another one: a too-short list whose items failed, a missing key that was misspelt."""
    loc = err["loc"]
    if err["type"] in ("too_short", "too_long"):
        return any(len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc for e in errors)
    if err["type"] == "missing" and loc:
        allowed = _keys_of(_model_at(model, loc[:-1]))
        wanted = f"did you mean {str(loc[-1])!r}?"
        return any(e["type"] == "extra_forbidden" and e["loc"][:-1] == loc[:-1]
                   and did_you_mean(str(e["loc"][-1]), allowed) == wanted for e in errors)
    return False


def _foreign(doc: Document, model: type[BaseModel]) -> Problem | None:
    return foreign(doc, _keys_of(model))


def foreign(doc: Document, allowed: Sequence[str]) -> Problem | None:
    """One problem for a mapping that has none of the ``allowed`` top-level keys: some other file.

    Listing every unknown key of, say, a password file would print the file (its keys)
    in the error output: only the fact that it is the wrong kind of file is said.
    Loaders that check keys themselves call this first.
    """
    root = doc.plain()
    if not isinstance(root, dict) or not root or not allowed or any(k in allowed for k in root):
        return None
    return Problem(f"none of the expected keys is here ({one_of(allowed, limit=4)})",
                   "check that this is the right file", doc.where(()))


def problems_from(exc: ValidationError, doc: Document, model: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per pydantic error, in file order, at most MAX_PROBLEMS."""
    foreign = _foreign(doc, model)
    if foreign is not None:
        return [foreign]
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors: list[dict[str, Any]] = []
    for detail in exc.errors(include_url=False):
        loc = tuple(p for p in detail["loc"] if not isinstance(p, str) or not p.startswith("function-"))
        errors.append(_refine({**detail, "loc": loc}, model))
    for err in errors:
        if _redundant(err, errors, model):
            continue
        loc = err["loc"]
        message, hint, at_key = _phrase(err, model)
        where = doc.where(loc[:-1] if loc and loc[-1] == "[key]" else loc, key=at_key)
        marker = (str(where), message)
        if marker in seen:
            continue
        seen.add(marker)
        out.append(Problem(message, hint, where))
    out.sort(key=lambda p: (p.location.line, p.location.col) if p.location else (0, 0))
    return out[:MAX_PROBLEMS]
