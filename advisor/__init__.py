"""advisor: decide between bare-metal and VM-backed Kubernetes nodes.

The command line is ``advisor`` (see docs/cli.md). The Python API is
:func:`advisor.assess`; it is imported lazily so that ``advisor --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor._version import __version__

__all__ = ["__version__", "assess"]

if TYPE_CHECKING:  # pragma: no cover
    from advisor.pipeline import assess


def __getattr__(name: str) -> Any:
    if name == "assess":
        from advisor.pipeline import assess

        return assess
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
