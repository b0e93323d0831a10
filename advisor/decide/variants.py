"""Configurations (variants) of each option: every combination of its dimensions.

A configuration is a set of ``config.<dimension>`` facts that rules read, e.g.
``config.io_path == 'sr-iov'``. Its name is built from the pack's phrases:
"VM-backed, with SR-IOV for the data plane and pinned vCPUs".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import product

from advisor.decide.loader import Pack
from advisor.decide.model import Option

__all__ = ["OPTION_LABELS", "Configuration", "configurations"]

OPTION_LABELS: dict[Option, str] = {"bare-metal": "bare metal", "vm": "VM-backed"}


@dataclass(frozen=True)
class Configuration:
    option: Option
    values: tuple[tuple[str, str], ...]  # (dimension, value), in the pack's order
    phrases: tuple[str, ...]  # the phrase of each value ('' for a plain one)
    indices: tuple[int, ...]  # position of each value in its dimension (0: plain)

    @cached_property
    def facts(self) -> dict[str, str]:
        """``config.<dimension>: value`` of each dimension (computed once: do not change it)."""
        return {f"config.{d}": v for d, v in self.values}

    @property
    def key(self) -> str:
        """``vm`` for the plain configuration, else e.g. ``vm/io_path=sr-iov,cpu=pinned``."""
        return self.option if not self.changed else f"{self.option}/" + ",".join(f"{d}={v}" for d, v in self.changed)

    @property
    def changed(self) -> tuple[tuple[str, str], ...]:
        return tuple(dv for dv, i in zip(self.values, self.indices, strict=True) if i)

    @property
    def name(self) -> str:
        """E.g. ``VM-backed, with SR-IOV for the data plane and pinned vCPUs``."""
        label = OPTION_LABELS[self.option]
        words = [p for p in self.phrases if p]
        if not words:
            return label
        joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"{label}, with {joined}"


def configurations(pack: Pack, option: Option) -> list[Configuration]:
    """Every configuration of ``option``, the plain one first (built once per pack: ``Pack.configurations``)."""
    return list(pack.configurations[option])


def build(pack: Pack, option: Option) -> tuple[Configuration, ...]:
    """Every combination of ``option``'s dimensions, the plain one first."""
    dims = pack.dimensions[option]
    out = []
    for idx in product(*(range(len(d.values)) for d in dims)):
        values = tuple((d.name, d.values[i]) for d, i in zip(dims, idx, strict=True))
        phrases = tuple(d.phrases[d.values[i]] if i else "" for d, i in zip(dims, idx, strict=True))
        out.append(Configuration(option, values, phrases, tuple(idx)))
    return tuple(out)
