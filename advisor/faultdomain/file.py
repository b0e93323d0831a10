"""The topology file format (``advisor_topology: 1``): its pydantic models and JSON Schema.

Phase 1 of reading a topology file: the shapes, keys and types of its entries, checked
by these models through :func:`advisor.validation.validate` like every other file
format, so that each problem is one ``file:line:col: problem; what to do`` line.
:mod:`advisor.faultdomain.topology` then resolves names and references and builds the
arrays. The format is described in docs/fault-domains.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from advisor.faultdomain.model import MAX_PODS

__all__ = ["TOPOLOGY_FORMAT", "TopologyFile", "json_schema"]

#: Version of the topology file format (the ``advisor_topology`` key).
TOPOLOGY_FORMAT = 1

#: A name: text with something in it (a number is refused: quote it).
Name = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Rack(_Strict):
    name: Name
    hosts: list[Name] = Field(description="the rack's physical hosts, by name")


class Site(_Strict):
    name: Name
    racks: list[Rack]


class VM(_Strict):
    name: Name
    parent: Name = Field(description="the host or VM (nested) it runs on")


class Node(_Strict):
    name: Name
    parent: Name = Field(description="the host or VM whose kernel runs it")
    cluster: Name | None = Field(None, description="its cluster (default: the only one)")


class Cluster(_Strict):
    name: Name
    control_plane: list[Name] = Field(min_length=1, description="its control-plane nodes")


class Pods(_Strict):
    """Pods of a service on one node: ``{node: NAME, count: N}``, or just the node's name for one pod."""

    node: Name
    count: int = Field(1, ge=1, description="how many of the service's pods run on that node")

    @model_validator(mode="before")
    @classmethod
    def _one_pod(cls, data: Any) -> Any:
        return {"node": data} if isinstance(data, str) else data


#: What a JSON Schema says of one entry of ``pods``: a node name, or ``{node, count}``.
_POD_SCHEMA = {"anyOf": [
    {"type": "string", "minLength": 1, "pattern": r"\S", "description": "a node running one pod"},
    {"type": "object", "additionalProperties": False, "required": ["node"],
     "properties": {"node": {"type": "string", "minLength": 1, "pattern": r"\S"},
                    "count": {"type": "integer", "minimum": 1, "default": 1}}},
]}


class Service(_Strict):
    name: Name
    tenant: Name | None = Field(None, description="its tenant (default: 'default')")
    pods: list[Annotated[Pods, WithJsonSchema(_POD_SCHEMA)]] = Field(
        min_length=1, description="the nodes its pods run on: a name per pod, or {node, count}")


class TopologyFile(_Strict):
    """A real fleet: sites, racks, hosts, VMs, Kubernetes nodes, clusters and services."""

    advisor_topology: Literal[1] = Field(description="format version of this file")
    name: Name | None = Field(None, description="the fleet's label in tables (default: the file name)")
    sites: list[Site] = Field(min_length=1)
    vms: list[VM] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    clusters: list[Cluster] = Field(default_factory=list)
    tenants: list[Name] | None = Field(None, description="the tenants services may name (default: any)")
    services: list[Service] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _old_version_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "version" in data and "advisor_topology" not in data:
            raise ValueError("'version' is the old name of the format key; "
                             f"rename it to 'advisor_topology: {TOPOLOGY_FORMAT}'")
        return data

    @model_validator(mode="after")
    def _pod_cap(self) -> TopologyFile:
        total = sum(p.count for s in self.services for p in s.pods)
        if total > MAX_PODS:
            raise ValueError(f"services: more than {MAX_PODS:,} pods in the file; "
                             "describe a representative part of the fleet")
        return self


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a topology file (``advisor schema topology``)."""
    schema = TopologyFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "advisor topology"
    return schema
