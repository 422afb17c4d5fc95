"""Where files go in an environment's folder. One cluster without a global store: everything in
`<env>/`. Otherwise (`Environment.fleet`, docs/fleet.md):

    <env>/                       environment-wide: global-tier rules, ThanosRuler, Thanos Query/Store
                                 (/Receive), dashboards, Alertmanager, backends; kustomization.yaml
    <env>/cluster-base/          what every cluster runs alike: cluster-tier rules, their tests and
                                 PrometheusRules, Service/PodMonitors, Instrumentation; kustomization.yaml
    <env>/clusters/<cluster>/    one kustomization per cluster: cluster-base plus its collectors and
                                 Prometheus values (what differs per cluster)
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Sequence

from obs.model.environment import Environment
from obs.model.fleet import CLUSTER_TOKEN, Cluster

CLUSTER_BASE = "cluster-base"
CLUSTERS_DIR = "clusters"


def tier_dir(env: Environment, tier: str) -> str:
    """The prefix of a rule tier's files: cluster-tier rules in the cluster base, global and
    management ones at the top (one folder for all when the environment is not a fleet)."""
    return f"{CLUSTER_BASE}/" if env.fleet and tier == "cluster" else ""


def base_dir(env: Environment) -> str:
    """The prefix of what every cluster runs alike (Service/PodMonitors, Instrumentation)."""
    return f"{CLUSTER_BASE}/" if env.fleet else ""


def cluster_dir(env: Environment, cluster: Cluster) -> str:
    """The prefix of one cluster's own files."""
    return f"{CLUSTERS_DIR}/{cluster.name}/" if env.fleet else ""


def stamp(rendered: bytes, cluster: Cluster, configs: Sequence[bytes] = ()) -> bytes:
    """`rendered` (built once for every cluster, with `CLUSTER_TOKEN` where the cluster's name goes)
    for one cluster: the token replaced by its name, and the checksum of each config in `configs`
    by the checksum of the cluster's config (so a workload's checksum/config annotation stays
    the hash of the config it mounts). Without the token, `rendered` as is."""
    token = CLUSTER_TOKEN.encode()
    if token not in rendered:
        return rendered
    name = cluster.name.encode()
    for config in configs:
        old, new = hashlib.sha256(config).hexdigest(), hashlib.sha256(config.replace(token, name)).hexdigest()
        rendered = rendered.replace(old.encode(), new.encode())
    return rendered.replace(token, name)


def parts(folders: Iterable[Path]) -> list[Path]:
    """Each written environment folder and, in a fleet, its cluster base and cluster folders: what
    the tool checks look into (prometheus/, collector/, kubernetes/ under each)."""
    found: list[Path] = []
    for folder in folders:
        found.append(folder)
        if (folder / CLUSTER_BASE).is_dir():
            found.append(folder / CLUSTER_BASE)
        if (folder / CLUSTERS_DIR).is_dir():
            found += sorted(p for p in (folder / CLUSTERS_DIR).iterdir() if p.is_dir() and not p.is_symlink())
    return found
