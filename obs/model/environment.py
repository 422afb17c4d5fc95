"""Environments (staging, prod, ...): what differs between the places a bundle is deployed."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping, TypeVar

from obs.errors import DefinitionError
from obs.model.params import Range
from obs.model.checks import (
    DURATION_RE, check_cluster, check_duration, check_http_url, check_label_name, check_labels, check_number,
    check_slug, frozen_mapping,
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


@dataclass(frozen=True)
class Environment:
    """One deployment target. `overrides` maps parameter keys (e.g. 'ContainerHighCPU.threshold')
    to values; definitions read them through `param()`, and a key no definition reads is an error,
    so a typo cannot silently keep the default."""

    name: str
    cluster: str
    cluster_label: str = "cluster"
    namespace: str = "monitoring"
    selectors: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    urls: Urls = field(default_factory=Urls)
    rule_labels: Mapping[str, str] = field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    _used: set[str] = field(default_factory=set, init=False, compare=False, repr=False)
    # key -> (default, declared range) of every parameter a definition read (for `obs params`).
    _declared: dict[str, tuple[Any, Range | None]] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def definition(self) -> str:
        return f"environment {self.name!r}"

    def __post_init__(self) -> None:
        check_slug(self.definition, "name", self.name)
        check_slug(self.definition, "namespace", self.namespace)
        check_cluster(self.definition, "cluster", self.cluster)
        check_label_name(self.definition, "cluster_label", self.cluster_label)
        check_labels(self.definition, "rule_labels", self.rule_labels)
        merged = {**DEFAULT_SELECTORS, **self.selectors}
        object.__setattr__(self, "selectors", MappingProxyType(merged))
        object.__setattr__(self, "overrides", frozen_mapping(self.overrides))
        object.__setattr__(self, "rule_labels", frozen_mapping(self.rule_labels))

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
        return value  # type: ignore[return-value]

    def declared(self) -> dict[str, tuple[Any, Range | None]]:
        """Every parameter a definition read so far: key -> (default, declared range)."""
        return dict(self._declared)

    def unused_overrides(self) -> list[str]:
        """Override keys no definition asked for (call after the definitions were built)."""
        return sorted(set(self.overrides) - self._used)
