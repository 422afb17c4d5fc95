"""Grafana: dashboard JSON, provisioning files (datasources with correlations, dashboard provider),
ConfigMaps for the kube-prometheus-stack Grafana sidecars (one per dashboard, one with the
datasources) and the chart values those sidecars need to honour them."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from obs.grafana.datasources import JAEGER_UID, LOKI_UID, PROMETHEUS_UID, TEMPO_UID
from obs.model.environment import Environment
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata
from obs.render.prometheus import runbook_url
from obs.serialize import to_json, to_yaml
from obs.topologies.prometheus import prometheus_stack_values

if TYPE_CHECKING:
    from obs.backends.jaeger import Jaeger
    from obs.grafana.dashboard import Dashboard

DASHBOARDS_DIR = "grafana/dashboards"
STACK_VALUES = "grafana/kube-prometheus-stack-values.yaml"
PROVISIONING_DIR = "grafana/provisioning"
SIDECAR_LABEL = "grafana_dashboard"
DATASOURCE_SIDECAR_LABEL = "grafana_datasource"
FOLDER_ANNOTATION = "grafana_folder"
# Where the dashboard provider reads the JSON files (mount grafana/dashboards/ there).
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"
TIME_SHIFT = ("-5m", "5m")  # span start/end shifts when jumping from a span to logs or metrics
# Span resource attributes that select a span's logs: Loki indexes them as labels (dots -> underscores).
LOG_TAGS = ("service.name", "service.namespace", "k8s.namespace.name")


def loki_label(attribute: str) -> str:
    """The stream label Loki's OTLP endpoint makes of an indexed resource attribute."""
    return attribute.replace(".", "_")


def escape_env(value: Any) -> Any:
    """Grafana expands $NAME and ${NAME} in provisioning files: write every literal `$` as `$$`."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape_env(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_env(v) for v in value]
    return value


def folder(env: Environment) -> str:
    """The Grafana folder the bundle's dashboards go to (override 'Grafana.folder')."""
    return env.param("Grafana.folder", "Observability")


def _runbooks_by_dashboard(ctx: RenderContext) -> dict[str, dict[str, str]]:
    """Dashboard uid -> {alert name: runbook URL} of the alerts linking to it (one pass over all alerts)."""
    index: dict[str, dict[str, str]] = {}
    for pack in ctx.defs.all_rule_packs():
        for alert in pack.alerts:
            if alert.dashboard is not None:
                index.setdefault(alert.dashboard.uid, {})[alert.name] = runbook_url(ctx.env, alert)
    return index


def runbooks_for(ctx: RenderContext, dashboard: Dashboard) -> dict[str, str]:
    """Alert name -> runbook URL for every alert that links to `dashboard`."""
    return dict(ctx.once("runbooks-by-dashboard", lambda: _runbooks_by_dashboard(ctx)).get(dashboard.uid, {}))


def dashboard_json(ctx: RenderContext, dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard's JSON model, read back from its file content (a fresh copy: only the bytes
    are kept per context, a thousand dashboards' objects would hold ~100 MB)."""
    return json.loads(dashboard_bytes(ctx, dashboard))


def dashboard_bytes(ctx: RenderContext, dashboard: Dashboard) -> bytes:
    """The dashboard's JSON file content (built and serialised once per context)."""
    return ctx.once(("dashboard-bytes", dashboard.name),
                    lambda: to_json(dashboard.to_json(runbooks_for(ctx, dashboard))))


def _span_queries() -> list[dict[str, str]]:
    """Metrics queries Grafana offers from a span (Tempo's $__tags become the span's matchers)."""
    route = "http_server_request_duration_seconds"
    return [
        {"name": "Request rate", "query": f"sum(rate({route}_count{{$__tags}}[5m]))"},
        {"name": "Error ratio", "query": f'sum(rate({route}_count{{$__tags, http_response_status_code=~"5.."}}[5m])) '
                                         f"/ sum(rate({route}_count{{$__tags}}[5m]))"},
        {"name": "p99 latency",
         "query": f"histogram_quantile(0.99, sum by (le) (rate({route}_bucket{{$__tags}}[5m])))"},
    ]


def trace_links() -> dict[str, Any]:
    """From a span to its logs (Loki) and its service's metrics (Prometheus): the same links on every
    trace datasource (Tempo, Jaeger)."""
    from obs.backends.loki import INDEX_ATTRIBUTES  # only with dashboards: an SLO-only build never loads Loki's model
    start, end = TIME_SHIFT
    return {
        "tracesToLogsV2": {
            "datasourceUid": LOKI_UID, "spanStartTimeShift": start, "spanEndTimeShift": end,
            "filterByTraceID": True, "filterBySpanID": False,
            "tags": [{"key": a, "value": loki_label(a)} for a in LOG_TAGS if a in INDEX_ATTRIBUTES]},
        "tracesToMetrics": {
            "datasourceUid": PROMETHEUS_UID, "spanStartTimeShift": start, "spanEndTimeShift": end,
            "tags": [{"key": "service.name", "value": "job"}], "queries": _span_queries()},
    }


def jaeger_datasource(env: Environment, jaeger: Jaeger) -> dict[str, Any]:
    """Jaeger's query service, with Tempo's links to logs and metrics."""
    return {"name": "Jaeger", "uid": JAEGER_UID, "type": "jaeger", "access": "proxy",
            "url": jaeger.query_url(env.namespace), "editable": False,
            "jsonData": {**trace_links(), "nodeGraph": {"enabled": True}}}


def datasources(env: Environment, jaeger: Jaeger | None = None) -> dict[str, Any]:
    """datasources.yaml: Prometheus, Tempo and Loki with stable uids, linked to each other; Jaeger
    too when the environment defines it. With a global store the Prometheus datasource is Thanos
    Query, which sees every cluster."""
    store = env.global_store
    prometheus = {
        "name": "Prometheus", "uid": PROMETHEUS_UID, "type": "prometheus", "access": "proxy",
        "url": env.urls.prometheus if store is None else store.query_url(env.namespace),
        "isDefault": True, "editable": False,
        "jsonData": {
            "httpMethod": "POST", "prometheusType": "Prometheus",
            "timeInterval": env.param("Grafana.scrape_interval", "30s"),
            "exemplarTraceIdDestinations": [
                {"name": "trace_id", "datasourceUid": TEMPO_UID, "urlDisplayLabel": "View trace"}],
        },
    }
    tempo = {
        "name": "Tempo", "uid": TEMPO_UID, "type": "tempo", "access": "proxy", "url": env.urls.tempo,
        "editable": False,
        "jsonData": {
            **trace_links(),
            "serviceMap": {"datasourceUid": PROMETHEUS_UID},
            "nodeGraph": {"enabled": True},
            "search": {"hide": False},
            "traceQuery": {"timeShiftEnabled": True, "spanStartTimeShift": "-30m", "spanEndTimeShift": "30m"},
        },
    }
    loki = {
        "name": "Loki", "uid": LOKI_UID, "type": "loki", "access": "proxy", "url": env.urls.loki,
        "editable": False,
        "jsonData": {
            "maxLines": 1000,
            "derivedFields": [
                # OTLP logs keep the trace id as structured metadata; other logs carry it in the line.
                {"name": "trace_id", "matcherType": "label", "matcherRegex": "trace_id",
                 "datasourceUid": TEMPO_UID, "url": "${__value.raw}", "urlDisplayLabel": "View trace"},
                {"name": "TraceID", "matcherType": "regex",
                 "matcherRegex": r'(?:trace_id|traceID|traceId)["=:\s]+"?([0-9a-fA-F]{16,32})',
                 "datasourceUid": TEMPO_UID, "url": "${__value.raw}", "urlDisplayLabel": "View trace"},
            ],
        },
    }
    extra = [jaeger_datasource(env, jaeger)] if jaeger is not None else []
    return escape_env({"apiVersion": 1, "datasources": [prometheus, tempo, loki, *extra]})


def dashboard_provider(ctx: RenderContext) -> dict[str, Any]:
    """dashboards.yaml: a file provider for the bundle's dashboards (read-only in the UI)."""
    return escape_env({"apiVersion": 1, "providers": [{
        "name": ctx.bundle.name, "orgId": 1, "folder": folder(ctx.env), "type": "file",
        "disableDeletion": True, "allowUiUpdates": False, "updateIntervalSeconds": 60,
        "options": {"path": f"{DASHBOARDS_MOUNT}/{ctx.bundle.name}", "foldersFromFilesStructure": False},
    }]})


def config_map(ctx: RenderContext, dashboard: Dashboard, content: bytes) -> dict[str, Any]:
    """The ConfigMap the Grafana sidecar (kube-prometheus-stack) picks up by its label."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": object_metadata(ctx, f"grafana-dashboard-{dashboard.name}", {SIDECAR_LABEL: "1"},
                                    {FOLDER_ANNOTATION: folder(ctx.env)}),
        "data": {f"{dashboard.name}.json": content.decode()},
    }


def datasources_config_map(ctx: RenderContext, content: bytes) -> dict[str, Any]:
    """datasources.yaml in a ConfigMap the Grafana datasource sidecar copies into provisioning/."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": object_metadata(ctx, "grafana-datasources", {DATASOURCE_SIDECAR_LABEL: "1"}),
        "data": {"obs-datasources.yaml": content.decode()},
    }


def sidecar_values(ctx: RenderContext) -> dict[str, Any]:
    """kube-prometheus-stack values (`helm ... -f`) the ConfigMaps above rely on. The chart's
    defaults ignore the folder annotation (folderAnnotation: null, foldersFromFilesStructure:
    false), watch only Grafana's own namespace, and provision their own default Prometheus
    datasource with uid `prometheus`, which clashes with obs's (two defaults stop provisioning)."""
    return {"grafana": {"sidecar": {
        "dashboards": {"enabled": True, "label": SIDECAR_LABEL, "labelValue": "1",
                       "searchNamespace": ctx.env.namespace, "folderAnnotation": FOLDER_ANNOTATION,
                       "provider": {"foldersFromFilesStructure": True}},
        "datasources": {"enabled": True, "label": DATASOURCE_SIDECAR_LABEL, "labelValue": "1",
                        "searchNamespace": ctx.env.namespace, "defaultDatasourceEnabled": False},
    }}}


def stack_values(ctx: RenderContext) -> dict[str, Any]:
    """The environment's kube-prometheus-stack values: in one cluster its Prometheus' (the cluster
    label on every series it scrapes and sends, what it must accept: obs.topologies.prometheus; in a
    fleet each cluster's are in its overlay, obs.render.clusters), the Alertmanager running obs's
    routing (obs.alertmanager.crd.chart_values) and, with dashboards, the Grafana sidecars'."""
    values = {} if ctx.env.fleet else prometheus_stack_values(ctx.env)
    if ctx.defs.alertmanager is not None:
        from obs.alertmanager.crd import chart_values  # only with an Alertmanager (obs.lazy says why)
        values = {**values, **chart_values(ctx.defs.alertmanager)}
    return {**values, **sidecar_values(ctx)} if ctx.defs.all_dashboards() else values


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """kube-prometheus-stack values; dashboards, provisioning and sidecar ConfigMaps when the bundle
    has dashboards."""
    values = stack_values(ctx)
    if values:
        yield RenderedFile(STACK_VALUES, values)
    if not ctx.defs.all_dashboards():
        return
    for dashboard in ctx.defs.all_dashboards():
        content = dashboard_bytes(ctx, dashboard)
        yield RenderedFile(f"{DASHBOARDS_DIR}/{dashboard.name}.json", content, "bytes")
        yield RenderedFile(f"{KUBERNETES_DIR}/grafana-dashboard-{dashboard.name}.yaml",
                           config_map(ctx, dashboard, content))
    provisioned = datasources(ctx.env, ctx.defs.jaeger)
    yield RenderedFile(f"{PROVISIONING_DIR}/datasources.yaml", provisioned)
    yield RenderedFile(f"{KUBERNETES_DIR}/grafana-datasources.yaml",
                       datasources_config_map(ctx, to_yaml(provisioned)))
    yield RenderedFile(f"{PROVISIONING_DIR}/dashboards.yaml", dashboard_provider(ctx))
