"""Read a cluster through the official Kubernetes Python client, read-only.

Only ``list`` on nodes, namespaces, pods, deployments, statefulsets, daemonsets and
CRDs and ``get`` on the version endpoint are called, in pages of :data:`PAGE`
objects. Responses are streamed through :mod:`advisor.observe.jsonstream` instead of
being turned into the client's model objects (a 300,000-pod list would not fit). A
refused list (RBAC), a timeout or a broken response is one problem line; the other
kinds are still read, and what was read is kept and marked partial.

The client is an optional dependency (``pip install 'advisor[kubernetes]'``) imported
here only.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from advisor.errors import Location, Problem, UsageError
from advisor.observe.jsonstream import Field, Item, StreamError, read_list
from advisor.observe.snapshot import RESOURCE, Snapshot, shown
from advisor.resources import install_command

__all__ = ["INSTALL_HINT", "PAGE", "read_context", "require_client"]

INSTALL_HINT = f"install it: {install_command('kubernetes')}"
#: objects per list request (the API server pages with ``limit`` and ``continue``)
PAGE = 500

#: kind -> (API class, method) of the list call
_LISTS: dict[str, tuple[str, str]] = {
    "Node": ("CoreV1Api", "list_node"),
    "Namespace": ("CoreV1Api", "list_namespace"),
    "Pod": ("CoreV1Api", "list_pod_for_all_namespaces"),
    "Deployment": ("AppsV1Api", "list_deployment_for_all_namespaces"),
    "StatefulSet": ("AppsV1Api", "list_stateful_set_for_all_namespaces"),
    "DaemonSet": ("AppsV1Api", "list_daemon_set_for_all_namespaces"),
    "CustomResourceDefinition": ("ApiextensionsV1Api", "list_custom_resource_definition"),
}


class _Stop(Exception):
    """The cluster cannot be read at all (unreachable, credentials refused)."""


def _missing() -> UsageError:
    return UsageError("reading a live cluster (--context) needs the 'kubernetes' extra, which is not installed",
                      INSTALL_HINT)


def require_client() -> None:
    """Refuse, before any work, when the Kubernetes client is not installed (exit 2, with the install command)."""
    if importlib.util.find_spec("kubernetes") is None:
        raise _missing()


def _client() -> tuple[Any, Any]:
    try:  # the optional extra, imported on first use
        import kubernetes.client
        import kubernetes.config
    except ImportError:
        raise _missing() from None
    return kubernetes.client, kubernetes.config


def read_context(context: str | None, kubeconfig: str | None, *, timeout: float,
                 problems: list[Problem]) -> Snapshot | None:
    """The snapshot of the cluster of kubeconfig ``context`` (None: the current context)."""
    client, config = _client()
    where_config = kubeconfig or "$KUBECONFIG or ~/.kube/config"
    try:
        if context is None:
            _, current = config.list_kube_config_contexts(config_file=kubeconfig)
            context = str(current["name"])
        configuration = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
    except Exception as exc:  # noqa: BLE001 - the client raises ConfigException, OSError, YAML errors
        problems.append(Problem(f"cannot load context {shown(context or '(current)')}: {_one_line(exc)}",
                                "check --kubeconfig and --context ('kubectl config get-contexts' lists them)",
                                Location(shown(where_config, 200))))
        return None
    configuration.retries = 0  # a timeout is reported, not retried three times
    label = f"context:{context}"
    snap = Snapshot(label)
    api = client.ApiClient(configuration)
    try:
        for kind, (cls, method) in _LISTS.items():
            _list(snap, kind, getattr(getattr(client, cls)(api), method), timeout, problems)
        _version(snap, client.VersionApi(api), timeout, problems)
    except _Stop:
        pass
    finally:
        api.close()
    return snap if snap.read else None


def _list(snap: Snapshot, kind: str, call: Callable[..., Any], timeout: float, problems: list[Problem]) -> None:
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": PAGE, "_preload_content": False, "_request_timeout": timeout}
        if token:
            kwargs["_continue"] = token
        meta: dict[str, Any] = {}
        try:
            response = call(**kwargs)
            try:
                for part in read_list(response.read):
                    if isinstance(part, Item):
                        snap.add(part.value, snap.name, kind)
                    elif isinstance(part, Field) and part.key == "metadata" and isinstance(part.value, dict):
                        meta = part.value
            finally:
                response.release_conn()
        except StreamError as exc:
            _problem(snap, kind, f"the response to list {RESOURCE[kind]} is broken at line {exc.line}: "
                                 f"{exc.message}", "retry; if it persists, dump with kubectl instead", problems)
            return
        except Exception as exc:  # noqa: BLE001 - ApiException and urllib3's errors, told apart below
            _failed(snap, kind, exc, timeout, problems)
            return
        snap.mark_read(kind, snap.name)
        token = meta.get("continue") if isinstance(meta.get("continue"), str) else None
        if not token:
            return


def _version(snap: Snapshot, api: Any, timeout: float, problems: list[Problem]) -> None:
    try:
        response = api.get_code(_preload_content=False, _request_timeout=timeout)
        try:
            fields = {p.key: p.value for p in read_list(response.read) if isinstance(p, Field)}
        finally:
            response.release_conn()
    except StreamError as exc:
        _problem(snap, "Version", f"the version response is broken: {exc.message}", "retry", problems)
        return
    except Exception as exc:  # noqa: BLE001
        _failed(snap, "Version", exc, timeout, problems)
        return
    if isinstance(fields.get("gitVersion"), str):
        snap.server_version = fields["gitVersion"]
        snap.mark_read("Version", snap.name)


def _failed(snap: Snapshot, kind: str, exc: Exception, timeout: float, problems: list[Problem]) -> None:
    status = getattr(exc, "status", None)
    what = f"list {RESOURCE[kind]}" if kind != "Version" else "get the version"
    if status == 403:
        _problem(snap, kind, f"{what} was refused (403 Forbidden)",
                 f"grant get/list on {RESOURCE[kind]} (docs/observe.md has a read-only ClusterRole)", problems)
    elif status == 401:
        _problem(snap, kind, f"{what}: the credentials were refused (401)", "log in again, then retry", problems)
        raise _Stop
    elif isinstance(status, int) and status:
        _problem(snap, kind, f"{what} failed ({status} {shown(getattr(exc, 'reason', ''))})", "retry", problems)
    elif _is_timeout(exc):
        _problem(snap, kind, f"{what} timed out after {timeout:g} s",
                 "retry with a longer --timeout, or dump with kubectl instead", problems)
    else:
        _problem(snap, kind, f"cannot reach the API server: {_one_line(exc)}",
                 "check the context's server address and the network", problems)
        raise _Stop


def _is_timeout(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if "Timeout" in type(seen).__name__ or isinstance(seen, TimeoutError):
            return True
        seen = getattr(seen, "reason", None) if not isinstance(getattr(seen, "reason", None), str) else None
    return False


def _problem(snap: Snapshot, kind: str, message: str, hint: str, problems: list[Problem]) -> None:
    snap.incomplete[kind] = message
    problems.append(Problem(message, hint, Location(shown(snap.name, 200))))


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return shown(lines[0] if lines else type(exc).__name__, 200)
