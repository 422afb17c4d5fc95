"""Fleets: the clusters of an environment and the global store/ruler that sees all of them.

An environment of several clusters (or with a global store) is written as one folder of
environment-wide resources plus one kustomization per cluster (docs/fleet.md). Rule groups are
placed on a tier (`RuleGroup.tier`): `cluster` runs in every cluster's Prometheus, `global` in
the global ruler (Thanos Rule) over every cluster's series, `management` in the Prometheus of the
management cluster (where the environment-wide folder is deployed) over what it scrapes there: the
global ruler's own health, which the ruler cannot report on itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from obs.errors import DefinitionError
from obs.model.checks import (
    check_cluster, check_k8s_name, check_labels, check_no_empty_values, check_nonempty, frozen_mapping,
)

TIERS = ("cluster", "global", "management")
RULER_SERVICE = "thanos-ruler-operated"  # the headless Service the operator creates for every ThanosRuler
# The Services obs writes for Query, the store gateway and Receive (obs.render.thanos); their ServiceMonitors
# select them, so each name is also the `job` of the component's series.
QUERY_SERVICE, STORE_SERVICE, RECEIVE_SERVICE = "thanos-query", "thanos-store", "thanos-receive"
TOPOLOGIES = ("sidecar", "receive")
# A cluster's folder name (<env>/clusters/<name>/): no '/', no leading dot.
_FOLDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}\Z")
# Collectors of an environment of several clusters are built once with this cluster name; each
# cluster's overlay replaces it by the cluster's own (obs.render.layout.stamp), so the environment-wide
# definitions are built once, not once per cluster.
CLUSTER_TOKEN = "obs-cluster-name-token"
THANOS_IMAGE = "quay.io/thanos/thanos:v0.41.0"


@dataclass(frozen=True)
class Cluster:
    """One Kubernetes cluster of an environment. `labels` are extra external labels of its
    Prometheus (e.g. region), on top of the cluster label obs sets to `name`."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def definition(self) -> str:
        return f"cluster {self.name!r}"

    def __post_init__(self) -> None:
        check_cluster("cluster", "name", self.name)
        if self.name == CLUSTER_TOKEN:
            raise DefinitionError(self.definition, "name", "is the token obs stamps collectors with",
                                  "choose another name")
        object.__setattr__(self, "labels", frozen_mapping(self.labels))
        check_labels(self.definition, "labels", self.labels)
        check_no_empty_values(self.definition, "labels", self.labels)

    def check_folder_name(self, environment: str) -> None:
        """The name is a folder of the output (<env>/clusters/<name>/): no '/' or ':'."""
        if not _FOLDER_RE.match(self.name):
            raise DefinitionError(f"{environment} {self.definition}", "name",
                                  f"{self.name!r} cannot be a folder name (clusters/<name>/)",
                                  "use letters, digits, '.', '_' and '-' only")


@dataclass(frozen=True)
class Thanos:
    """The global store and ruler of an environment, in one of the two topologies users run:

    - `sidecar`: each cluster's Prometheus runs the Thanos sidecar (uploading blocks to object
      storage); Thanos Query reads every sidecar (`sidecar_address`, `{cluster}` replaced by each
      cluster's name) and a store gateway over the bucket, deduplicating on `replica_label`.
    - `receive`: each cluster's Prometheus and collector gateways remote-write into a Thanos
      Receive hashring of `receive_replicas` replicas, each series stored `replication_factor`
      times; Query reads the Receive replicas and the store gateway.

    The bucket configuration is only referenced: the Secret `objstore_secret` (key
    `objstore_key`) holds it, created outside obs (sealed secret, external-secrets, ...)."""

    topology: str = "sidecar"
    objstore_secret: str = "thanos-objstore"
    objstore_key: str = "objstore.yml"
    sidecar_address: str = "thanos-sidecar.{cluster}.example.internal:10901"
    replica_label: str = "prometheus_replica"
    receive_replicas: int = 3
    replication_factor: int = 2
    receive_url: str | None = None
    image: str = THANOS_IMAGE
    query_replicas: int = 2
    ruler_replicas: int = 2

    @property
    def definition(self) -> str:
        return f"global store Thanos({self.topology!r})"

    def __post_init__(self) -> None:
        what = self.definition
        if self.topology not in TOPOLOGIES:
            raise DefinitionError("global store Thanos", "topology", f"{self.topology!r} is not a topology",
                                  f"use one of {', '.join(TOPOLOGIES)}")
        check_k8s_name(what, "objstore_secret", self.objstore_secret, "Secret")
        if not isinstance(self.objstore_key, str) or not re.match(r"^[-._a-zA-Z0-9]+\Z", self.objstore_key):
            raise DefinitionError(what, "objstore_key", f"{self.objstore_key!r} is not a Secret key",
                                  "use letters, digits, '-', '_' and '.'")
        check_nonempty(what, "image", self.image)
        check_labels(what, "replica_label", {self.replica_label: "x"})
        for name in ("receive_replicas", "replication_factor", "query_replicas", "ruler_replicas"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DefinitionError(what, name, f"{value!r} is not a positive whole number", "give 1 or more")
        if not isinstance(self.sidecar_address, str) or ":" not in self.sidecar_address:
            raise DefinitionError(what, "sidecar_address", f"{self.sidecar_address!r} is not a host:port address",
                                  "give each cluster's sidecar gRPC endpoint, e.g. "
                                  "'thanos-sidecar.{cluster}.example.net:10901'")
        if self.topology == "receive" and self.replication_factor > self.receive_replicas:
            raise DefinitionError(what, "replication_factor",
                                  f"{self.replication_factor} copies of each series need as many replicas, "
                                  f"there are {self.receive_replicas}",
                                  "lower replication_factor or raise receive_replicas")
        if self.receive_url is not None and not re.match(r"^https?://\S+\Z", self.receive_url):
            raise DefinitionError(what, "receive_url", f"{self.receive_url!r} is not an http(s) URL",
                                  "give the remote-write URL of the Receive hashring, e.g. "
                                  "'https://thanos-receive.example.net/api/v1/receive'")


    def check_for(self, environment: str, clusters: int) -> None:
        """What depends on the environment: several clusters need a sidecar address per cluster."""
        if self.topology == "sidecar" and clusters > 1 and "{cluster}" not in self.sidecar_address:
            raise DefinitionError(f"{environment} {self.definition}", "sidecar_address",
                                  f"{self.sidecar_address!r} has no {{cluster}}, so every cluster's sidecar "
                                  "would be the same address",
                                  "write the address of a cluster's sidecar gRPC endpoint with {cluster} where "
                                  "the cluster's name goes, e.g. 'thanos-sidecar.{cluster}.example.net:10901'")

    def query_url(self, namespace: str) -> str:
        """Thanos Query's HTTP API (Prometheus-compatible): the ruler's and Grafana's data source."""
        return f"http://thanos-query.{namespace}.svc.cluster.local:10902"

    def write_url(self, namespace: str) -> str:
        """Where the clusters' Prometheus and collector gateways remote-write (topology `receive`):
        `receive_url`, else the Receive Service in the environment's namespace."""
        return self.receive_url or f"http://thanos-receive.{namespace}.svc.cluster.local:19291/api/v1/receive"


def clusters_of(definition: str, cluster: str | None, clusters: Any) -> tuple[Cluster, ...]:
    """The clusters of an environment from `cluster="x"` (shorthand for one) or `clusters=[...]`
    (Cluster objects or names)."""
    if cluster is not None and clusters:
        raise DefinitionError(definition, "cluster", "is given together with clusters",
                              "give cluster='name' for one cluster or clusters=[...] for several, not both")
    if cluster is not None:
        return (Cluster(cluster),)
    if isinstance(clusters, (str, Cluster)) or not clusters:
        raise DefinitionError(definition, "clusters", "names no cluster",
                              "give cluster='prod-eu1', or clusters=[obs.Cluster('prod-eu1'), ...]")
    found = tuple(Cluster(c) if isinstance(c, str) else c for c in clusters)
    for item in found:
        if not isinstance(item, Cluster):
            raise DefinitionError(definition, "clusters", f"{item!r} is not a Cluster", "pass obs.Cluster(...) objects")
    names = [c.name for c in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError(definition, "clusters", f"duplicate cluster {duplicates[0]!r}", "name each cluster once")
    return found
