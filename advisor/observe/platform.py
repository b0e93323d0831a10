"""Which platform a node runs on: bare metal, which hypervisor, which cloud, or unknown.

The evidence, in order (the first that decides wins; docs/observe.md has the table):

1. the scheme of ``spec.providerID`` (set by the cloud or infrastructure provider);
2. the instance-type label (``node.kubernetes.io/instance-type``): ``*.metal`` and
   ``*-metal`` types are bare metal, the naming schemes of AWS, Azure and Google
   Cloud are their VMs, ``vsphere-vm.*`` is vSphere;
3. node-feature-discovery's ``cpu-cpuid.HYPERVISOR`` label: a VM of an unknown hypervisor;
4. nothing else: unknown (Kubernetes does not say whether a node without a
   provider is a VM); ``advisor observe --assume-bare-metal`` counts these as bare metal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.observe.snapshot import Node

__all__ = ["Platform", "classify"]


@dataclass(frozen=True)
class Platform:
    """``kind`` is bare-metal, vm, container or unknown; ``virtualization`` an existing_virtualization choice."""

    kind: str
    provider: str
    virtualization: str | None
    evidence: str


#: providerID scheme -> (kind, provider, existing_virtualization choice)
SCHEMES: dict[str, tuple[str, str, str | None]] = {
    "aws": ("vm", "aws", "public-cloud"),
    "gce": ("vm", "gcp", "public-cloud"),
    "azure": ("vm", "azure", "public-cloud"),
    "oci": ("vm", "oracle-cloud", "public-cloud"),
    "ibm": ("vm", "ibm-cloud", "public-cloud"),
    "alicloud": ("vm", "alibaba-cloud", "public-cloud"),
    "digitalocean": ("vm", "digitalocean", "public-cloud"),
    "linode": ("vm", "linode", "public-cloud"),
    "hcloud": ("vm", "hetzner-cloud", "public-cloud"),
    "scaleway": ("vm", "scaleway", "public-cloud"),
    "vultr": ("vm", "vultr", "public-cloud"),
    "exoscale": ("vm", "exoscale", "public-cloud"),
    "vsphere": ("vm", "vsphere", "vsphere"),
    "openstack": ("vm", "openstack", "openstack"),
    "proxmox": ("vm", "proxmox", "kvm-proxmox"),
    "kubevirt": ("vm", "kubevirt", "kvm-proxmox"),
    "ovirt": ("vm", "ovirt", "kvm-proxmox"),
    "libvirt": ("vm", "libvirt", "kvm-proxmox"),
    "nutanix": ("vm", "nutanix", "nutanix"),
    "metal3": ("bare-metal", "metal3", None),
    "equinixmetal": ("bare-metal", "equinix-metal", None),
    "packet": ("bare-metal", "equinix-metal", None),
    "hrobot": ("bare-metal", "hetzner-robot", None),
    "kind": ("container", "kind", None),
    "k3d": ("container", "k3d", None),
    "docker": ("container", "docker", None),
}

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]{0,30})://")
_AWS = re.compile(r"^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge)$")
_GCP = re.compile(r"^[a-z][a-z0-9]*-(standard|highmem|highcpu|megamem|ultramem|highgpu|megagpu|ultragpu|"
                  r"micro|small|medium|custom)(-[0-9a-z-]+)?$")
_AZURE = re.compile(r"^(Standard|Basic)_[A-Za-z0-9_-]+$")
_METAL = re.compile(r"(^|[.-])metal(-[0-9a-z]+)?$")


def classify(node: Node) -> Platform:
    """The platform of one node, with the evidence that decided it."""
    match = _SCHEME.match(node.provider_id)
    if match:
        scheme = match.group(1)
        itype = _instance_type(node)
        if scheme in SCHEMES:
            kind, provider, virt = SCHEMES[scheme]
            if kind == "vm" and virt == "public-cloud" and itype and _METAL.search(itype):
                return Platform("bare-metal", provider, "public-cloud",
                                f"providerID {scheme}:// and bare-metal instance type")
            return Platform(kind, provider, virt, f"providerID {scheme}://")
    itype = _instance_type(node)
    if itype:
        if _METAL.search(itype):
            return Platform("bare-metal", "unknown", None, "bare-metal instance type")
        if itype.startswith("vsphere-vm."):
            return Platform("vm", "vsphere", "vsphere", "vSphere instance type")
        if _AWS.match(itype):
            return Platform("vm", "aws", "public-cloud", "AWS instance type")
        if _AZURE.match(itype):
            return Platform("vm", "azure", "public-cloud", "Azure VM size")
        if _GCP.match(itype):
            return Platform("vm", "gcp", "public-cloud", "Google Cloud machine type")
    if node.labels.get("feature.node.kubernetes.io/cpu-cpuid.HYPERVISOR") == "true":
        return Platform("vm", "unknown", None, "CPUID hypervisor flag (node-feature-discovery)")
    return Platform("unknown", "unknown", None, "no providerID, instance type or hypervisor flag")


def _instance_type(node: Node) -> str:
    return node.labels.get("node.kubernetes.io/instance-type") or node.labels.get(
        "beta.kubernetes.io/instance-type", "")
