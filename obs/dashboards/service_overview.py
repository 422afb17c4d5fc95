"""Service overview (RED) for OpenTelemetry-instrumented HTTP services.

Built on the stable semantic conventions as Prometheus stores them: the histogram
`http_server_request_duration_seconds_{bucket,count,sum}` with `http_route` and
`http_response_status_code`, and `job` = the service. Latency panels ask for exemplars, which
link to the trace in Tempo (the Prometheus datasource's exemplarTraceIdDestinations)."""
from __future__ import annotations

from obs import Environment
from obs.grafana import Dashboard, Query, Row, heatmap, logs, stat, timeseries, variables

METRIC = "http_server_request_duration_seconds"
QUANTILES = (0.5, 0.9, 0.99)
ERROR = 'http_response_status_code=~"5.."'
SERVICE = 'job="$service"'
# Prometheus' job is `service.namespace/service.name` (or just service.name) for OTLP metrics, while
# Loki's OTLP endpoint labels logs with `service_name` = service.name: capture the part after the '/'.
SERVICE_NAME_REGEX = r"/^(?:.*\/)?([^\/]+)$/"


def _sel(env: Environment, suffix: str, *matchers: str) -> str:
    return f"{METRIC}_{suffix}{{{variables.scope(env, SERVICE, *matchers)}}}"


def _rate(env: Environment, suffix: str, *matchers: str) -> str:
    return f"rate({_sel(env, suffix, *matchers)}[$__rate_interval])"


def _error_ratio(env: Environment, *matchers: str, by: str = "") -> str:
    """5xx over all requests; 0 (not "No data") while requests flow without any 5xx series."""
    agg = f"sum by ({by})" if by else "sum"
    total = f"{agg} ({_rate(env, 'count', *matchers)})"
    return f"({agg} ({_rate(env, 'count', ERROR, *matchers)})\nor {total} * 0)\n/ {total}"


def _latency(env: Environment, *matchers: str) -> list[Query]:
    return [Query(f"histogram_quantile({q}, sum by (le) ({_rate(env, 'bucket', *matchers)}))",
                  legend=f"p{round(q * 100)}", exemplar=True) for q in QUANTILES]


def _route_row(env: Environment) -> Row:
    route = 'http_route=~"$route"'
    return Row("Route $route", repeat="route", panels=[
        timeseries("Requests by status: $route",
                   Query(f"sum by (http_response_status_code) ({_rate(env, 'count', route)})",
                         legend="{{http_response_status_code}}"), unit="reqps", width=8, stack=True,
                         description="Requests per second of the route, stacked by HTTP response status code."),
        timeseries("Error ratio: $route", Query(_error_ratio(env, route), legend="5xx"), unit="percentunit",
                   width=8, thresholds=[(0.01, "red")],
                   description="Share of the route's requests answered with a 5xx status; the red line marks 1%."),
        timeseries("Latency: $route", *_latency(env, route), unit="s", width=8,
                   description="Request duration quantiles (p50, p90, p99) of the route."),
    ])


def dashboard(env: Environment, bundle: str) -> Dashboard:
    """The RED dashboard: totals first, then one repeated row per selected route, then logs."""
    count = f"{METRIC}_count"
    service = variables.label_values(
        "service", f"{count}{{{variables.scope(env)}}}", "job", "Service", multi=False, include_all=False)
    route = variables.label_values("route", _sel(env, "count"), "http_route", "Route")
    service_name = variables.label_values("service_name", _sel(env, "count"), "job", "Service name", multi=False,
                                          include_all=False, regex=SERVICE_NAME_REGEX, hidden=True)
    return Dashboard(
        name="service-overview", title="Service overview (RED)", bundle=bundle,
        description="Rate, errors and duration of an OpenTelemetry-instrumented HTTP service, per route.",
        tags=["http", "opentelemetry", "red"],
        variables=[*variables.standard(env, count), service, route, service_name, variables.loki_datasource()],
        panels=[
            Row("Service $service", [
                stat("Requests", f"sum({_rate(env, 'count')})", unit="reqps", width=6, graph=True,
                     description="Requests per second the selected service handles over all routes (count of the "
                                 "OpenTelemetry HTTP server duration histogram)."),
                stat("Error ratio", _error_ratio(env), unit="percentunit", decimals=2, width=6,
                     thresholds=[(0.01, "orange"), (0.05, "red")],
                     description="Share of requests answered with a 5xx status; 0 while requests flow without "
                                 "errors. Orange from 1%, red from 5%."),
                stat("p99 latency", f"histogram_quantile(0.99, sum by (le) ({_rate(env, 'bucket')}))",
                     unit="s", width=6, thresholds=[(0.5, "orange"), (1, "red")],
                     description="99th percentile of server request duration over all routes. Orange from 0.5 s, red"
                                 " from 1 s."),
                stat("Active routes", f"count(sum by (http_route) ({_rate(env, 'count')}))", unit="none", width=6,
                     description="Number of HTTP routes (http_route) that received requests."),
                timeseries("Request rate by route",
                           Query(f"sum by (http_route) ({_rate(env, 'count')})", legend="{{http_route}}"),
                           unit="reqps", width=8, description="Requests per second per HTTP route."),
                timeseries("Error ratio by route",
                           Query(_error_ratio(env, by="http_route"), legend="{{http_route}}"),
                           unit="percentunit", width=8, thresholds=[(0.01, "red")],
                           description="Share of each route's requests answered with a 5xx status; the red line "
                                       "marks 1%."),
                timeseries("Latency", *_latency(env), unit="s", width=8,
                           description="Server request duration quantiles (p50, p90, p99) over all routes; exemplar "
                                       "points link to traces."),
                heatmap("Latency distribution", Query(f"sum by (le) ({_rate(env, 'bucket')})", legend="{{le}}",
                                                      format="heatmap", exemplar=True), unit="s", width=24,
                                                      description="Server request durations over time: darker cells "
                                                                  "hold more requests; exemplars link to traces."),
            ]),
            _route_row(env),
            Row("Logs", [logs("Logs: $service", '{service_name="$service_name"}',
                              description="Log lines of the selected service from Loki (matched on service_name).")]),
        ],
    )
