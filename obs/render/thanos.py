"""The Thanos side of a fleet (`Environment.global_store=obs.Thanos(...)`), as code:

- the arguments of every Thanos component (`query_args`, `store_args`, `receive_args`,
  `ruler_args`): the single place they are written, used by the manifests below and by the tests
  that start each component as a real `thanos` process;
- environment-wide manifests: Thanos Query (Deployment + Service) over every cluster's sidecar
  (topology `sidecar`) or the Receive hashring (`receive`), plus a store gateway over the bucket
  and the ThanosRuler; Receive (StatefulSet, Services, hashring ConfigMap) in `receive`;
  a ThanosRuler (prometheus-operator) evaluating the global tier's PrometheusRules;
- each cluster's kube-prometheus-stack values: the sidecar (`sidecar`) or remote write into
  Receive (`receive`), and the replica external label Query deduplicates on.

The bucket configuration is never written: every component mounts the Secret the environment
names (`Thanos.objstore_secret`/`objstore_key`).
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from obs.model.environment import Environment
from obs.model.fleet import QUERY_SERVICE, RECEIVE_SERVICE, RULER_SERVICE, STORE_SERVICE, Cluster, Thanos
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, SERVICE_LABEL, object_metadata, service_monitor
from obs.render.prometheusrule import PARTIAL_RESPONSE, TIER_LABEL

GRPC_PORT, HTTP_PORT, REMOTE_WRITE_PORT = 10901, 10902, 19291
QUERY, STORE, RECEIVE = QUERY_SERVICE, STORE_SERVICE, RECEIVE_SERVICE
RECEIVE_HEADLESS = f"{RECEIVE}-headless"
HASHRING = f"{RECEIVE}-hashring"
RULER = "obs-global"  # the ThanosRuler; the operator names its pods and Service thanos-ruler-<name>
RULER_REPLICA_LABEL = "thanos_ruler_replica"  # external label the operator gives each ruler replica
RECEIVE_REPLICA_LABEL = "receive_replica"
OBJSTORE_DIR = "/etc/thanos/objstore"
HASHRING_DIR = "/etc/thanos/hashring"
HASHRING_FILE = "hashrings.json"
DATA_DIR = "/var/thanos/data"
POD_NAME = "$(POD_NAME)"  # expanded by the kubelet from the POD_NAME env var
# Exemplars each Receive replica keeps per tenant (a ring buffer, ~100 bytes each): what the gateways
# send with the span metrics, so Grafana's metric-to-trace links work through Query.
RECEIVE_MAX_EXEMPLARS = 100_000


def store(env: Environment) -> Thanos:
    assert env.global_store is not None, "only environments with a global store render Thanos"
    return env.global_store


def service_host(env: Environment, service: str) -> str:
    return f"{service}.{env.namespace}.svc.cluster.local"


def grpc_srv(env: Environment, service: str) -> str:
    """A Thanos endpoint resolving every pod of a Service by its `grpc` port (DNS SRV)."""
    return f"dnssrv+_grpc._tcp.{service_host(env, service)}"


def objstore_args(thanos: Thanos) -> list[str]:
    return [f"--objstore.config-file={OBJSTORE_DIR}/{thanos.objstore_key}"]


def listen_args() -> list[str]:
    return [f"--grpc-address=0.0.0.0:{GRPC_PORT}", f"--http-address=0.0.0.0:{HTTP_PORT}"]


def replica_labels(thanos: Thanos) -> list[str]:
    """Every label one copy of a series differs from another by: the Prometheus HA replica, the
    ruler replica and, with Receive, the replica that stored it."""
    labels = [thanos.replica_label, RULER_REPLICA_LABEL]
    return labels + [RECEIVE_REPLICA_LABEL] if thanos.topology == "receive" else labels


def sidecar_endpoints(env: Environment) -> list[str]:
    """Every cluster's sidecar gRPC address (topology `sidecar`)."""
    return [store(env).sidecar_address.format(cluster=c.name) for c in env.clusters]


def query_endpoints(env: Environment) -> list[str]:
    """What Query reads: each cluster's sidecar or the Receive replicas, the store gateway over the
    bucket, and the ruler (the series the global tier records)."""
    thanos = store(env)
    live = sidecar_endpoints(env) if thanos.topology == "sidecar" else [grpc_srv(env, RECEIVE_HEADLESS)]
    return [*live, grpc_srv(env, STORE), grpc_srv(env, RULER_SERVICE)]


def query_args(env: Environment) -> list[str]:
    """`thanos query`: every endpoint, deduplicating on the replica labels."""
    thanos = store(env)
    return ["query", *listen_args(), *(f"--query.replica-label={label}" for label in replica_labels(thanos)),
            *(f"--endpoint={endpoint}" for endpoint in query_endpoints(env)), "--query.auto-downsampling"]


def store_args(env: Environment) -> list[str]:
    """`thanos store`: the store gateway serving the bucket's blocks."""
    return ["store", *listen_args(), f"--data-dir={DATA_DIR}", *objstore_args(store(env))]


def receive_endpoint(env: Environment, index: int) -> str:
    """The gRPC address of Receive replica `index` (its StatefulSet pod)."""
    return f"{RECEIVE}-{index}.{service_host(env, RECEIVE_HEADLESS)}:{GRPC_PORT}"


def hashring(env: Environment) -> list[dict[str, Any]]:
    """The hashrings file: one ring over every Receive replica."""
    return [{"hashring": "default",
             "endpoints": [receive_endpoint(env, i) for i in range(store(env).receive_replicas)]}]


def receive_args(env: Environment, local_endpoint: str | None = None, replica: str = POD_NAME) -> list[str]:
    """`thanos receive`: one replica of the hashring, storing each series `replication_factor` times
    and uploading blocks to the bucket. `local_endpoint` is the replica's own hashring entry (default:
    its pod's), `replica` its value of the receive replica label."""
    thanos = store(env)
    local = local_endpoint or f"{POD_NAME}.{service_host(env, RECEIVE_HEADLESS)}:{GRPC_PORT}"
    return ["receive", *listen_args(), f"--remote-write.address=0.0.0.0:{REMOTE_WRITE_PORT}",
            f"--tsdb.path={DATA_DIR}", f"--receive.replication-factor={thanos.replication_factor}",
            f"--receive.hashrings-file={HASHRING_DIR}/{HASHRING_FILE}", f"--receive.local-endpoint={local}",
            f"--tsdb.max-exemplars={RECEIVE_MAX_EXEMPLARS}",  # 0, the default, drops every exemplar
            f'--label={RECEIVE_REPLICA_LABEL}="{replica}"', *objstore_args(thanos)]


def receive_url(env: Environment) -> str:
    """Where the clusters' Prometheus and collector gateways remote-write (topology `receive`)."""
    return store(env).write_url(env.namespace)


def query_url(env: Environment) -> str:
    return store(env).query_url(env.namespace)


def ruler_args(env: Environment, rule_files: Iterable[str] = ()) -> list[str]:
    """`thanos rule` as the ThanosRuler runs it: the global tier's rules over Query, alerts to the
    environment's Alertmanager, abort on a partial response (the default, written out)."""
    return ["rule", *listen_args(), f"--data-dir={DATA_DIR}", f"--query={query_url(env)}",
            f"--alertmanagers.url={env.urls.alertmanager}", f"--label={RULER_REPLICA_LABEL}=\"{POD_NAME}\"",
            f"--alert.label-drop={RULER_REPLICA_LABEL}",  # the replicas' alerts are one alert in Alertmanager
            *(f"--rule-file={path}" for path in rule_files), *objstore_args(store(env))]


# ---- manifests -------------------------------------------------------------------------------

def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/component": "thanos"}


def _ports(*extra: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "containerPort": port, "protocol": "TCP"}
            for name, port in (("grpc", GRPC_PORT), ("http", HTTP_PORT), *extra)]


def _objstore_volume(thanos: Thanos) -> dict[str, Any]:
    return {"name": "objstore", "secret": {"secretName": thanos.objstore_secret,
                                           "items": [{"key": thanos.objstore_key, "path": thanos.objstore_key}]}}


def _container(env: Environment, component: str, args: list[str], mounts: list[dict[str, Any]],
               extra_ports: tuple[tuple[str, int], ...] = ()) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/-/ready", "port": "http"}, "periodSeconds": 10}
    return {
        "name": component.removeprefix("thanos-"),
        "image": store(env).image,
        "args": args,
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "ports": _ports(*extra_ports),
        "readinessProbe": probe,
        "livenessProbe": {"httpGet": {"path": "/-/healthy", "port": "http"}, "periodSeconds": 30},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True, "runAsUser": 10001},
        "volumeMounts": mounts,
    }


def _pod(containers: list[dict[str, Any]], volumes: list[dict[str, Any]], component: str) -> dict[str, Any]:
    return {"metadata": {"labels": _labels(component)},
            "spec": {"containers": containers, "volumes": volumes, "securityContext": {"fsGroup": 10001}}}


def _service(ctx: RenderContext, name: str, component: str, ports: dict[str, int],
             headless: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": _labels(component),
                            "ports": [{"name": n, "port": p, "targetPort": n, "protocol": "TCP"}
                                      for n, p in ports.items()]}
    if headless:
        spec = {"clusterIP": "None", **spec}
    labels = {**_labels(component), SERVICE_LABEL: name}
    return {"apiVersion": "v1", "kind": "Service", "metadata": object_metadata(ctx, name, labels), "spec": spec}


def _claim(size: str) -> dict[str, Any]:
    return {"metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def query_manifests(ctx: RenderContext) -> list[dict[str, Any]]:
    thanos = store(ctx.env)
    container = _container(ctx.env, QUERY, query_args(ctx.env), [])
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": object_metadata(ctx, QUERY, _labels(QUERY)),
                  "spec": {"replicas": thanos.query_replicas, "selector": {"matchLabels": _labels(QUERY)},
                           "template": _pod([container], [], QUERY)}}
    return [deployment, _service(ctx, QUERY, QUERY, {"grpc": GRPC_PORT, "http": HTTP_PORT})]


def _stateful_set(ctx: RenderContext, component: str, service: str, replicas: int, args: list[str],
                  volumes: list[dict[str, Any]], mounts: list[dict[str, Any]],
                  extra_ports: tuple[tuple[str, int], ...] = ()) -> dict[str, Any]:
    container = _container(ctx.env, component, args, [{"name": "data", "mountPath": DATA_DIR}, *mounts],
                           extra_ports)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": object_metadata(ctx, component, _labels(component)),
            "spec": {"replicas": replicas, "serviceName": service, "selector": {"matchLabels": _labels(component)},
                     "template": _pod([container], volumes, component),
                     "volumeClaimTemplates": [_claim("20Gi")]}}


def store_manifests(ctx: RenderContext) -> list[dict[str, Any]]:
    thanos = store(ctx.env)
    stateful = _stateful_set(ctx, STORE, STORE, 1, store_args(ctx.env), [_objstore_volume(thanos)],
                             [{"name": "objstore", "mountPath": OBJSTORE_DIR, "readOnly": True}])
    return [stateful, _service(ctx, STORE, STORE, {"grpc": GRPC_PORT, "http": HTTP_PORT}, headless=True)]


def receive_manifests(ctx: RenderContext) -> list[dict[str, Any]]:
    thanos = store(ctx.env)
    ring = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": object_metadata(ctx, HASHRING, _labels(RECEIVE)),
            "data": {HASHRING_FILE: json.dumps(hashring(ctx.env), indent=2, sort_keys=True) + "\n"}}
    volumes = [_objstore_volume(thanos), {"name": "hashring", "configMap": {"name": HASHRING}}]
    mounts = [{"name": "objstore", "mountPath": OBJSTORE_DIR, "readOnly": True},
              {"name": "hashring", "mountPath": HASHRING_DIR, "readOnly": True}]
    stateful = _stateful_set(ctx, RECEIVE, RECEIVE_HEADLESS, thanos.receive_replicas, receive_args(ctx.env),
                             volumes, mounts, (("remote-write", REMOTE_WRITE_PORT),))
    ports = {"grpc": GRPC_PORT, "http": HTTP_PORT, "remote-write": REMOTE_WRITE_PORT}
    return [ring, stateful, _service(ctx, RECEIVE, RECEIVE, ports),
            _service(ctx, RECEIVE_HEADLESS, RECEIVE, ports, headless=True)]


def thanos_ruler(ctx: RenderContext) -> dict[str, Any]:
    """The ThanosRuler (monitoring.coreos.com/v1) evaluating the PrometheusRules labelled for the
    global tier, over Query, alerting the environment's Alertmanager."""
    thanos = store(ctx.env)
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ThanosRuler",
            "metadata": object_metadata(ctx, RULER, _labels(RULER)),
            "spec": {"image": thanos.image, "replicas": thanos.ruler_replicas,
                     "queryEndpoints": [query_url(ctx.env)],
                     "alertmanagersUrl": [ctx.env.urls.alertmanager],
                     "ruleSelector": {"matchLabels": {TIER_LABEL: "global"}},
                     "evaluationInterval": "1m",
                     "objectStorageConfig": {"name": thanos.objstore_secret, "key": thanos.objstore_key}}}


def service_monitors(ctx: RenderContext) -> list[dict[str, Any]]:
    """ServiceMonitors (for the management cluster's Prometheus) scraping Query, the store gateway,
    Receive and the ruler (whose Service the operator creates): rule evaluation failures (the abort
    strategy's failures, docs/fleet.md), unreachable endpoints, Receive replication."""
    components = [QUERY, STORE, *([RECEIVE] if store(ctx.env).topology == "receive" else [])]
    monitors = [service_monitor(ctx, c, _labels(c), {SERVICE_LABEL: c}, "http") for c in components]  # not headless
    # the operator's governing Service of its ThanosRulers (port `web`, the ThanosRuler's default portName)
    ruler = f"thanos-ruler-{RULER}"
    return [*monitors, service_monitor(ctx, ruler, _labels(ruler), {"operated-thanos-ruler": "true"}, "web")]


def prometheus_values(env: Environment, cluster: Cluster) -> dict[str, Any]:
    """The kube-prometheus-stack `prometheus.prometheusSpec` additions of one cluster: the replica
    label Query deduplicates on, and the sidecar uploading to the bucket or remote write into Receive."""
    thanos = store(env)
    spec: dict[str, Any] = {"replicaExternalLabelName": thanos.replica_label}
    if thanos.topology == "sidecar":
        spec["thanos"] = {"objectStorageConfig": {"name": thanos.objstore_secret, "key": thanos.objstore_key}}
        return {"prometheus": {"prometheusSpec": spec, "thanosService": {"enabled": True}}}
    spec["remoteWrite"] = [{"url": receive_url(env), "sendExemplars": True}]
    return {"prometheus": {"prometheusSpec": spec}}


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """Environment-wide Thanos manifests (only with a global store)."""
    if ctx.env.global_store is None:
        return
    yield RenderedFile(f"{KUBERNETES_DIR}/thanos-query.yaml", query_manifests(ctx), "yaml-documents")
    yield RenderedFile(f"{KUBERNETES_DIR}/thanos-store.yaml", store_manifests(ctx), "yaml-documents")
    if ctx.env.global_store.topology == "receive":
        yield RenderedFile(f"{KUBERNETES_DIR}/thanos-receive.yaml", receive_manifests(ctx), "yaml-documents")
    yield RenderedFile(f"{KUBERNETES_DIR}/thanosruler-{RULER}.yaml", thanos_ruler(ctx))
    yield RenderedFile(f"{KUBERNETES_DIR}/servicemonitor-thanos.yaml", service_monitors(ctx), "yaml-documents")


__all__ = ["PARTIAL_RESPONSE", "hashring", "prometheus_values", "query_args", "receive_args", "receive_url",
           "render", "ruler_args", "store_args"]
