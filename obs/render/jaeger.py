"""Jaeger v2: jaeger/jaeger.yaml and kubernetes/jaeger.yaml (ConfigMap, Deployment, the collector and
query Services, the ServiceMonitor scraping Jaeger's own metrics, Badger's volume claim or the
Elasticsearch index cleaner)."""
from __future__ import annotations

import hashlib
from typing import Any, Iterable

from obs.backends import jaeger as model
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, SERVICE_LABEL, object_metadata, service_monitor
from obs.serialize import to_yaml

CONFIG_FILE = "jaeger/jaeger.yaml"
# Jaeger traces its own query service to localhost:4317 by default, where nothing listens in the pod
# (its receiver binds the pod IP): every export would fail and log. Self-tracing is off.
STATIC_ENV = {"OTEL_TRACES_SAMPLER": "always_off"}
_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
             "runAsUser": 10001, "capabilities": {"drop": ["ALL"]}}


def _labels(jaeger: model.Jaeger) -> dict[str, str]:
    return {"app.kubernetes.io/name": jaeger.name, "app.kubernetes.io/component": "jaeger"}


def _secret_env(jaeger: model.Jaeger) -> list[dict[str, Any]]:
    return [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for name, (secret, key) in sorted(jaeger.secret_env.items())]


def _deployment(ctx: RenderContext, jaeger: model.Jaeger, config_text: str) -> dict[str, Any]:
    labels = _labels(jaeger)
    volumes: list[dict[str, Any]] = [{"name": "config", "configMap": {"name": f"{jaeger.name}-config"}}]
    mounts: list[dict[str, Any]] = [{"name": "config", "mountPath": "/conf", "readOnly": True}]
    if isinstance(jaeger.storage, model.BadgerStore):
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": f"{jaeger.name}-badger"}})
        mounts.append({"name": "data", "mountPath": jaeger.storage.path})
    probe = {"httpGet": {"path": "/status", "port": model.HEALTH_PORT}}
    ports = {"otlp-grpc": model.OTLP_GRPC_PORT, "otlp-http": model.OTLP_HTTP_PORT, "metrics": model.METRICS_PORT,
             "health": model.HEALTH_PORT, "query-grpc": model.QUERY_GRPC_PORT, "query-http": model.QUERY_HTTP_PORT}
    container = {
        "name": "jaeger", "image": model.IMAGE, "args": [f"--config=file:{model.CONFIG_PATH}"],
        "env": [{"name": "MY_POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "GOMEMLIMIT", "value": f"{jaeger.memory_limit_mib * 80 // 100}MiB"},
                *({"name": k, "value": v} for k, v in STATIC_ENV.items()), *_secret_env(jaeger)],
        "ports": [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports.items()],
        "resources": {"limits": {"cpu": "1", "memory": f"{jaeger.memory_limit_mib}Mi"},
                      "requests": {"cpu": "100m", "memory": f"{jaeger.memory_limit_mib}Mi"}},
        "securityContext": _SECURITY, "volumeMounts": mounts, "livenessProbe": probe, "readinessProbe": probe,
    }
    single = not isinstance(jaeger.storage, model.ElasticsearchStore)
    pod_security = {"fsGroup": 10001} if isinstance(jaeger.storage, model.BadgerStore) else {}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": object_metadata(ctx, jaeger.name, labels),
        "spec": {
            "replicas": jaeger.replicas, "selector": {"matchLabels": labels},
            # Memory and Badger belong to one process: the old pod stops before the new one starts.
            **({"strategy": {"type": "Recreate"}} if single else {}),
            "template": {
                "metadata": {"labels": labels, "annotations": {
                    "checksum/config": hashlib.sha256(config_text.encode()).hexdigest()}},
                "spec": {"containers": [container], "volumes": volumes, **(
                    {"securityContext": pod_security} if pod_security else {})},
            },
        },
    }


def _service(ctx: RenderContext, jaeger: model.Jaeger, suffix: str, ports: dict[str, int]) -> dict[str, Any]:
    name = f"{jaeger.name}-{suffix}"
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": object_metadata(ctx, name, {**_labels(jaeger), SERVICE_LABEL: name}),
            "spec": {"selector": _labels(jaeger), "ports": [
                {"name": n, "port": p, "targetPort": p, "protocol": "TCP"} for n, p in ports.items()]}}


def _volume_claim(ctx: RenderContext, jaeger: model.Jaeger, store: model.BadgerStore) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": object_metadata(ctx, f"{jaeger.name}-badger", _labels(jaeger)),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": store.volume_size}}}}


def _index_cleaner(ctx: RenderContext, jaeger: model.Jaeger, store: model.ElasticsearchStore) -> dict[str, Any]:
    """A CronJob deleting the daily indices older than `retention_days` (jaeger-es-index-cleaner:
    NUM_OF_DAYS URL, INDEX_PREFIX, ES_USERNAME/ES_PASSWORD from the environment)."""
    env: list[dict[str, Any]] = [{"name": "INDEX_PREFIX", "value": store.index_prefix}]
    if store.secret is not None:
        env += [{"name": var, "valueFrom": {"secretKeyRef": {"name": store.secret, "key": key}}}
                for var, key in (("ES_USERNAME", "username"), ("ES_PASSWORD", "password"))]
    container = {"name": "index-cleaner", "image": model.CLEANER_IMAGE,
                 "args": [str(store.retention_days), store.server_urls[0]], "env": env, "securityContext": _SECURITY}
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": object_metadata(ctx, f"{jaeger.name}-es-index-cleaner", _labels(jaeger)),
            "spec": {"schedule": store.cleaner_schedule, "concurrencyPolicy": "Forbid",
                     "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 3,
                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                         "restartPolicy": "OnFailure", "containers": [container]}}}}}}


def metrics_monitor(ctx: RenderContext, jaeger: model.Jaeger) -> dict[str, Any]:
    """The ServiceMonitor scraping Jaeger's own telemetry (the collector's `service.telemetry`
    Prometheus reader: `/metrics` on METRICS_PORT) through the collector Service's `metrics` port;
    `job` becomes `<name>-collector`. At the scrape interval Grafana's datasource assumes, like the
    collectors' own ServiceMonitors."""
    service = f"{jaeger.name}-collector"
    return service_monitor(ctx, jaeger.name, _labels(jaeger), {SERVICE_LABEL: service}, "metrics",
                           ctx.env.param("Grafana.scrape_interval", "30s"))


def manifests(ctx: RenderContext, jaeger: model.Jaeger, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object deploying `jaeger`, in apply order."""
    text = to_yaml(config).decode()
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": object_metadata(
            ctx, f"{jaeger.name}-config", _labels(jaeger), {"obs.dev/model": model.MODEL_VERSION}),
         "data": {"jaeger.yaml": text}},
    ]
    if isinstance(jaeger.storage, model.BadgerStore):
        objects.append(_volume_claim(ctx, jaeger, jaeger.storage))
    objects += [
        _deployment(ctx, jaeger, text),
        _service(ctx, jaeger, "collector", {"otlp-grpc": model.OTLP_GRPC_PORT, "otlp-http": model.OTLP_HTTP_PORT,
                                            "metrics": model.METRICS_PORT}),
        _service(ctx, jaeger, "query", {"query-http": model.QUERY_HTTP_PORT, "query-grpc": model.QUERY_GRPC_PORT}),
        metrics_monitor(ctx, jaeger),
    ]
    if isinstance(jaeger.storage, model.ElasticsearchStore):
        objects.append(_index_cleaner(ctx, jaeger, jaeger.storage))
    return objects


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """jaeger/jaeger.yaml and kubernetes/jaeger.yaml, when the environment defines Jaeger."""
    jaeger = ctx.defs.jaeger
    if jaeger is None:
        return
    config = model.render_config(jaeger)
    yield RenderedFile(CONFIG_FILE, config)
    yield RenderedFile(f"{KUBERNETES_DIR}/{jaeger.name}.yaml", manifests(ctx, jaeger, config), "yaml-documents")
