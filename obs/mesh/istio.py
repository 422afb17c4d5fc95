"""Istio mesh telemetry as code: the mesh config's `extensionProviders` (Helm values for istiod) and
`Telemetry` resources (telemetry.istio.io/v1), mesh-wide and per namespace.

The guides configure Envoy's Zipkin tracer towards `jaeger-collector:9411` in the mesh config and
then Telemetry resources (provider, sampling, custom tags, an access-log filter). Here providers
point at the generated collector instead (OTLP, or Zipkin for meshes that keep that tracer), and
every definition is checked when it is made: sampling is a percentage, every provider a Telemetry
names exists (or is Istio's built-in `envoy` access log), header tags name RFC 7230 header tokens.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from obs.errors import DefinitionError
from obs.model.checks import (
    K8S_SUBDOMAIN_RE, check_k8s_labels, check_k8s_name, check_port, check_unique, frozen_mapping,
)

ROOT_NAMESPACE = "istio-system"
"""Istio's root namespace: a Telemetry there without a selector applies to the whole mesh."""
BUILTIN_ACCESS_LOG = "envoy"
"""Istio's built-in access-log provider (Envoy's file log to /dev/stdout)."""
# RFC 7230 token: the characters an HTTP header name may have.
HEADER_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_TAG_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}\Z")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_PROVIDER_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?\Z")
ProviderKind = Literal["opentelemetry", "zipkin", "envoy_otel_als"]
TRACING_KINDS = ("opentelemetry", "zipkin")


@dataclass(frozen=True)
class Provider:
    """One `meshConfig.extensionProviders` entry: a tracer (`opentelemetry`: OTLP/gRPC; `zipkin`:
    Zipkin JSON over HTTP) or an access log sent as OTLP logs (`envoy_otel_als`), to `service:port`
    (the collector Service's DNS name, e.g. the node agent's)."""

    name: str
    kind: ProviderKind
    service: str
    port: int
    max_tag_length: int = 256

    @property
    def definition(self) -> str:
        return f"mesh provider {self.name!r}"

    @property
    def tracing(self) -> bool:
        return self.kind in TRACING_KINDS

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _PROVIDER_RE.match(self.name):
            raise DefinitionError(self.definition, "name", f"{self.name!r} is not a provider name",
                                  "use lower-case letters, digits, '-' and '.'")
        if self.name == BUILTIN_ACCESS_LOG:
            raise DefinitionError(self.definition, "name", "'envoy' is Istio's built-in access-log provider",
                                  "choose another name")
        if self.kind not in (*TRACING_KINDS, "envoy_otel_als"):
            raise DefinitionError(self.definition, "kind", f"{self.kind!r} is not a provider kind obs writes",
                                  "use 'opentelemetry', 'zipkin' or 'envoy_otel_als'")
        if not isinstance(self.service, str) or not K8S_SUBDOMAIN_RE.match(self.service):
            raise DefinitionError(self.definition, "service", f"{self.service!r} is not a Service host name",
                                  "write the Service's DNS name, e.g. "
                                  "otel-collector-agent.monitoring.svc.cluster.local")
        check_port(self.definition, "port", self.port)
        if isinstance(self.max_tag_length, bool) or not isinstance(self.max_tag_length, int) \
                or not 1 <= self.max_tag_length <= 65535:
            raise DefinitionError(self.definition, "max_tag_length", f"{self.max_tag_length!r} is out of range",
                                  "give a length from 1 to 65535")


@dataclass(frozen=True)
class LiteralTag:
    """The same value on every span."""

    value: str


@dataclass(frozen=True)
class HeaderTag:
    """The value of a request header (`default` when the request has none)."""

    name: str
    default: str | None = None


@dataclass(frozen=True)
class EnvTag:
    """The value of an environment variable of the proxy (`default` when unset)."""

    name: str
    default: str | None = None


Tag = LiteralTag | HeaderTag | EnvTag


def _check_tag(definition: str, key: str, tag: object) -> None:
    where = f"custom_tags[{key!r}]"
    if not isinstance(key, str) or not _TAG_RE.match(key):
        raise DefinitionError(definition, "custom_tags", f"{key!r} is not a tag name",
                              "use letters, digits, '_', '.' and '-', starting with a letter or '_'")
    if isinstance(tag, LiteralTag):
        if not isinstance(tag.value, str) or not tag.value:
            raise DefinitionError(definition, where, "has an empty literal", "give the value every span carries")
    elif isinstance(tag, HeaderTag):
        if not isinstance(tag.name, str) or not HEADER_TOKEN_RE.match(tag.name):
            raise DefinitionError(definition, f"{where}.name", f"{tag.name!r} is not an HTTP header name",
                                  "use an RFC 7230 token: letters, digits and !#$%&'*+-.^_`|~ (no spaces or ':')")
    elif isinstance(tag, EnvTag):
        if not isinstance(tag.name, str) or not _ENV_RE.match(tag.name):
            raise DefinitionError(definition, f"{where}.name", f"{tag.name!r} is not an environment variable name",
                                  "use letters, digits and '_', not starting with a digit")
    else:
        raise DefinitionError(definition, where, f"{tag!r} is not a tag", "use LiteralTag, HeaderTag or EnvTag")
    default = getattr(tag, "default", None)
    if default is not None and not isinstance(default, str):
        raise DefinitionError(definition, f"{where}.default", f"{default!r} is not a string", "quote it")


@dataclass(frozen=True)
class Telemetry:
    """A Telemetry resource. In the root namespace without `selector` it applies to the whole mesh;
    in another namespace to that namespace (or, with `selector`, to matching workloads).
    `sampling` is a percentage (0-100; None: inherit); `access_log_filter` a CEL expression
    choosing which requests are logged (Envoy's access log, or the providers given)."""

    name: str
    namespace: str = ROOT_NAMESPACE
    tracing_providers: Sequence[str] = ()
    sampling: float | None = None
    custom_tags: Mapping[str, Tag] = field(default_factory=dict)
    access_log_providers: Sequence[str] = ()
    access_log_filter: str | None = None
    selector: Mapping[str, str] = field(default_factory=dict)

    @property
    def definition(self) -> str:
        return f"telemetry {self.namespace}/{self.name}"

    @property
    def mesh_wide(self) -> bool:
        return self.namespace == ROOT_NAMESPACE and not self.selector

    @property
    def traces(self) -> bool:
        return bool(self.tracing_providers or self.sampling is not None or self.custom_tags)

    @property
    def logs(self) -> bool:
        return bool(self.access_log_providers or self.access_log_filter is not None)

    def __post_init__(self) -> None:
        for name in ("name", "namespace"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise DefinitionError(self.definition, name, f"{value!r} is not a string")
            check_k8s_name(self.definition, name, value, "Telemetry" if name == "name" else "namespace")
        for name in ("tracing_providers", "access_log_providers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
            check_unique(self.definition, name, getattr(self, name), "provider")
        self._check_sampling()
        object.__setattr__(self, "custom_tags", frozen_mapping(self.custom_tags))
        for key, tag in self.custom_tags.items():
            _check_tag(self.definition, key, tag)
        if self.access_log_filter is not None and (
                not isinstance(self.access_log_filter, str) or not self.access_log_filter.strip()):
            raise DefinitionError(self.definition, "access_log_filter", "is empty",
                                  "write a CEL expression, e.g. response.code >= 500, or None to log every request")
        object.__setattr__(self, "selector", frozen_mapping(self.selector))
        check_k8s_labels(self.definition, "selector", self.selector)  # matched as Kubernetes labels, no wildcards
        if not self.traces and not self.logs:
            raise DefinitionError(self.definition, "tracing_providers", "configures nothing",
                                  "set tracing (providers, sampling, custom_tags) or access logging")

    def _check_sampling(self) -> None:
        value = self.sampling
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 <= value <= 100:
            raise DefinitionError(self.definition, "sampling", f"{value!r} is not a percentage",
                                  "give a number from 0 to 100 (10 samples one request in ten)")


@dataclass(frozen=True)
class MeshTelemetry:
    """The mesh's telemetry: its providers and Telemetry resources, checked against each other."""

    providers: Sequence[Provider]
    telemetries: Sequence[Telemetry]
    definition = "mesh telemetry"

    def __post_init__(self) -> None:
        object.__setattr__(self, "providers", tuple(self.providers))
        object.__setattr__(self, "telemetries", tuple(self.telemetries))
        for item, kind in ((self.providers, Provider), (self.telemetries, Telemetry)):
            for value in item:
                if not isinstance(value, kind):
                    raise DefinitionError(self.definition, f"{kind.__name__.lower()}s", f"{value!r} is not a "
                                          f"{kind.__name__}", f"build it with obs.mesh.{kind.__name__}(...)")
        check_unique(self.definition, "providers", (p.name for p in self.providers), "provider")
        check_unique(self.definition, "telemetries", ((t.namespace, t.name) for t in self.telemetries), "Telemetry")
        wide = [f"{t.namespace}/{t.name}" for t in self.telemetries if not t.selector]
        namespaces = [name.split("/")[0] for name in wide]
        check_unique(self.definition, "telemetries", namespaces,
                     "namespace-wide Telemetry (Istio applies one per namespace; give the others a selector) in")
        by_name = {p.name: p for p in self.providers}
        for telemetry in self.telemetries:
            for name in telemetry.tracing_providers:
                self._check_provider(telemetry, "tracing_providers", name, by_name, tracing=True)
            for name in telemetry.access_log_providers:
                if name != BUILTIN_ACCESS_LOG:
                    self._check_provider(telemetry, "access_log_providers", name, by_name, tracing=False)

    def _check_provider(self, telemetry: Telemetry, field_name: str, name: str, by_name: Mapping[str, Provider],
                        tracing: bool) -> None:
        provider = by_name.get(name)
        if provider is None:
            known = ", ".join(sorted(by_name)) or "none"
            extra = f" or {BUILTIN_ACCESS_LOG!r}" if not tracing else ""
            raise DefinitionError(telemetry.definition, field_name, f"provider {name!r} is not in extensionProviders",
                                  f"use one of the mesh's providers ({known}){extra}, or add it to providers")
        if provider.tracing != tracing:
            raise DefinitionError(telemetry.definition, field_name, f"provider {name!r} is a {provider.kind} provider",
                                  "use a tracing provider (opentelemetry, zipkin) for tracing and an access-log "
                                  "provider (envoy_otel_als, envoy) for access logs")

    @property
    def mesh_wide(self) -> Telemetry | None:
        """The Telemetry that applies to the whole mesh, if any."""
        return next((t for t in self.telemetries if t.mesh_wide), None)
