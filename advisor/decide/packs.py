"""Which format-2 pack folders make a pack, and the compiled-pack cache.

``--rules DIR`` (repeatable) names packs in order, later ones winning: when the first
folder is a whole pack (its ``pack.yaml`` has ``criteria``) it replaces the default
one, otherwise every folder is a layer over the default pack. See
:func:`advisor.decide.loader.load_packs` for what a layer may do.

A loaded pack is cached (:mod:`advisor.cache`) under the sha256 of every file of every
folder, the evidence catalogue, the fact catalog and the names shown in messages; a
cached pack is read back as JSON, its expressions compiled again from their source,
without the YAML parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor import cache
from advisor.conditions import Condition, Expression, FactType, compile_condition, compile_expression
from advisor.decide.loader import PACK_FILE, Pack, load_packs
from advisor.inputs import MAX_BYTES

if TYPE_CHECKING:
    from advisor.rules.evidence import Catalogue

__all__ = ["is_layer", "load", "pack_files", "roots"]

_WHOLE = re.compile(r"^criteria[ \t]*:", re.MULTILINE)


def is_layer(folder: Path) -> bool:
    """Whether ``folder`` holds a layer (its pack.yaml has no top-level ``criteria``); False when unreadable."""
    try:
        return _WHOLE.search((folder / PACK_FILE).read_text(encoding="utf-8", errors="replace")) is None
    except OSError:
        return False


def roots(dirs: Sequence[Path], default: Path, shown: Callable[[Path], str], default_shown: str
          ) -> list[tuple[Path, str]]:
    """The (folder, name shown) list to load: the default pack under layers, or the given whole pack first."""
    given = [(d, shown(d)) for d in dirs]
    if not given or is_layer(given[0][0]):
        return [(default, default_shown), *given]
    return given


def pack_files(folders: Sequence[Path]) -> list[Path]:
    """Every file of the pack folders (hidden ones left out), in a stable order: the cache key."""
    files: list[Path] = []
    for d in folders:
        root = d.resolve()
        files += sorted(p for p in root.rglob("*") if p.is_file()
                        and not any(part.startswith(".") for part in p.relative_to(root).parts))
    return files


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def load(folders: Sequence[tuple[Path, str]], catalog: Mapping[str, FactType], *,
         evidence: Callable[[], Catalogue], evidence_file: Path | None = None) -> Pack:
    """Load ``folders`` (see :func:`roots`), through the cache unless it is off or a folder is not a pack.

    ``evidence()`` gives the evidence catalogue (read only when the pack is built);
    ``evidence_file`` is part of the cache key.
    """
    def build() -> Pack:
        return load_packs(folders, catalog, evidence=evidence())

    if not all((path / PACK_FILE).is_file() for path, _ in folders):
        return build()  # the loader says what is wrong
    files = pack_files([path for path, _ in folders])
    if any(_size(f) > MAX_BYTES for f in files):
        return build()  # never hash a file the loader refuses by its size (a 100 MB rule file: at once)
    if evidence_file is not None:
        files.append(evidence_file.resolve())
    extra = [f"shown={shown}" for _, shown in folders] + [f"{name}={fact!r}" for name, fact in sorted(catalog.items())]
    key = cache.key_of("pack2", files, extra)
    built: list[Pack] = []

    def once() -> Pack:
        if not built:
            built.append(build())
        return built[0]

    # The full fact types (catalog, configurations, derived facts) come first: the expressions
    # of the pack are compiled again against them when the pack is read back.
    types: dict[str, FactType] = cache.cached("packtypes", key, lambda: dict(once().catalog))
    codecs = [
        cache.Codec(Condition, lambda c: c.source, lambda source: compile_condition(source, types)),
        cache.Codec(Expression, lambda e: e.source, lambda source: compile_expression(source, types)),
    ]
    pack: Pack = cache.cached("pack2", key, once, codecs)
    return pack
