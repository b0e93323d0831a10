"""A cache of compiled inputs (rule packs, the questionnaire) in the user's cache folder.

Parsing YAML with ruamel is the slow part of loading a rule pack. A loaded, validated
pack is therefore stored as JSON under a key that is the sha256 of everything it was
built from: the tool version, a fingerprint of the installed code, the bytes of every
input file (hashed in chunks, never read whole) and any other input the caller names
(the fact catalog, the folder names are shown relative to). A changed file, a new
version or edited code gives a new key, so a stale entry is never read; an entry that
cannot be read or decoded is ignored and rebuilt. The folder is safe to delete at any
time. ``ADVISOR_CACHE_DIR`` moves it, ``ADVISOR_NO_CACHE=1`` (``advisor --no-cache``)
bypasses it.

The serialisation is plain JSON, never pickle: dataclasses are stored field by field
and pydantic models as their ``model_dump``; on the way back models go through
``model_validate`` and dataclasses through their constructor, and only classes of the
``advisor`` package can be named. Values of other types are encoded by the caller's
``codecs`` (a compiled condition, for example, is stored as its source and compiled
again). This keeps the cache generic: a model that gains a field needs no change here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path, PurePath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor._version import __version__

__all__ = [
    "ENV_DIR",
    "ENV_OFF",
    "Codec",
    "cache_dir",
    "cached",
    "decode",
    "enabled",
    "enabled_by_environment",
    "encode",
    "file_digest",
    "key_of",
    "set_enabled",
]

T = TypeVar("T")

#: Environment variable naming the cache folder (default: the platform's user cache folder).
ENV_DIR = "ADVISOR_CACHE_DIR"
#: Environment variable that bypasses the cache when set to a non-empty value other than 0.
ENV_OFF = "ADVISOR_NO_CACHE"
#: Bumped when the layout of an entry changes.
FORMAT = 1
#: Entries kept per kind; older ones are removed when a new one is written.
MAX_ENTRIES = 256
#: A process prunes a kind's entries on its first write and then every this many writes.
PRUNE_EVERY = 64
_CHUNK = 1 << 16
_writes: dict[str, int] = {}

_state: dict[str, bool] = {}


class Codec:
    """How values of one non-data type are stored: ``dump(value) -> JSON data`` and ``load(data) -> value``."""

    def __init__(self, kind: type, dump: Callable[[Any], Any], load: Callable[[Any], Any]) -> None:
        self.kind = kind
        self.dump = dump
        self.load = load

    @property
    def name(self) -> str:
        return _class_name(self.kind)


def set_enabled(on: bool) -> None:
    """Turn the cache on or off for this process (``advisor --no-cache`` turns it off)."""
    _state["on"] = on


def enabled() -> bool:
    """Whether the cache is used: not turned off by :func:`set_enabled` or ``ADVISOR_NO_CACHE``."""
    if "on" in _state:
        return _state["on"]
    return enabled_by_environment()


def enabled_by_environment() -> bool:
    """False when ``ADVISOR_NO_CACHE`` is set to anything but empty or 0."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def cache_dir() -> Path:
    """The cache folder: ``ADVISOR_CACHE_DIR``, else the user cache folder of the platform."""
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("advisor", appauthor=False))


def file_digest(path: Path, digest: Any) -> None:
    """Feed a file's bytes to ``digest`` in chunks (a large file is never held in memory)."""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)


def _code_fingerprint() -> str:
    """Names, sizes and modification times of the installed ``advisor`` modules (edited code = new key)."""
    if "code" not in _fingerprint:
        root = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            st = path.stat()
            h.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _fingerprint["code"] = h.hexdigest()
    return _fingerprint["code"]


_fingerprint: dict[str, str] = {}


def key_of(kind: str, files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """The sha256 key of an entry: its kind, the tool and code, the files (name and bytes) and ``extra``."""
    h = hashlib.sha256()
    h.update(f"advisor-cache {FORMAT}\0{kind}\0{__version__}\0{_code_fingerprint()}\0".encode())
    for path in files:
        h.update(f"file\0{path}\0".encode("utf-8", "surrogateescape"))
        file_digest(path, h)
    for item in extra:
        h.update(f"extra\0{item}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


# --------------------------------------------------------------------------- codec


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@cache
def _class(name: str) -> type:
    """The class named ``module:qualname``, refused unless it is a dataclass or model of advisor."""
    module, _, qualname = name.partition(":")
    if not (module == "advisor" or module.startswith("advisor.")):
        raise ValueError(f"class outside advisor: {name}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type) or not (dataclasses.is_dataclass(obj) or issubclass(obj, BaseModel)):
        raise ValueError(f"not a data class: {name}")
    return obj


def encode(value: Any, codecs: Iterable[Codec] = ()) -> Any:
    """``value`` as JSON data (see the module docstring); TypeError for a value it cannot store."""
    by_type = {c.kind: c for c in codecs}

    def enc(v: Any) -> Any:
        if v is None or isinstance(v, bool | int | float | str):
            return v
        codec = by_type.get(type(v))
        if codec is not None:
            return {"$codec": codec.name, "v": codec.dump(v)}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, tuple):
            return {"$tuple": [enc(x) for x in v]}
        if isinstance(v, frozenset | set):
            return {"$set": sorted((enc(x) for x in v), key=json.dumps)}
        if isinstance(v, Mapping):
            if not all(isinstance(k, str) for k in v):
                raise TypeError("mapping keys must be strings")
            return {"$dict": {k: enc(x) for k, x in v.items()}}
        if isinstance(v, BaseModel):
            return {"$model": _class_name(type(v)), "v": v.model_dump(mode="json", by_alias=True)}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: enc(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init}
            return {"$data": _class_name(type(v)), "v": fields}
        if isinstance(v, PurePath):
            return {"$path": str(v)}
        raise TypeError(f"cannot cache a {type(v).__name__}")

    return enc(value)


def decode(data: Any, codecs: Iterable[Codec] = ()) -> Any:
    """The value :func:`encode` stored; ValueError (or a pydantic ValidationError) on anything unexpected."""
    by_name = {c.name: c for c in codecs}

    def dec(d: Any) -> Any:
        if type(d) is list:
            return [dec(x) for x in d]
        if type(d) is not dict:
            if d is None or isinstance(d, bool | int | float | str):
                return d
            raise ValueError("unexpected entry")
        if "$data" in d:
            return _class(d["$data"])(**{k: dec(x) for k, x in d["v"].items()})
        if "$tuple" in d:
            return tuple(dec(x) for x in d["$tuple"])
        if "$set" in d:
            return frozenset(dec(x) for x in d["$set"])
        if "$dict" in d:
            return {str(k): dec(x) for k, x in d["$dict"].items()}
        if "$path" in d:
            return Path(d["$path"])
        if "$codec" in d:
            return by_name[d["$codec"]].load(d["v"])
        if "$model" in d:
            cls = _class(d["$model"])
            if not issubclass(cls, BaseModel):
                raise ValueError("not a model")
            return cls.model_validate(d["v"])
        raise ValueError("unexpected entry")

    return dec(data)


# --------------------------------------------------------------------------- entries


def cached(kind: str, key: str, build: Callable[[], T], codecs: Iterable[Codec] = ()) -> T:
    """The value stored under ``key``, else ``build()`` stored for next time.

    A missing, unreadable or undecodable entry is rebuilt; a folder that cannot be
    written (read-only home, full disk) only means no cache. Errors of ``build`` pass.
    """
    if not enabled():
        return build()
    codecs = tuple(codecs)
    path = cache_dir() / f"{kind}-{key}.json"
    try:
        entry = json.loads(path.read_bytes())
        if entry.get("key") == key and entry.get("version") == __version__:
            value: T = decode(entry["value"], codecs)
            return value
    except (OSError, ValueError, TypeError, KeyError, AttributeError, ValidationError, RecursionError):
        pass
    value = build()
    try:
        text = json.dumps({"key": key, "version": __version__, "value": encode(value, codecs)},
                          separators=(",", ":"), allow_nan=False)
        _write(path, text)
    except (OSError, TypeError, ValueError, RecursionError):
        pass
    return value


def _write(path: Path, text: str) -> None:
    """Atomic: a temporary file in the same folder, renamed over the entry; then prune old entries."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    kind = path.name.split("-", 1)[0]
    writes = _writes[kind] = _writes.get(kind, 0) + 1
    if (writes - 1) % PRUNE_EVERY:  # listing the folder costs more than a write: prune now and then
        return
    entries = sorted(path.parent.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
