"""Environments (staging, prod, ...): what differs between the places a bundle is deployed."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Iterable, Mapping, TypeVar

from obs.errors import DefinitionError
from obs.model.params import Range
from obs.model.checks import (
    DURATION_RE, check_duration, check_http_url, check_k8s_labels, check_label_name, check_number,
    check_slug, frozen_mapping,
)
from obs.model.fleet import (
    CLUSTER_TOKEN, QUERY_SERVICE, RECEIVE_SERVICE, RULER_SERVICE, STORE_SERVICE, Cluster, Thanos, clusters_of,
)

T = TypeVar("T")

# Matchers that select each scrape source; override them per environment when your jobs differ.
DEFAULT_SELECTORS: Mapping[str, str] = MappingProxyType({
    "kube_state_metrics": 'job="kube-state-metrics"',
    "cadvisor": 'job="kubelet", metrics_path="/metrics/cadvisor"',
    "kubelet": 'job="kubelet", metrics_path="/metrics"',
    "namespaces": 'namespace=~".+"',
    "otel_services": 'job=~".+"',
    "otel_collector": 'job=~"otel-collector.*"',
    # The global store's own metrics (environments with one), scraped through the Services obs writes
    # and, for the global ruler, the operator's Service (obs.render.thanos): their names are the jobs.
    "thanos_ruler": f'job="{RULER_SERVICE}"',
    "thanos_query": f'job="{QUERY_SERVICE}"',
    "thanos_store": f'job="{STORE_SERVICE}"',
    "thanos_receive": f'job="{RECEIVE_SERVICE}"',
})


@dataclass(frozen=True)
class Urls:
    """External URLs the generated artifacts link to."""

    grafana: str = "https://grafana.example.com"
    runbooks: str = "https://runbooks.example.com/obs"
    alertmanager: str = "http://alertmanager-operated.monitoring.svc:9093"
    prometheus: str = "http://prometheus-operated.monitoring.svc:9090"
    tempo: str = "http://tempo.monitoring.svc:3200"
    loki: str = "http://loki-gateway.monitoring.svc"

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            check_http_url("urls", name, getattr(self, name))


@dataclass(frozen=True, init=False)
class Environment:
    """One deployment target: one cluster (`cluster="prod-eu1"`) or several
    (`clusters=[obs.Cluster("prod-eu1"), obs.Cluster("prod-us1")]`), optionally with a global
    store/ruler over all of them (`global_store=obs.Thanos(...)`, docs/fleet.md). `overrides` maps
    parameter keys (e.g. 'ContainerHighCPU.threshold') to values; definitions read them through
    `param()`, and a key no definition reads is an error, so a typo cannot silently keep the default."""

    name: str
    clusters: tuple[Cluster, ...]
    cluster_label: str = "cluster"
    namespace: str = "monitoring"
    selectors: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    urls: Urls = field(default_factory=Urls)
    rule_labels: Mapping[str, str] = field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    global_store: Thanos | None = None
    _used: set[str] = field(default_factory=set, init=False, compare=False, repr=False)
    # key -> (default, declared range) of every parameter a definition read (for `obs params`).
    _declared: dict[str, tuple[Any, Range | None]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __init__(self, name: str, cluster: str | None = None, cluster_label: str = "cluster",
                 namespace: str = "monitoring", selectors: Mapping[str, str] | None = None,
                 overrides: Mapping[str, Any] | None = None, urls: Urls | None = None,
                 rule_labels: Mapping[str, str] | None = None, *,
                 clusters: Iterable[Cluster | str] = (), global_store: Thanos | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        check_slug(self.definition, "name", self.name)
        set_(self, "clusters", clusters_of(self.definition, cluster, clusters))
        set_(self, "cluster_label", cluster_label)
        set_(self, "namespace", namespace)
        set_(self, "selectors", MappingProxyType({**DEFAULT_SELECTORS, **(selectors or {})}))
        set_(self, "overrides", frozen_mapping(overrides or {}))
        set_(self, "urls", Urls() if urls is None else urls)
        set_(self, "rule_labels", frozen_mapping({"release": "kube-prometheus-stack"} if rule_labels is None
                                                 else rule_labels))
        set_(self, "global_store", global_store)
        set_(self, "_used", set())
        set_(self, "_declared", {})
        self._check()

    @property
    def definition(self) -> str:
        return f"environment {self.name!r}"

    def _check(self) -> None:
        check_slug(self.definition, "namespace", self.namespace)
        check_label_name(self.definition, "cluster_label", self.cluster_label)
        check_k8s_labels(self.definition, "rule_labels", self.rule_labels)  # metadata of every object obs makes
        if not isinstance(self.urls, Urls):
            raise DefinitionError(self.definition, "urls", f"{self.urls!r} is not Urls", "pass obs.Urls(...)")
        if self.global_store is not None and not isinstance(self.global_store, Thanos):
            raise DefinitionError(self.definition, "global_store", f"{self.global_store!r} is not a global store",
                                  "pass obs.Thanos(...), or None to evaluate every rule in each cluster")
        if self.global_store is not None:
            self.global_store.check_for(self.definition, len(self.clusters))
        for item in self.clusters:
            if self.cluster_label in item.labels:
                raise DefinitionError(f"{self.definition} {item.definition}", "labels",
                                      f"sets {self.cluster_label!r}, which obs sets to the cluster's name",
                                      f"remove {self.cluster_label!r} from the cluster's labels")
            if self.fleet:
                item.check_folder_name(self.definition)

    @property
    def cluster(self) -> str:
        """The name of the environment's only cluster (environments of several: `clusters`)."""
        if len(self.clusters) != 1:
            raise DefinitionError(self.definition, "cluster",
                                  f"has {len(self.clusters)} clusters ({', '.join(c.name for c in self.clusters)})",
                                  "use env.clusters, or env.cluster_stamp where one rendered value serves "
                                  "every cluster")
        return self.clusters[0].name

    @property
    def fleet(self) -> bool:
        """Written as environment-wide resources plus one overlay per cluster (several clusters or
        a global store); else everything in the environment's folder, as for one cluster."""
        return len(self.clusters) > 1 or self.global_store is not None

    @property
    def cluster_stamp(self) -> str:
        """The cluster name a per-cluster value (a collector's k8s.cluster.name) is rendered with:
        the cluster's name, or in an environment of several clusters a token each cluster's
        overlay replaces by its name (obs.render.layout.stamp)."""
        return self.clusters[0].name if len(self.clusters) == 1 else CLUSTER_TOKEN

    @property
    def remote_write_url(self) -> str:
        """Where metrics pushed from outside Prometheus go (the collector gateways, Tempo's metrics
        generator, the Loki ruler): a `receive` global store's hashring, else Prometheus'
        remote-write receiver at `urls.prometheus`."""
        if self.global_store is not None and not self.prometheus_receives_writes:
            return self.global_store.write_url(self.namespace)
        return f"{self.urls.prometheus.rstrip('/')}/api/v1/write"

    @property
    def prometheus_receives_writes(self) -> bool:
        """Whether `remote_write_url` is Prometheus' own receiver (no Receive hashring takes the
        writes), which Prometheus serves only when told to (obs.topologies.prometheus.ingest_values)."""
        return self.global_store is None or self.global_store.topology != "receive"

    @property
    def sample_cluster(self) -> str:
        """A cluster name for generated test data (the first cluster's)."""
        return self.clusters[0].name

    def selector(self, name: str) -> str:
        """The label matchers (without braces) that select a scrape source, e.g. 'kube_state_metrics'."""
        try:
            return self.selectors[name]
        except KeyError:
            raise DefinitionError(self.definition, "selectors", f"no selector named {name!r}",
                                  f"define it, or use one of {sorted(self.selectors)}") from None

    def with_selectors(self, **selectors: str) -> "Environment":
        """This environment selecting some sources differently, e.g. a pack scoped to the bundle's
        own collectors (`env.with_selectors(otel_collector='job=~"a|b"')`). Overrides read through
        the copy count as read here too."""
        copy = replace(self, selectors={**self.selectors, **selectors})
        object.__setattr__(copy, "_used", self._used)
        object.__setattr__(copy, "_declared", self._declared)
        return copy

    def param(self, key: str, default: T, range: Range | None = None) -> T:
        """The environment's override for `key`, else `default`. The override must have the
        default's type; durations must be valid; a number must lie in `range` when the definition
        declares one (obs.model.params: RATIO, SECONDS, ...)."""
        self._used.add(key)
        self._declared[key] = (default, range)
        if key not in self.overrides:
            return default
        value = self.overrides[key]
        field_name = f"overrides[{key!r}]"
        numeric = (int, float)
        if isinstance(default, bool) or not isinstance(default, numeric):
            ok = isinstance(value, type(default))
        else:
            ok = isinstance(value, numeric) and not isinstance(value, bool)
        if not ok:
            raise DefinitionError(self.definition, field_name,
                                  f"{value!r} is a {type(value).__name__}, the default is {default!r}",
                                  f"give a {type(default).__name__}")
        if isinstance(default, str) and (key.endswith(".for") or DURATION_RE.match(default)):
            check_duration(self.definition, field_name, value)
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            check_number(self.definition, field_name, value, 0 if default >= 0 else None)
            if range is not None and value not in range:
                raise DefinitionError(self.definition, field_name, f"{value!r} is outside {range.text()}, the range "
                                      f"{key.split('.')[0]} declares ({range.meaning}){range.hint(value)}",
                                      f"give a number in {range.text()}, e.g. the default {default!r}")
        return value

    def declared(self) -> dict[str, tuple[Any, Range | None]]:
        """Every parameter a definition read so far: key -> (default, declared range)."""
        return dict(self._declared)

    def unused_overrides(self) -> list[str]:
        """Override keys no definition asked for (call after the definitions were built)."""
        return sorted(set(self.overrides) - self._used)
