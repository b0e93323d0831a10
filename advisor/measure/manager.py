"""The plugin manager: built-in and third-party probes and runners.

Built-ins are plugins like any other: they are registered through the entry-point
group ``advisor.measurements`` in pyproject.toml, and loaded by module name when
those entry points are missing (a checkout that is not installed). A plugin that
fails to load is skipped with a one-line warning naming it; nothing is printed here.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from advisor.errors import DataError, MeasurementError, Problem, UsageError, did_you_mean, one_of
from advisor.measure import hookspecs
from advisor.measure.api import Probe, Runner, main_metric
from advisor.measure.targets import TargetSpec
from advisor.rules.catalog import PROBES

__all__ = ["BUILTINS", "PluginInfo", "Registry", "get_plugin_manager", "load_registry"]

RunnerFactory = Callable[[TargetSpec], Runner]
#: A probe whose facts a rule can read: ``measured.<name>.ratio`` must be a fact name.
_FACT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

#: entry-point name -> module of the built-in plugins (as in pyproject.toml).
BUILTINS = hookspecs.BUILTINS


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin: its name, module, distribution and version."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool


@dataclass
class Registry:
    """What the plugins provide, with the plugin that provided each item."""

    plugins: list[PluginInfo] = field(default_factory=list)
    probes: dict[str, Probe] = field(default_factory=dict)
    probe_plugin: dict[str, str] = field(default_factory=dict)
    runners: dict[str, RunnerFactory] = field(default_factory=dict)
    runner_plugin: dict[str, str] = field(default_factory=dict)
    #: One line per plugin that could not be loaded or answered wrongly.
    warnings: list[str] = field(default_factory=list)
    #: Probe or runner names provided by more than one plugin (an error: see :func:`load_registry`).
    clashes: list[str] = field(default_factory=list)
    #: Folders of rule-pack layers the plugins ship, with the plugin's name, in plugin order.
    rule_packs: list[tuple[Path, str]] = field(default_factory=list)
    #: The plugins' probes (not the built-in ones) that bring measured facts, and what their ratio compares.
    fact_probes: dict[str, str] = field(default_factory=dict)

    def probe(self, name: str) -> Probe:
        """The probe called ``name``; UsageError with a suggestion if unknown."""
        try:
            return self.probes[name]
        except KeyError:
            hint = did_you_mean(name, self.probes) or f"choose one of {one_of(sorted(self.probes))}"
            raise UsageError(f"unknown probe {name!r}", hint) from None

    def make_runner(self, spec: TargetSpec) -> Runner:
        """Build the runner of a target; DataError at the target's 'runner' key if unknown."""
        factory = self.runners.get(spec.runner)
        if factory is None:
            hint = did_you_mean(spec.runner, self.runners) or (
                f"choose one of {one_of(sorted(self.runners))}, or install the plugin that provides it")
            raise DataError(f"unknown runner {spec.runner!r}", hint, spec.where("runner"))
        return factory(spec)


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


def get_plugin_manager(*, entry_points: bool = True) -> tuple[pluggy.PluginManager, list[str]]:
    """A plugin manager with every plugin registered, and the warnings of those that failed."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    warnings: list[str] = []
    if entry_points:
        for ep in md.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            if pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            dist = ep.dist.name if ep.dist is not None else None
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is reported, not fatal
                if ep.name in BUILTINS and ep.value == BUILTINS[ep.name] and _missing_module(exc, ep.value):
                    continue  # a built-in not part of this build
                origin = f" from {dist}" if dist else ""
                warnings.append(f"plugin {ep.name!r} ({ep.value}{origin}) failed to load: "
                                f"{type(exc).__name__}: {_one_line(exc)}; it is skipped")
                pm.set_blocked(ep.name)
                continue
            _register(pm, plugin, ep.name, warnings)
    for name, module_name in BUILTINS.items():
        if pm.has_plugin(name) or pm.is_blocked(name):
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001
            if _missing_module(exc, module_name):
                continue
            warnings.append(f"built-in plugin {name!r} ({module_name}) failed to load: "
                            f"{type(exc).__name__}: {_one_line(exc)}; it is skipped")
            continue
        _register(pm, module, name, warnings)
    while True:
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            name = _plugin_name(pm, exc.plugin)
            warnings.append(f"plugin {name!r} implements an unknown hook: {_one_line(exc)}; it is skipped")
            pm.unregister(exc.plugin)
    return pm, warnings


def _missing_module(exc: BaseException, module_name: str) -> bool:
    return isinstance(exc, ModuleNotFoundError) and exc.name is not None and module_name.startswith(exc.name)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "(no message)"


def _register(pm: pluggy.PluginManager, plugin: object, name: str, warnings: list[str]) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        warnings.append(f"plugin {name!r} cannot be registered: {_one_line(exc)}; it is skipped")


def _info(pm: pluggy.PluginManager, name: str, plugin: object) -> PluginInfo:
    dist_name: str | None = None
    version: str | None = None
    for dist_obj, p_name in ((d, n) for d, n in _dists(pm)):
        if p_name == name:
            dist_name, version = dist_obj
    module = getattr(plugin, "__name__", type(plugin).__module__)
    builtin = name in BUILTINS and module == BUILTINS[name]
    if builtin and version is None:
        from advisor._version import __version__

        dist_name, version = "advisor", __version__
    return PluginInfo(name, str(module), dist_name, version, builtin)


def _dists(pm: pluggy.PluginManager) -> list[tuple[tuple[str | None, str | None], str]]:
    out: list[tuple[tuple[str | None, str | None], str]] = []
    for ep in md.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
        if ep.dist is not None:
            out.append(((ep.dist.name, ep.dist.version), ep.name))
    return out


def load_registry(pm: pluggy.PluginManager | None = None, warnings: list[str] | None = None, *,
                  check: bool = True) -> Registry:
    """Call the hooks of every plugin and collect probes and runners.

    A probe or runner name provided by two plugins is an error naming both (a plugin
    cannot shadow a built-in probe, nor another plugin's, whatever the load order);
    ``check=False`` returns the registry with :attr:`Registry.clashes` filled instead.
    """
    if pm is None:
        pm, warnings = get_plugin_manager()
    reg = Registry(warnings=list(warnings or []))
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        reg.plugins.append(_info(pm, name, plugin))
        caller: Any = getattr(plugin, "advisor_probes", None)
        if caller is not None:
            _collect_probes(reg, name, caller)
        caller = getattr(plugin, "advisor_runners", None)
        if caller is not None:
            _collect_runners(reg, name, caller)
        caller = getattr(plugin, "advisor_rule_packs", None)
        if caller is not None:
            _collect_packs(reg, name, caller)
    _collect_facts(reg)
    if reg.clashes and check:
        hint = "uninstall one of the plugins, or rename its probe or runner"
        raise MeasurementError("", problems=[Problem(text, hint) for text in reg.clashes])
    return reg


def _describe(reg: Registry, plugin: str) -> str:
    info = next((p for p in reg.plugins if p.name == plugin), None)
    if info is None:
        return f"plugin {plugin!r}"
    if info.builtin:
        return f"the built-in plugin {plugin!r}"
    origin = f" from {info.distribution}" if info.distribution else ""
    return f"plugin {plugin!r} ({info.module}{origin})"


def _collect_probes(reg: Registry, plugin: str, hook: Callable[[], Any]) -> None:
    try:
        probes = list(hook())
    except Exception as exc:  # noqa: BLE001
        reg.warnings.append(f"plugin {plugin!r}: advisor_probes() failed: {type(exc).__name__}: {_one_line(exc)}")
        return
    for probe in probes:
        if not isinstance(probe, Probe):
            reg.warnings.append(f"plugin {plugin!r}: {probe!r} is not a probe (see advisor.measure.api.Probe); "
                                "it is skipped")
            continue
        if probe.name in reg.probes:
            first, second = sorted([reg.probe_plugin[probe.name], plugin],
                                   key=lambda p: (p not in BUILTINS, p))
            reg.clashes.append(f"probe {probe.name!r} is provided by {_describe(reg, first)} and by "
                               f"{_describe(reg, second)}; a plugin cannot replace another's probe")
            if plugin in BUILTINS:
                reg.probes[probe.name] = probe
                reg.probe_plugin[probe.name] = plugin
            continue
        reg.probes[probe.name] = probe
        reg.probe_plugin[probe.name] = plugin


def _collect_runners(reg: Registry, plugin: str, hook: Callable[[], Any]) -> None:
    try:
        runners = dict(hook())
    except Exception as exc:  # noqa: BLE001
        reg.warnings.append(f"plugin {plugin!r}: advisor_runners() failed: {type(exc).__name__}: {_one_line(exc)}")
        return
    for kind, factory in runners.items():
        if not callable(factory):
            reg.warnings.append(f"plugin {plugin!r}: runner {kind!r} is not callable; it is skipped")
            continue
        if kind in reg.runners:
            first, second = sorted([reg.runner_plugin[kind], plugin], key=lambda p: (p not in BUILTINS, p))
            reg.clashes.append(f"runner {kind!r} is provided by {_describe(reg, first)} and by "
                               f"{_describe(reg, second)}; a plugin cannot replace another's runner")
            continue
        reg.runners[str(kind)] = factory
        reg.runner_plugin[str(kind)] = plugin


def _collect_facts(reg: Registry) -> None:
    """The measured facts of the plugins' probes: ``measured.<probe>.*``, described by ``measured_fact`` or by the
    probe's title and main metric. A plugin probe with a built-in probe's name would shadow its facts: a clash."""
    for name, plugin in sorted(reg.probe_plugin.items()):
        if plugin in BUILTINS:
            continue
        if name in PROBES:
            reg.clashes.append(f"probe {name!r} of {_describe(reg, plugin)} would shadow the catalog's "
                               f"measured.{name}.* facts; a plugin cannot replace a built-in probe's facts")
            continue
        if not _FACT_NAME.match(name):
            reg.warnings.append(f"plugin {plugin!r}: probe {name!r} brings no measured facts: a rule can read "
                                "only a probe named with lower-case letters, digits and '_'")
            continue
        probe = reg.probes[name]
        said = getattr(probe, "measured_fact", None)
        try:
            main = main_metric(probe)
        except MeasurementError:
            continue
        worse = "< 1" if main.better == "higher" else "> 1"
        reg.fact_probes[name] = str(said) if said else f"{probe.title} ({main.name}); {worse} means the VM is slower"


def _collect_packs(reg: Registry, plugin: str, hook: Callable[[], Any]) -> None:
    try:
        folders = [Path(f) for f in hook()]
    except Exception as exc:  # noqa: BLE001
        reg.warnings.append(f"plugin {plugin!r}: advisor_rule_packs() failed: {type(exc).__name__}: "
                            f"{_one_line(exc)}")
        return
    reg.rule_packs.extend((folder, plugin) for folder in folders)


def require_tools(probe: Probe, runner: Runner) -> None:
    """Raise MeasurementError naming the missing tools of ``probe`` on ``runner``."""
    missing = [t for t in probe.tools if not runner.which(t)]
    if missing:
        raise MeasurementError(f"probe {probe.name!r} needs {', '.join(missing)} on target {runner.name!r}",
                               probe.install_hint())
