"""The pluggy hooks a measurement plugin implements (project name ``advisor``).

A plugin is a module (or object) registered in the entry-point group
``advisor.measurements``; it implements any of the hooks below, decorated with
:data:`hookimpl`. See docs/measurement.md, "Writing a plugin".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

from advisor.measure.plugins import BUILTINS, ENTRY_POINT_GROUP

if TYPE_CHECKING:
    from advisor.measure.api import Probe, Runner
    from advisor.measure.targets import TargetSpec

PROJECT = "advisor"
__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "PROJECT", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorate hook implementations with ``@hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def advisor_probes() -> list[Probe]:  # type: ignore[empty-body]
    """Return the probes this plugin provides.

    Each probe's ``name`` must be unique across plugins (a clash is an error naming
    both plugins). Built-in names: cpu, memory, disk, net, jitter, noisy. Each
    probe brings the measured facts ``measured.<name>.ratio``, ``.ci_low``,
    ``.ci_high`` and ``.verdict`` to the fact catalog; its optional ``measured_fact``
    says what the ratio compares (docs/facts.md).
    """


@hookspec
def advisor_runners() -> dict[str, Callable[[TargetSpec], Runner]]:  # type: ignore[empty-body]
    """Return runner factories by kind (the ``runner:`` value of a target).

    A factory receives the validated :class:`~advisor.measure.targets.TargetSpec`
    (runner-specific options are in ``spec.options``) and returns a ready
    :class:`~advisor.measure.api.Runner`. Built-in kinds: local, ssh, kubernetes.
    """


@hookspec
def advisor_rule_packs() -> list[str | os.PathLike[str]]:  # type: ignore[empty-body]
    """Return the folders of rule-pack layers this plugin ships (format 2, a ``pack.yaml`` without criteria).

    They are layered over the default pack, before the user's ``--rules`` layers, so
    their consequences can read the plugin's measured facts (``measured_by``) and a
    rule with ``overrides: true`` replaces the estimate the plugin's probe measures.
    """
