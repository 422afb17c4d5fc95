"""Collector outputs per environment: collector/<name>.yaml configs, the builder manifest listing
exactly the components used, and kubernetes/collector-<name>.yaml (workloads or Operator CRs)."""
from __future__ import annotations

from typing import Iterable, Sequence
from urllib.parse import urlsplit

from obs.collector.builder import manifest
from obs.collector.config import render_config
from obs.collector.kubernetes import manifests
from obs.collector.names import headless_host
from obs.collector.model import Collector, thaw
from obs.errors import DefinitionError
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR
from obs.render.layout import cluster_dir, stamp

COLLECTOR_DIR = "collector"
BUILDER_MANIFEST = f"{COLLECTOR_DIR}/builder-manifest.yaml"


def check_collectors(collectors: Sequence[object], namespace: str) -> tuple[Collector, ...]:
    """Collector objects with unique names; a replicated tail-sampling collector must be fed by a
    load_balancing exporter keyed by traceID that resolves its headless Service."""
    for item in collectors:
        if not isinstance(item, Collector):
            raise DefinitionError("definitions", "collectors", f"{item!r} is not a Collector",
                                  "pass obs.collector.Collector objects")
    found = tuple(c for c in collectors if isinstance(c, Collector))  # all are, checked above
    names = [c.name for c in found]
    if len(set(names)) != len(names):
        raise DefinitionError("definitions", "collectors", "two collectors share a name", "rename one")
    balancers = [e for c in found for e in c.components()["exporter"].values() if e.type == "load_balancing"]
    for collector in found:
        if not collector.uses("tail_sampling") or collector.replicas == 1:
            continue
        host = headless_host(collector, namespace)
        fed = [e for e in balancers if e.config.get("routing_key", "traceID") == "traceID"
               and thaw(e.config.get("resolver", {})).get("dns", {}).get("hostname") == host]
        if not fed:
            raise DefinitionError(collector.definition, "replicas",
                                  f"tail_sampling on {collector.replicas} replicas but no load_balancing "
                                  f"exporter routes traces by traceID to {host}",
                                  "have the senders export traces with a load_balancing exporter "
                                  "(routing_key: traceID, resolver.dns.hostname: that headless Service), "
                                  "or run one replica")
    return found


TENANT_HEADER = "X-Scope-OrgID"
_ENDPOINT_KEYS = ("endpoint", "traces_endpoint", "logs_endpoint")


def _host(endpoint: str) -> str:
    """The host of an exporter endpoint ('host:port' or a URL), without '.cluster.local'."""
    split = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
    return (split.hostname or "").removesuffix(".cluster.local")


def check_tenants(collectors: Sequence[Collector], ctx: RenderContext) -> None:
    """An exporter to a multi-tenant Tempo or Loki of this environment must send X-Scope-OrgID:
    without it Tempo and Loki refuse every push ('no org id')."""
    backends = [(name, backend, url) for name, backend, url in (
        ("Tempo", ctx.defs.tempo, ctx.env.urls.tempo), ("Loki", ctx.defs.loki, ctx.env.urls.loki))
        if backend is not None and backend.multitenancy]
    for collector in collectors:
        for exporter in collector.components()["exporter"].values():
            hosts = {_host(str(exporter.config[k])) for k in _ENDPOINT_KEYS if exporter.config.get(k)}
            headers = {str(k).lower() for k in (exporter.config.get("headers") or {})}
            for name, _, url in backends:
                if _host(url) in hosts and TENANT_HEADER.lower() not in headers:
                    raise DefinitionError(
                        f"{collector.definition} exporter {exporter.id!r}", "headers",
                        f"{name} runs multi-tenant but the exporter sends no {TENANT_HEADER} header, "
                        f"so {name} refuses every push", f"add headers: {{{TENANT_HEADER}: <tenant>}}")


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    collectors = check_collectors(ctx.defs.collectors, ctx.env.namespace)
    check_tenants(collectors, ctx)
    for collector in collectors:
        config = RenderedFile(f"{COLLECTOR_DIR}/{collector.name}.yaml", render_config(collector)).to_bytes()
        workload = RenderedFile("", manifests(ctx, collector), "yaml-documents").to_bytes()
        for cluster in ctx.env.clusters if ctx.env.fleet else ctx.env.clusters[:1]:
            where = cluster_dir(ctx.env, cluster)
            yield RenderedFile(f"{where}{COLLECTOR_DIR}/{collector.name}.yaml", stamp(config, cluster, [config]), "bytes")
            yield RenderedFile(f"{where}{KUBERNETES_DIR}/collector-{collector.name}.yaml",
                               stamp(workload, cluster, [config]), "bytes")
    if collectors:
        used = {c.spec for collector in collectors for kind in collector.components().values()
                for c in kind.values()}
        yield RenderedFile(BUILDER_MANIFEST, manifest(used, f"{ctx.bundle.name} collectors ({ctx.env.name})"))
