"""The live path: the official Kubernetes client against FakeAPIServer.

No real API server can run here (see tests/test_measure_k8s.py), so
:class:`FakeAPIServer` is a FAKE: a small HTTP server on 127.0.0.1, started by the
test, that answers the read-only list and version requests observe makes with the
generated dumps of tests/observe_estates.py, paged with ``limit``/``continue`` as the
API server does. It can refuse a resource (403, as RBAC does), answer too late (a
timeout) or refuse the credentials (401). The client under test is the real one,
configured from a real kubeconfig file.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import observe_estates as est
import pytest

from advisor.errors import Problem, UsageError
from advisor.observe import live, observe

#: Mostly waiting (a local API server, its timeouts and refusals): started first (tests/conftest.py).
pytestmark = pytest.mark.waits

pytest.importorskip("kubernetes.client", reason="pip install kubernetes")

PATHS = {
    "/api/v1/nodes": "Node", "/api/v1/namespaces": "Namespace", "/api/v1/pods": "Pod",
    "/apis/apps/v1/deployments": "Deployment", "/apis/apps/v1/statefulsets": "StatefulSet",
    "/apis/apps/v1/daemonsets": "DaemonSet",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions": "CustomResourceDefinition",
}
TOKEN = "fake-token-0123"


class FakeAPIServer:
    """A FAKE Kubernetes API server (read-only lists and /version), not a real one."""

    def __init__(self, dump: dict[str, Any], version: dict[str, Any], *, forbidden: tuple[str, ...] = (),
                 slow: tuple[str, ...] = (), delay: float = 3.0, unauthorized: bool = False) -> None:
        self.by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in dump["items"]:
            body = {k: v for k, v in item.items() if k not in ("kind", "apiVersion")}  # as the API lists them
            self.by_kind.setdefault(item["kind"], []).append(body)
        self.version = version["serverVersion"]
        self.forbidden, self.slow, self.delay, self.unauthorized = forbidden, slow, delay, unauthorized
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.handle(self)

            def do_POST(self) -> None:  # noqa: N802 - observe must never write
                server.requests.append(("POST", self.path, {}))
                self.send_response(405)
                self.end_headers()

            do_PUT = do_PATCH = do_DELETE = do_POST  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        self.requests.append(("GET", url.path, query))
        if self.unauthorized or h.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(h, 401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                       "reason": "Unauthorized", "code": 401})
        if url.path in self.forbidden:
            return self._send(h, 403, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                       "reason": "Forbidden", "code": 403,
                                       "message": f"{url.path} is forbidden: User \"observer\" cannot list"})
        if url.path in self.slow:
            time.sleep(self.delay)
        if url.path.rstrip("/") == "/version":
            return self._send(h, 200, self.version)
        kind = PATHS.get(url.path)
        if kind is None:
            return self._send(h, 404, {"kind": "Status", "code": 404})
        items = self.by_kind.get(kind, [])
        limit = int(query.get("limit", ["0"])[0]) or len(items) or 1
        start = int(query.get("continue", ["0"])[0])
        page = items[start:start + limit]
        meta: dict[str, Any] = {"resourceVersion": "42"}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        self._send(h, 200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": meta, "items": page})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def kubeconfig(path: Path, servers: dict[str, str]) -> Path:
    clusters = "\n".join(f"- name: {n}\n  cluster:\n    server: {url}" for n, url in servers.items())
    contexts = "\n".join(f"- name: {n}\n  context:\n    cluster: {n}\n    user: observer" for n in servers)
    path.write_text(f"apiVersion: v1\nkind: Config\nclusters:\n{clusters}\ncontexts:\n{contexts}\n"
                    f"current-context: {next(iter(servers))}\nusers:\n- name: observer\n  user:\n"
                    f"    token: {TOKEN}\n", encoding="utf-8")
    return path


@pytest.fixture
def prod() -> Iterator[FakeAPIServer]:
    server = FakeAPIServer(*est.estate("bare-metal"))
    yield server
    server.close()


@pytest.fixture
def edge() -> Iterator[FakeAPIServer]:
    """A vSphere cluster whose RBAC refuses pods and whose deployments list never answers in time."""
    server = FakeAPIServer(*est.estate("vsphere", nodes=3), forbidden=("/api/v1/pods",),
                           slow=("/apis/apps/v1/deployments",))
    yield server
    server.close()


def test_live_read_pages_through_lists_and_matches_the_dump(prod: FakeAPIServer, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "PAGE", 4)
    config = kubeconfig(tmp_path / "kubeconfig", {"prod": prod.url})
    got = observe(contexts=["prod"], kubeconfig=str(config), timeout=5)
    assert got.problems == []
    dumped = est.write_folder(tmp_path / "prod", *est.estate("bare-metal"))
    expected = observe(dumps=[dumped])
    assert {o.key: o.value for o in got.estate.observed} == {o.key: o.value for o in expected.estate.observed}
    assert got.estate.answer("crd_count").sources == ("context:prod",)  # type: ignore[union-attr]
    assert got.snapshots[0].server_version == "v1.30.4"
    methods = {m for m, _, _ in prod.requests}
    assert methods == {"GET"}  # read-only
    assert {p.rstrip("/") for _, p, _ in prod.requests} == set(PATHS) | {"/version"}
    pod_pages = [q for _, p, q in prod.requests if p == "/api/v1/pods"]
    assert len(pod_pages) > 3 and pod_pages[1]["continue"] == ["4"] and pod_pages[0]["limit"] == ["4"]


PUBLIC = Path(__file__).parent / "data" / "observe" / "public"


def public_nodes(folder: Path) -> dict[str, Any]:
    """The nodes of a public dump (tests/data/observe/public) as one list of Node objects."""
    data = json.loads(next(folder.glob("*.json")).read_text(encoding="utf-8"))
    nodes = data["items"] if "items" in data else [data]
    return {"items": [{**node, "kind": "Node"} for node in nodes]}


def test_live_read_of_the_public_dumps_observes_what_the_dumps_show(tmp_path: Path) -> None:
    folders = sorted(PUBLIC.iterdir())
    servers = {f.name: FakeAPIServer(public_nodes(f), {"serverVersion": {"gitVersion": "v0.0.0-fake"}})
               for f in folders}
    try:
        config = kubeconfig(tmp_path / "kubeconfig", {name: s.url for name, s in servers.items()})
        got = observe(contexts=list(servers), kubeconfig=str(config), timeout=5)
        assert all(len(s.requests) == len(PATHS) + 1 for s in servers.values())  # every list and /version, once
    finally:
        for server in servers.values():
            server.close()
    expected = observe(dumps=folders)
    assert got.problems == [] and expected.problems == []
    assert len(folders) >= 4 and {o.key: o.value for o in got.estate.observed}["clusters"] == len(folders)
    live = {o.key: (o.value, o.derivation) for o in got.estate.observed}
    dumped = {o.key: (o.value, o.derivation) for o in expected.estate.observed}
    assert {k: live[k] for k in dumped} == dumped
    # the API answers the lists the dumps lack (CRDs, namespaces, ...) with empty lists: those answers are extra
    unread = {u.key for u in expected.estate.unobserved if u.reason.startswith("no cluster with")}
    assert set(live) - set(dumped) <= unread and live["crd_count"] == (0, "distinct CRD names over all clusters (0)")


def test_rbac_refusal_and_timeout_are_one_line_each_and_the_rest_is_kept(
        prod: FakeAPIServer, edge: FakeAPIServer, tmp_path: Path, advisor) -> None:
    kubeconfig(tmp_path / "kubeconfig", {"prod": prod.url, "edge": edge.url})
    started = time.monotonic()
    result = advisor("observe", "--kubeconfig", "kubeconfig", "--context", "prod", "--context", "edge",
                     "--timeout", "1")
    assert time.monotonic() - started < 2.9 * 2  # one timeout, not retried
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        "context:edge: list pods was refused (403 Forbidden); grant get/list on pods (docs/observe.md has a "
        "read-only ClusterRole)",
        "context:edge: list deployments timed out after 1 s; retry with a longer --timeout, or dump with kubectl "
        "instead",
    ]
    assert "dump:" not in result.stdout and "context:edge: 3 nodes, server v1.30.2+vmware.1: 3 vm (vsphere)" \
        in result.stdout
    assert "  microservices_per_host: context:edge: no pods" in result.stdout
    assert "  replicas_per_service: context:edge: no deployments" in result.stdout
    assert "existing_virtualization     vsphere" in result.stdout  # 6 metal + 3 vSphere nodes: vSphere is it
    written = (tmp_path / "estate.profile.yaml").read_text()
    assert "source: [context:edge, context:prod]" in written
    assert "partial: 'context:edge: no pods'" in written


def test_current_context_unreachable_server_and_refused_credentials(tmp_path: Path) -> None:
    closed = FakeAPIServer(*est.estate("aws", nodes=2))
    closed.close()  # nothing listens there any more
    refusing = FakeAPIServer(*est.estate("aws", nodes=2), unauthorized=True)
    try:
        config = kubeconfig(tmp_path / "kc", {"gone": closed.url, "locked": refusing.url})
        problems: list[Problem] = []
        assert live.read_context(None, str(config), timeout=2, problems=problems) is None  # current: gone
        assert live.read_context("locked", str(config), timeout=2, problems=problems) is None
        assert live.read_context("nowhere", str(config), timeout=2, problems=problems) is None
    finally:
        refusing.close()
    lines = [p.format() for p in problems]
    assert lines[0].startswith("context:gone: cannot reach the API server: ")
    assert lines[0].endswith("; check the context's server address and the network")
    assert lines[1] == "context:locked: list nodes: the credentials were refused (401); log in again, then retry"
    assert len(refusing.requests) == 1  # stopped after the first refusal
    assert lines[2].startswith(f"{tmp_path / 'kc'}: cannot load context nowhere: ")


def test_missing_client_names_the_install_command(monkeypatch: pytest.MonkeyPatch, advisor,
                                                  tmp_path: Path) -> None:
    for name in ("kubernetes", "kubernetes.client", "kubernetes.config"):
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: the import fails, find_spec says None
    expected = ("advisor: reading a live cluster (--context) needs the 'kubernetes' extra, which is not installed; "
                "install it: pip install 'advisor[kubernetes]' (pipx: pipx install --force 'advisor[kubernetes]')")
    with pytest.raises(UsageError) as info:
        observe(contexts=["prod"])
    assert info.value.format() == expected
    est.write_folder(tmp_path / "prod", *est.estate("bare-metal", nodes=2))
    result = advisor("observe", "--dump", "prod", "--context", "prod")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected + "\n")  # before any work
