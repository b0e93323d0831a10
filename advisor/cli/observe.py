"""``advisor observe``: fill a profile's answers from the clusters (live or dumped)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    InputFile,
    emit_json,
    format_option,
    load_questionnaire,
    questionnaire_option,
)
from advisor.errors import DataError, Location, UsageError

if TYPE_CHECKING:
    from advisor.observe import Observation
    from advisor.observe.merge import Change

_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DEFAULT_OUTPUT = Path("estate.profile.yaml")


def _check(pattern: re.Pattern[str], what: str, option: str, example: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        for item in value if isinstance(value, tuple) else ([value] if value else []):
            if not pattern.match(item):
                raise UsageError(f"{option} {item[:80]!r} is not a valid {what}", f"write e.g. {option} {example}")
        return value
    return callback


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--dump", "dumps", multiple=True, type=click.Path(path_type=Path), metavar="DIR",
              help="A folder of 'kubectl ... -o json' dumps of one cluster (repeatable: one per cluster).")
@click.option("--context", "contexts", multiple=True, metavar="NAME",
              help="A kubeconfig context to read live, read-only (repeatable: one per cluster).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), metavar="FILE",
              help="The kubeconfig (default: $KUBECONFIG or ~/.kube/config). Alone: its current context.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, metavar="SECONDS",
              help="Time limit of each API request.")
@click.option("--profile", "profile_path", type=InputFile("profile"), metavar="FILE",
              help="Profile to fill; it is updated in place unless --output is given.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help=f"Where to write the profile (default: the --profile file, else {_DEFAULT_OUTPUT}; "
                   "an existing file other than --profile is never overwritten).")
@click.option("--overwrite-answers", "force", is_flag=True,
              help="Replace answers a person gave when the clusters say otherwise.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--tenant-label", metavar="KEY",
              callback=_check(_LABEL_KEY, "label key", "--tenant-label", "example.com/tenant"),
              help="Count tenants as the distinct values of this namespace label (default: non-system namespaces).")
@click.option("--system-namespace", "system_namespaces", multiple=True, metavar="PATTERN",
              help="Another namespace (shell pattern) of the platform itself, not a tenant (repeatable).")
@click.option("--platform-group", "platform_groups", multiple=True, metavar="GROUP",
              callback=_check(_GROUP, "API group", "--platform-group", "example.com"),
              help="Another CRD API group (and its subgroups) of the platform itself, not a team (repeatable).")
@click.option("--assume-bare-metal", is_flag=True,
              help="Count nodes whose platform cannot be seen (no providerID or instance type) as bare metal.")
@click.option("--expires-days", type=click.IntRange(min=1, max=3650), default=90, show_default=True, metavar="DAYS",
              help="How long observed answers hold before 'advisor records check --observe' flags them.")
@format_option()
@questionnaire_option
def observe(dumps: tuple[Path, ...], contexts: tuple[str, ...], kubeconfig: str | None, timeout: float,
            profile_path: Path | None, output: Path | None, force: bool, dry_run: bool, tenant_label: str | None,
            system_namespaces: tuple[str, ...], platform_groups: tuple[str, ...], assume_bare_metal: bool,
            expires_days: int, fmt: str, questionnaire_path: Path | None) -> None:
    """Fill a profile's answers from the clusters themselves.

    Reads nodes, namespaces, pods, deployments, statefulsets, daemonsets, CRDs and
    the version of each cluster, live (read-only 'list' and 'get' through the
    official Kubernetes client) or from dumps, and derives the answers they show:
    clusters, Kubernetes versions, CRDs, services per node, replicas, tenants, GPUs,
    special networking, the existing virtualization (docs/observe.md). Each is stored
    as 'observed' with its source, time, derivation and expiry. Answers a person gave
    are kept (use --overwrite-answers to replace them); every difference is shown.

    \b
    Dump a cluster you cannot reach from here (one folder per cluster):
      kubectl get nodes,namespaces,pods,deployments,statefulsets,daemonsets,crds -A -o json > prod/cluster.json
      kubectl version -o json > prod/version.json
    \b
    Then:
      advisor observe --dump prod --dump staging --output estate.profile.yaml
      advisor assess --profile estate.profile.yaml
    """
    from advisor import profile as profile_mod
    from advisor.observe import observe as run
    from advisor.observe.derive import Settings
    from advisor.observe.merge import merge

    live: list[str | None] = list(contexts) or ([None] if kubeconfig else [])
    if not dumps and not live:
        raise UsageError("nothing to observe", "give --dump DIR (one per cluster) or --context NAME")
    if live:
        from advisor.observe.live import require_client

        require_client()
    q = load_questionnaire(questionnaire_path)
    target = output or profile_path or _DEFAULT_OUTPUT
    if not dry_run and target != profile_path and target.exists():
        raise DataError("file already exists", "choose another --output, or pass it as --profile to update it",
                        Location(str(target)))
    profile = profile_mod.load(profile_path, q) if profile_path is not None else profile_mod.new(q)
    settings = Settings(tenant_label, system_namespaces, platform_groups, assume_bare_metal)
    result = run(dumps=dumps, contexts=live, kubeconfig=kubeconfig, timeout=timeout, settings=settings)
    for problem in result.problems:
        console.err(problem.format())
    if not result.estate.observed:
        raise DataError("nothing could be observed", "fix the problems above and run again")
    changes = merge(profile, result.estate, force=force, expires_days=expires_days, options=settings.options())
    written = None
    if not dry_run and (profile.changed or target != profile_path):
        profile.write(target, source="observed")
        written = target
    if fmt == "json":
        emit_json(_as_json(result, changes, written), sort_keys=True)
    else:
        console.out(_as_text(result, changes))
    _report(changes, written, dry_run)


def _as_text(result: Observation, changes: list[Change]) -> str:
    from advisor import tables

    lines = [f"Observed {len(result.snapshots)} cluster{'s' if len(result.snapshots) != 1 else ''}:"]
    lines += [f"  {line}" for line in result.estate.summary]
    rows = [[c.key, _value(c.value), _before(c), _action(c)] for c in changes]
    lines += ["", tables.text(rows, ["answer", "observed", "profile before", "action"])]
    partial = [c for c in changes if c.partial]
    if partial:
        lines += ["", "Partial (kept, marked in the profile):"]
        lines += [f"  {c.key}: {c.partial}" for c in partial]
    if result.estate.unobserved:
        lines += ["", "Not observed (still questions):"]
        lines += [f"  {u.key}: {u.reason}" for u in result.estate.unobserved]
    return "\n".join(lines)


def _value(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _before(c: Change) -> str:
    return "-" if c.before_kind is None else f"{_value(c.before)} ({c.before_kind})"


def _action(c: Change) -> str:
    return {
        "set": "set",
        "updated": "updated",
        "unchanged": "unchanged (time and expiry renewed)",
        "kept": "KEPT the answer: it differs (--overwrite-answers replaces it)",
        "overwritten": "replaced the answer (--overwrite-answers)",
        "agrees": "agrees with the answer",
        "invalid": f"not used: {c.problem}",
    }[c.action]


def _as_json(result: Observation, changes: list[Change], written: Path | None) -> dict[str, Any]:
    return {
        "clusters": result.estate.summary,
        "answers": [{"key": c.key, "observed": c.value, "before": c.before, "before_kind": c.before_kind,
                     "action": c.action, "derivation": c.derivation, "partial": c.partial, "problem": c.problem}
                    for c in changes],
        "unobserved": [{"key": u.key, "reason": u.reason} for u in result.estate.unobserved],
        "problems": [p.format() for p in result.problems],
        "profile": str(written) if written else None,
    }


def _report(changes: list[Change], written: Path | None, dry_run: bool) -> None:
    differ = [c for c in changes if c.action in ("kept", "overwritten")]
    if differ:
        console.err(f"{len(differ)} observed value{'s differ' if len(differ) != 1 else ' differs'} from the "
                    "answers given: " + ", ".join(f"{c.key} {_value(c.before)} -> {_value(c.value)}" for c in differ))
    if dry_run:
        console.err("Dry run: nothing written")
    elif written is not None:
        console.err(f"Profile written to {written}; next: advisor assess --profile {written}")
    else:
        console.err("The profile already holds these observations: nothing written")
