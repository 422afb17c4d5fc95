"""Istio mesh telemetry: istio/istiod-values.yaml (meshConfig.extensionProviders, for the istiod Helm
chart), one istio/telemetry-<namespace>-<name>.yaml per Telemetry resource, and istio/kustomization.yaml.

The Telemetry resources live in the mesh's namespaces (istio-system, the applications'), not in the
environment's namespace, so they get their own kustomization (the environment's sets one namespace
for every resource). A provider pointing at one of the bundle's collectors must reach a receiver of
its protocol on that port, in a pipeline of its signal: otherwise the mesh's spans or access logs
would be refused or dropped without a sound."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from obs.collector.names import service_host
from obs.collector.model import Collector
from obs.errors import DefinitionError
from obs.mesh.istio import EnvTag, HeaderTag, LiteralTag, MeshTelemetry, Provider, Tag, Telemetry
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import object_metadata

MESH_DIR = "istio"
API_VERSION = "telemetry.istio.io/v1"
# Provider kind -> (receiver type, the receiver's listen key, pipeline signal) it needs on the collector.
_NEEDS = {"opentelemetry": ("otlp", "protocols.grpc.endpoint", "traces"),
          "zipkin": ("zipkin", "endpoint", "traces"),
          "envoy_otel_als": ("otlp", "protocols.grpc.endpoint", "logs")}
_ISTIO_KEY = {"opentelemetry": "opentelemetry", "zipkin": "zipkin", "envoy_otel_als": "envoyOtelAls"}


def provider_entry(provider: Provider) -> dict[str, Any]:
    """One meshConfig.extensionProviders item."""
    body: dict[str, Any] = {"service": provider.service, "port": provider.port}
    if provider.tracing:
        body["maxTagLength"] = provider.max_tag_length
    return {"name": provider.name, _ISTIO_KEY[provider.kind]: body}


def istiod_values(mesh: MeshTelemetry) -> dict[str, Any]:
    """Helm values for the istiod chart (`helm upgrade istiod istio/istiod -f`)."""
    return {"meshConfig": {"extensionProviders": [provider_entry(p) for p in mesh.providers]}}


def _tag(tag: Tag) -> dict[str, Any]:
    if isinstance(tag, LiteralTag):
        return {"literal": {"value": tag.value}}
    kind = "header" if isinstance(tag, HeaderTag) else "environment"
    assert isinstance(tag, (HeaderTag, EnvTag))
    return {kind: {"name": tag.name, **({"defaultValue": tag.default} if tag.default is not None else {})}}


def telemetry_resource(ctx: RenderContext, telemetry: Telemetry) -> dict[str, Any]:
    """A Telemetry (telemetry.istio.io/v1) in its own namespace."""
    spec: dict[str, Any] = {}
    if telemetry.selector:
        spec["selector"] = {"matchLabels": dict(sorted(telemetry.selector.items()))}
    if telemetry.traces:
        tracing: dict[str, Any] = {}
        if telemetry.tracing_providers:
            tracing["providers"] = [{"name": name} for name in telemetry.tracing_providers]
        if telemetry.sampling is not None:
            tracing["randomSamplingPercentage"] = float(telemetry.sampling)
        if telemetry.custom_tags:
            tracing["customTags"] = {key: _tag(tag) for key, tag in sorted(telemetry.custom_tags.items())}
        spec["tracing"] = [tracing]
    if telemetry.logs:
        logging: dict[str, Any] = {}
        if telemetry.access_log_providers:
            logging["providers"] = [{"name": name} for name in telemetry.access_log_providers]
        if telemetry.access_log_filter is not None:
            logging["filter"] = {"expression": telemetry.access_log_filter}
        spec["accessLogging"] = [logging]
    metadata = object_metadata(ctx, telemetry.name)
    metadata["namespace"] = telemetry.namespace
    return {"apiVersion": API_VERSION, "kind": "Telemetry", "metadata": metadata, "spec": spec}


def check_providers(mesh: MeshTelemetry, collectors: Sequence[Collector], namespace: str) -> None:
    """A provider aimed at one of `collectors` (by its Service DNS name) reaches a receiver of its
    protocol on its port, and that receiver feeds a pipeline of the provider's signal."""
    hosts = {service_host(c, namespace): c for c in collectors}
    for provider in mesh.providers:
        collector = hosts.get(provider.service) or hosts.get(f"{provider.service}.cluster.local")
        if collector is None:
            continue
        type_, key, signal = _NEEDS[provider.kind]
        receivers = [r for p in collector.pipelines if p.signal == signal for r in p.receivers
                     if r.type == type_ and _listens(r.config, key, provider.port)]
        if not receivers or provider.port not in collector.ports.values():
            raise DefinitionError(provider.definition, "port",
                                  f"{collector.definition} has no {type_} receiver in a {signal} pipeline "
                                  f"serving port {provider.port}",
                                  f"add the {type_} receiver on port {provider.port} to the collector's {signal} "
                                  "pipeline (e.g. agent(..., trace_protocols=['zipkin'])), or point the provider "
                                  "at the port it serves")


def _listens(config: Any, key: str, port: int) -> bool:
    node = config
    for part in key.split("."):
        node = node.get(part) if hasattr(node, "get") else None
    return isinstance(node, str) and node.rsplit(":", 1)[-1] == str(port)


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    mesh = ctx.defs.mesh
    if mesh is None:
        return
    check_providers(mesh, ctx.defs.collectors, ctx.env.namespace)
    yield RenderedFile(f"{MESH_DIR}/istiod-values.yaml", istiod_values(mesh))
    paths = []
    for telemetry in mesh.telemetries:
        path = f"telemetry-{telemetry.namespace}-{telemetry.name}.yaml"
        paths.append(path)
        yield RenderedFile(f"{MESH_DIR}/{path}", telemetry_resource(ctx, telemetry))
    yield RenderedFile(f"{MESH_DIR}/kustomization.yaml", {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(paths)})
