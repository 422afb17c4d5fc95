"""Kubernetes objects for a Collector: ServiceAccount, RBAC, ConfigMap, workload, Services,
or an OpenTelemetryCollector (opentelemetry.io/v1beta1) resource for the OpenTelemetry Operator."""
from __future__ import annotations

import hashlib
from typing import Any, Mapping, Sequence

from obs.collector.checks import walk
from obs.collector.config import render_config
from obs.collector.model import Collector
from obs.collector.registry import CONTRIB_IMAGE
from obs.errors import DefinitionError
from obs.model.environment import Environment
from obs.render.base import RenderContext
# The names and hosts live in obs.collector.names (light to import); kept importable from here.
from obs.collector.names import headless_host as headless_host
from obs.collector.names import headless_service, service_name
from obs.collector.names import service_host as service_host
from obs.render.kubernetes import cluster_relabelings, object_metadata
from obs.serialize import to_yaml

CONFIG_KEY = "collector.yaml"
HEALTH_PORT = 13133
GOMEMLIMIT_PERCENT = 80
LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")
_GET_LIST_WATCH = ["get", "list", "watch"]

# ClusterRole rules each component type needs (k8s_attributes: pod metadata; kubelet_stats: the
# kubelet's stats API).
RBAC_RULES: Mapping[str, tuple[dict[str, Any], ...]] = {
    "k8s_attributes": (
        {"apiGroups": [""], "resources": ["namespaces", "nodes", "pods"], "verbs": _GET_LIST_WATCH},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": _GET_LIST_WATCH},
    ),
    "kubelet_stats": ({"apiGroups": [""], "resources": ["nodes/stats", "nodes/proxy"], "verbs": ["get"]},),
}


def job_selector(collectors: Sequence[Collector]) -> str:
    """A `job` matcher for the self-metrics of these collectors: their ServiceMonitors set `job`
    to the Service name."""
    names = sorted({service_name(c).replace(".", "\\\\.") for c in collectors})  # DNS names: only '.' is special
    return f'job=~"{"|".join(names)}"'


def collector_scope(env: Environment, collectors: Sequence[Collector] | None) -> Environment:
    """`env` with its `otel_collector` selector narrowed to these collectors' jobs, for the
    self-monitoring alerts and dashboard; unchanged when `collectors` is None."""
    return env if collectors is None else env.with_selectors(otel_collector=job_selector(collectors))


def _labels(collector: Collector) -> dict[str, str]:
    return {"app.kubernetes.io/name": collector.name, "app.kubernetes.io/component": "opentelemetry-collector"}


def _env(collector: Collector) -> list[dict[str, Any]]:
    def field_ref(path: str) -> dict[str, Any]:
        return {"valueFrom": {"fieldRef": {"fieldPath": path}}}

    env: list[dict[str, Any]] = [
        {"name": "MY_POD_IP", **field_ref("status.podIP")},
        {"name": "K8S_NODE_NAME", **field_ref("spec.nodeName")},
        {"name": "K8S_POD_NAME", **field_ref("metadata.name")},
        {"name": "K8S_NAMESPACE", **field_ref("metadata.namespace")},
        # The Go GC works harder near this soft limit; memory_limiter refuses data before the hard limit.
        {"name": "GOMEMLIMIT", "value": f"{collector.memory_limit_mib * GOMEMLIMIT_PERCENT // 100}MiB"},
    ]
    env += [{"name": k, "value": v} for k, v in sorted(collector.env.items())]
    env += [{"name": k, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": s.key}}}
            for k, s in sorted(collector.secrets.items())]
    return env


def _ports(collector: Collector) -> dict[str, int]:
    ports = dict(collector.ports)
    ports["metrics"] = collector.telemetry.metrics_port
    endpoint = health_endpoint(collector)
    if endpoint and endpoint[0] not in LOOPBACK:
        ports["health"] = endpoint[1]
    return dict(sorted(ports.items(), key=lambda item: item[1]))


def health_endpoint(collector: Collector) -> tuple[str, int, str] | None:
    """(host, port, path) the health_check extension serves, or None without one. Its upstream
    defaults are localhost:13133 and path '/'; a `${env:MY_POD_IP}` host is the pod IP."""
    extension = next((e for e in collector.extensions if e.type == "health_check"), None)
    if extension is None:
        return None
    host, _, port = str(extension.config.get("endpoint", f"localhost:{HEALTH_PORT}")).rpartition(":")
    return host or "0.0.0.0", int(port) if port.isdigit() else HEALTH_PORT, str(extension.config.get("path", "/"))


def health_probe(collector: Collector) -> dict[str, Any] | None:
    """The kubelet's httpGet probe of the health_check extension, or None when the pod does not
    serve it where the kubelet connects (no extension, or bound to loopback: a probe there would
    fail and restart the pod forever; lint `probe-endpoint` says so)."""
    endpoint = health_endpoint(collector)
    if endpoint is None or endpoint[0] in LOOPBACK:
        return None
    return {"httpGet": {"path": endpoint[2], "port": endpoint[1]}}


def _resources(collector: Collector) -> dict[str, Any]:
    memory = f"{collector.memory_limit_mib}Mi"
    return {"limits": {"cpu": collector.cpu_limit, "memory": memory}, "requests": {"cpu": "100m", "memory": memory}}


def _volumes(collector: Collector, with_config: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes, mounts = [], []
    if with_config:
        volumes.append({"name": "config", "configMap": {"name": collector.name}})
        mounts.append({"name": "config", "mountPath": "/conf", "readOnly": True})
    for index, (mount, host) in enumerate(sorted(collector.host_paths.items())):
        volumes.append({"name": f"host-{index}", "hostPath": {"path": host}})
        mounts.append({"name": f"host-{index}", "mountPath": mount, "readOnly": True})
    for index, (mount, host) in enumerate(sorted(collector.state_paths.items())):
        volumes.append({"name": f"state-{index}", "hostPath": {"path": host, "type": "DirectoryOrCreate"}})
        mounts.append({"name": f"state-{index}", "mountPath": mount})
    return volumes, mounts


def _security(collector: Collector) -> dict[str, Any]:
    # Reading other pods' log files under /var/log/pods needs root; everything else runs unprivileged.
    root = bool(collector.host_paths)
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            **({"runAsUser": 0} if root else {"runAsNonRoot": True, "runAsUser": 10001})}


def _container(collector: Collector) -> dict[str, Any]:
    volumes, mounts = _volumes(collector, with_config=True)
    container: dict[str, Any] = {
        "name": "otelcol",
        "image": collector.image or CONTRIB_IMAGE,
        "args": [f"--config=/conf/{CONFIG_KEY}"],
        "env": _env(collector),
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP",
                   **({"hostPort": port} if collector.workload == "daemonset" and name in collector.ports else {})}
                  for name, port in _ports(collector).items()],
        "resources": _resources(collector),
        "securityContext": _security(collector),
        "volumeMounts": mounts,
    }
    probe = health_probe(collector)
    if probe:
        container["livenessProbe"] = probe
        container["readinessProbe"] = probe
    return container


HOSTNAME_KEY = "kubernetes.io/hostname"
ZONE_KEY = "topology.kubernetes.io/zone"


def spread_constraints(collector: Collector) -> list[dict[str, Any]]:
    """Replicas on different nodes (required) and zones (preferred: clusters may have one zone).
    A Deployment's rollout counts only pods of the new ReplicaSet (matchLabelKeys)."""
    if not collector.replicated or not collector.spread:
        return []
    extra = {"matchLabelKeys": ["pod-template-hash"]} if collector.workload == "deployment" else {}
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when,
             "labelSelector": {"matchLabels": _labels(collector)}, **extra}
            for key, when in ((HOSTNAME_KEY, "DoNotSchedule"), (ZONE_KEY, "ScheduleAnyway"))]


def disruption_budget(ctx: RenderContext, collector: Collector) -> list[dict[str, Any]]:
    """A PodDisruptionBudget (policy/v1) so node drains keep all but `max_unavailable` replicas."""
    if not collector.replicated or collector.max_unavailable is None:
        return []
    return [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": object_metadata(ctx, collector.name, _labels(collector)),
             "spec": {"maxUnavailable": collector.max_unavailable, "selector": {"matchLabels": _labels(collector)}}}]


def _workload(ctx: RenderContext, collector: Collector) -> dict[str, Any]:
    labels = _labels(collector)
    volumes, _ = _volumes(collector, with_config=True)
    # A changed config changes this annotation, so the workload rolls its pods.
    checksum = hashlib.sha256(_config_text(collector).encode()).hexdigest()
    pod: dict[str, Any] = {"metadata": {"labels": labels, "annotations": {"checksum/config": checksum}},
           "spec": {"serviceAccountName": collector.name, "containers": [_container(collector)],
                    "volumes": volumes, "terminationGracePeriodSeconds": 30}}
    if collector.tolerations:
        pod["spec"]["tolerations"] = [dict(t) for t in collector.tolerations]
    if spread_constraints(collector):
        pod["spec"]["topologySpreadConstraints"] = spread_constraints(collector)
    spec: dict[str, Any] = {"selector": {"matchLabels": labels}, "template": pod}
    if collector.workload != "daemonset":
        spec = {"replicas": collector.replicas, **spec}
    if collector.workload == "statefulset":
        spec = {**spec, "serviceName": headless_service(collector), "podManagementPolicy": "Parallel"}
    kind = {"daemonset": "DaemonSet", "statefulset": "StatefulSet", "deployment": "Deployment"}[collector.workload]
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": object_metadata(ctx, collector.name, labels),
            "spec": spec}


def _service(ctx: RenderContext, collector: Collector, headless: bool) -> dict[str, Any]:
    ports = _ports(collector) if not headless else dict(collector.ports)
    spec: dict[str, Any] = {"selector": _labels(collector),
                            "ports": [{"name": n, "port": p, "targetPort": p, "protocol": "TCP"}
                                      for n, p in ports.items()]}
    if headless:
        spec = {"clusterIP": "None", **spec}
    elif collector.workload == "daemonset":
        spec["internalTrafficPolicy"] = "Local"  # pods reach the agent on their own node
    name = headless_service(collector) if headless else collector.name
    return {"apiVersion": "v1", "kind": "Service", "metadata": object_metadata(ctx, name, _labels(collector)),
            "spec": spec}


def _rbac(ctx: RenderContext, collector: Collector) -> list[dict[str, Any]]:
    rules = [rule for type_, needed in RBAC_RULES.items() if collector.uses(type_) for rule in needed]
    account = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": object_metadata(ctx, collector.name, _labels(collector))}
    if not rules:
        return [account]
    cluster_name = f"{ctx.env.namespace}-{collector.name}"
    meta = object_metadata(ctx, cluster_name, _labels(collector))
    del meta["namespace"]  # cluster-scoped
    return [
        account,
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_name},
         "subjects": [{"kind": "ServiceAccount", "name": collector.name, "namespace": ctx.env.namespace}]},
    ]


def _service_monitor(ctx: RenderContext, collector: Collector) -> dict[str, Any]:
    """A ServiceMonitor (Prometheus Operator) scraping the collector's own metrics port on every pod,
    labelled like the PrometheusRules for the same Prometheus; `job` becomes the Service name, which
    the self-monitoring alerts select (`job_selector`), and the cluster label is set by relabeling.
    Only the main Service exposes that port, so a headless Service adds no duplicate targets."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": object_metadata(ctx, collector.name, {**_labels(collector), **dict(ctx.env.rule_labels)}),
            "spec": {"selector": {"matchLabels": _labels(collector)},
                     "namespaceSelector": {"matchNames": [ctx.env.namespace]},
                     # The interval Grafana's datasource assumes (its timeInterval), so $__rate_interval fits.
                     "endpoints": [{"port": "metrics", "interval": ctx.env.param("Grafana.scrape_interval", "30s"),
                                    "relabelings": cluster_relabelings(ctx.env)}]}}


def listening_ports(collector: Collector) -> dict[int, list[tuple[str, str]]]:
    """Port -> (receiver id, listen host) of every receiver `endpoint` that is a listen address
    ('host:port', not a URL the receiver calls, like kubelet_stats')."""
    found: dict[int, list[tuple[str, str]]] = {}
    for receiver in collector.components()["receiver"].values():
        for path, value in walk(receiver.config):
            if not path.split(".")[-1] == "endpoint" or not isinstance(value, str) or "://" in value:
                continue
            host, _, port = value.rpartition(":")
            if port.isdigit():
                found.setdefault(int(port), []).append((receiver.id, host))
    return found


def check_service_ports(collector: Collector) -> None:
    """The Service exposes exactly the receivers' listen ports, and each is bound off loopback:
    a port with no receiver behind it (or one on localhost) silently drops what pods send."""
    listening = listening_ports(collector)
    for name, port in collector.ports.items():
        hosts = [host for _, host in listening.get(port, [])]
        if not hosts or all(host in LOOPBACK for host in hosts):
            raise DefinitionError(collector.definition, f"ports[{name!r}]",
                                  f"the Service port {port} reaches no receiver listening on the pod IP",
                                  f"bind a receiver endpoint to ${{env:MY_POD_IP}}:{port}, or drop the port")
    exposed = set(collector.ports.values())
    for port, users in sorted(listening.items()):
        remote = [rid for rid, host in users if host not in LOOPBACK]
        if remote and port not in exposed:
            raise DefinitionError(collector.definition, "ports",
                                  f"receiver {remote[0]!r} listens on port {port} but no Service port exposes it",
                                  f"add ports={{'<name>': {port}}}")


def manifests(ctx: RenderContext, collector: Collector) -> list[dict[str, Any]]:
    """Every object deploying `collector`, in apply order."""
    if collector.output == "operator":  # the Operator derives the Service ports from the config
        return [*_rbac(ctx, collector), operator_resource(ctx, collector)]
    check_service_ports(collector)
    config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": object_metadata(ctx, collector.name, _labels(collector)),
                  "data": {CONFIG_KEY: _config_text(collector)}}
    objects = [*_rbac(ctx, collector), config_map, _workload(ctx, collector), _service(ctx, collector, False)]
    if collector.workload == "statefulset":
        objects.append(_service(ctx, collector, True))
    objects += [*disruption_budget(ctx, collector), _service_monitor(ctx, collector)]
    return objects


def _config_text(collector: Collector) -> str:
    return to_yaml(render_config(collector)).decode()


def operator_resource(ctx: RenderContext, collector: Collector) -> dict[str, Any]:
    """An OpenTelemetryCollector v1beta1: the Operator then creates the workload, ConfigMap and Services."""
    volumes, mounts = _volumes(collector, with_config=False)
    spec: dict[str, Any] = {
        "mode": collector.workload,
        "image": collector.image or CONTRIB_IMAGE,
        "serviceAccount": collector.name,
        "env": _env(collector),
        "resources": _resources(collector),
        "securityContext": _security(collector),
        "config": render_config(collector),
    }
    if collector.workload != "daemonset":
        spec["replicas"] = collector.replicas
    if volumes:
        spec["volumes"] = volumes
        spec["volumeMounts"] = mounts
    if collector.tolerations:
        spec["tolerations"] = [dict(t) for t in collector.tolerations]
    if spread_constraints(collector):
        spec["topologySpreadConstraints"] = spread_constraints(collector)
    if collector.replicated and collector.max_unavailable is not None:  # the Operator creates the PDB
        spec["podDisruptionBudget"] = {"maxUnavailable": collector.max_unavailable}
    return {"apiVersion": "opentelemetry.io/v1beta1", "kind": "OpenTelemetryCollector",
            "metadata": object_metadata(ctx, collector.name, _labels(collector)), "spec": spec}
