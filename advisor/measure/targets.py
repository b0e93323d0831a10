"""The targets file: which machines (or sandboxes) a measurement compares.

.. code-block:: yaml

    advisor_targets: 1
    targets:
      - name: metal
        role: bare-metal
        runner: local
        cpus: [1]
      - name: vm-like
        role: vm
        runner: local
        cpus: [1]
        cpu_quota: 0.5
        netns: true
        peer: metal

Common keys: ``name``, ``role`` (``bare-metal``, ``vm`` or ``peer``), ``runner``
(``local``, ``ssh``, ``kubernetes`` or a plugin's kind), ``peer`` (the target that
runs the servers of two-host probes for this one), ``sibling`` (the target beside
this one, another VM on its host or another pod on its node, that runs the noisy
probe's antagonist). Every other key is an option of
the runner; the ``local`` runner's options are checked here, other runners check
theirs with :meth:`TargetSpec.options_as`. Errors are ``file:line:col`` lines.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from advisor import inputs, yamlio
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.validation import problems_from, validate

__all__ = [
    "COMMON_KEYS",
    "LocalOptions",
    "RunnerOptions",
    "TargetSpec",
    "TargetsFile",
    "load_targets",
    "host_pairs",
    "parse_targets",
]

TargetRole = Literal["bare-metal", "vm", "peer"]
#: Keys every target has; the rest are runner options.
COMMON_KEYS = ("name", "role", "runner", "peer", "sibling")
_NAME = r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$"

OptT = TypeVar("OptT", bound="RunnerOptions")


class RunnerOptions(BaseModel):
    """Base of a runner's option model: the common keys are accepted and ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    role: str = ""
    runner: str = ""
    peer: str | None = None
    sibling: str | None = None


class LocalOptions(RunnerOptions):
    """Options of the ``local`` runner."""

    #: Pin every probe process to these CPUs (sched_setaffinity).
    cpus: list[int] | None = Field(default=None, min_length=1)
    #: Confine the target to this many CPUs' worth of time (cgroup CPU quota), e.g. 0.5.
    cpu_quota: float | None = Field(default=None, gt=0.0, le=1024.0)
    #: Run the target in a private network namespace joined to the host by a veth pair.
    netns: bool = False
    #: Scheduling priority of the target's processes (-20 highest); with a cgroup, its CPU weight matches.
    nice: int | None = Field(default=None, ge=-20, le=19)


class TargetSpec(BaseModel):
    """One target of the file. Runner options are in :attr:`options`."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=_NAME, description="lower-case letters, digits and '-', at most 32 characters")
    role: TargetRole
    runner: str = Field(default="local", min_length=1)
    peer: str | None = None
    #: The target beside this one (another VM on the same host, another pod on the same node) that runs
    #: the noisy probe's antagonist; without it the antagonist runs inside this target.
    sibling: str | None = None

    _doc: yamlio.Document | None = PrivateAttr(default=None)
    _location: Location | None = PrivateAttr(default=None)

    @property
    def options(self) -> dict[str, Any]:
        """The runner-specific keys of this target, as plain values."""
        return dict(self.model_extra or {})

    @property
    def location(self) -> Location | None:
        """Where the target is defined (file:line:col), when it came from a file."""
        return self._location

    def where(self, key: str) -> Location | None:
        """The position of ``key``'s value in the file (or of the target, if absent)."""
        if self._doc is None:
            return self._location
        return self._doc.where([key])

    def options_as(self, model: type[OptT]) -> OptT:
        """Validate this target's keys into a runner's option model; errors carry positions."""
        if self._doc is not None:
            return validate(model, self._doc)
        try:
            return model.model_validate(self.model_dump())
        except ValidationError as exc:
            doc = yamlio.Document(f"target {self.name!r}", self.model_dump())
            raise DataError("", problems=problems_from(exc, doc, model)) from None

    def error(self, key: str, message: str, hint: str | None = None) -> DataError:
        """A DataError pointing at ``key`` of this target (for runner factories)."""
        return DataError(message, hint, self.where(key))


class TargetsFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    advisor_targets: Literal[1]
    targets: list[TargetSpec] = Field(min_length=1)


def host_pairs(specs: Sequence[TargetSpec]) -> list[tuple[TargetSpec, ...]]:
    """The targets to compare, in host pairs: the i-th bare-metal target with the i-th vm target (file order).

    One pair is the usual comparison; several replicate it across hosts (the host is the unit:
    :mod:`advisor.measure.replication`). A file with targets of one role only gives one-target "pairs".
    """
    bm = [s for s in specs if s.role == "bare-metal"]
    vm = [s for s in specs if s.role == "vm"]
    if bm and vm:
        return list(zip(bm, vm, strict=True))
    return [(s,) for s in bm or vm]


def local_target(name: str = "local", role: Literal["bare-metal", "vm"] = "bare-metal", **options: Any) -> TargetSpec:
    """A target built in code (no file): this host, optionally confined."""
    spec = TargetSpec.model_validate({"name": name, "role": role, "runner": "local", **options})
    spec.options_as(LocalOptions)
    return spec


def load_targets(path: str | os.PathLike[str], *, display: str | None = None) -> list[TargetSpec]:
    """Load and check a targets file; raise DataError with file:line:col."""
    return parse_targets(yamlio.load(path, display=display if display is not None else str(Path(path)),
                                     max_bytes=inputs.limit("targets")))


def parse_targets(doc: yamlio.Document) -> list[TargetSpec]:
    """Check a parsed targets document (see the module docstring)."""
    model = validate(TargetsFile, doc)
    problems: list[Problem] = []
    root = doc.root
    seen: dict[str, int] = {}
    for i, spec in enumerate(model.targets):
        node = root["targets"][i] if hasattr(root, "__getitem__") else None
        spec._doc = yamlio.Document(doc.name, node, doc.text) if node is not None else None
        spec._location = doc.where(["targets", i])
        if spec.name in seen:
            problems.append(Problem(f"target name {spec.name!r} is used twice", "give every target its own name",
                                    doc.where(["targets", i, "name"])))
        seen[spec.name] = i
    names = [s.name for s in model.targets]
    for i, spec in enumerate(model.targets):
        for key in ("peer", "sibling"):
            other = getattr(spec, key)
            if other is None:
                continue
            if other not in seen:
                hint = did_you_mean(other, names) or "name another target of this file"
                problems.append(Problem(f"{key} {other!r} is not a target of this file", hint,
                                        doc.where(["targets", i, key])))
            elif other == spec.name:
                problems.append(Problem(f"a target cannot be its own {key}", f"name another target or remove '{key}'",
                                        doc.where(["targets", i, key])))
        if spec.runner == "local":
            try:
                spec.options_as(LocalOptions)
            except DataError as exc:
                problems.extend(exc.problems)
    problems.extend(_check_roles(model.targets, doc))
    if problems:
        raise DataError("", problems=problems)
    return list(model.targets)


def _check_roles(targets: Sequence[TargetSpec], doc: yamlio.Document) -> list[Problem]:
    out: list[Problem] = []
    counts = {role: [i for i, t in enumerate(targets) if t.role == role] for role in ("bare-metal", "vm")}
    bm, vm = counts["bare-metal"], counts["vm"]
    if len(bm) != len(vm) and (len(bm) > 1 or len(vm) > 1):
        more, fewer = ("bare-metal", "vm") if len(bm) > len(vm) else ("vm", "bare-metal")
        extra = counts[more][max(1, len(counts[fewer])):]  # the first target beyond the pairs
        out.append(Problem(f"{len(bm)} bare-metal and {len(vm)} vm targets: several hosts per platform are "
                           "compared in pairs (the i-th bare-metal target with the i-th vm target)",
                           f"give as many {fewer} targets as {more} ones, or role 'peer' to the extra ones",
                           doc.where(["targets", extra[0], "role"])))
    if not any(t.role in ("bare-metal", "vm") for t in targets):
        out.append(Problem("no target to measure: every target has role 'peer'",
                           "give one target role 'bare-metal' and one role 'vm'", doc.where(["targets"])))
    referenced = {t.peer for t in targets if t.peer} | {t.sibling for t in targets if t.sibling}
    for i, t in enumerate(targets):
        if t.role == "peer" and t.name not in referenced:
            out.append(Problem(f"peer target {t.name!r} is not used by any target",
                               "name it in another target's 'peer' or 'sibling' key, or remove it",
                               doc.where(["targets", i])))
    return out
