"""The global store at a glance (environments with `global_store=obs.Thanos(...)`, docs/fleet.md):
Query (requests, errors and latency per API, connected store endpoints), Receive (remote-write
requests and errors, replication and forwarding, appended samples, head series; topology
`receive` only), the store gateway (blocks loaded, block loads, series per request, latency) and
Rule (evaluations and failures, missed iterations, alerts sent and dropped, queries to Query).

Every metric and label is one the Thanos v0.41 binaries expose (obs.catalog.thanos; checked on
live /metrics pages by tests/test_thanos_dashboard.py); each component's series are selected by
its environment selector (`thanos_query`, `thanos_store`, `thanos_receive`, `thanos_ruler`: the
jobs of the ServiceMonitors obs.render.thanos writes). obs adds the dashboard to every such
environment itself (obs.model.bundle), and the global ruler's alerts (obs.packs.thanos) link to it.
"""
from __future__ import annotations

from obs.errors import DefinitionError
from obs.grafana import Dashboard, Query, Row, stat, timeseries, variables
from obs.model.environment import Environment
from obs.promql import selector

NAME = "thanos"
RECEIVE_API = 'handler="receive"'
ERRORS = 'code=~"5.."'
STORE_SERIES = 'grpc_method="Series"'
BUILD_INFO = "thanos_build_info"  # on every component
# Environment selector -> (job variable, its label on the dashboard).
COMPONENTS = {"thanos_query": ("query_job", "Query"), "thanos_store": ("store_job", "Store gateway"),
              "thanos_receive": ("receive_job", "Receive"), "thanos_ruler": ("ruler_job", "Rule")}


class _Component:
    """PromQL over one component's series: its job (a variable over the jobs its environment
    selector selects) in the chosen cluster."""

    def __init__(self, env: Environment, source: str) -> None:
        self.variable, label = COMPONENTS[source]
        self.scope = f'{env.cluster_label}=~"$cluster", job=~"${self.variable}"'
        # one job per component as obs deploys it: pick it (or several), no 'All' (it would match every job)
        self.jobs = variables.label_values(self.variable, selector(BUILD_INFO, f'{env.cluster_label}=~"$cluster"',
                                                                   env.selector(source)),
                                           "job", label, include_all=False)

    def sel(self, metric: str, *matchers: str) -> str:
        return selector(metric, self.scope, *matchers)

    def rate(self, metric: str, *matchers: str) -> str:
        return f"rate({self.sel(metric, *matchers)}[$__rate_interval])"

    def sum(self, metric: str, *labels: str, matchers: tuple[str, ...] = ()) -> str:
        by = f" by ({', '.join(labels)})" if labels else ""
        return f"sum{by} ({self.rate(metric, *matchers)})"

    def ratio(self, metric: str, failed: str, *labels: str, matchers: tuple[str, ...] = ()) -> str:
        """Share of `metric`'s rate matching `failed`, per `labels`; overall (no `labels`) 0 rather than
        no data while nothing failed (a failed code's series appears with its first request)."""
        failures = self.sum(metric, *labels, matchers=(*matchers, failed))
        return f"{failures if labels else f'({failures} or vector(0))'}\n/ {self.sum(metric, *labels, matchers=matchers)}"

    def p99(self, histogram: str, *labels: str, matchers: tuple[str, ...] = ()) -> str:
        """The 99th percentile of `histogram` (its name without `_bucket`) per `labels`."""
        return f"histogram_quantile(0.99, {self.sum(f'{histogram}_bucket', *labels, 'le', matchers=matchers)})"


def _overview(query: _Component, ruler: _Component, receive: _Component | None) -> Row:
    width = 6 if receive else 8
    panels = [
        stat("Query API error ratio", query.ratio("http_requests_total", ERRORS),
             unit="percentunit", decimals=2, width=width, thresholds=[(0.01, "orange"), (0.05, "red")],
             description="Share of the requests to Query's HTTP APIs (queries from Grafana and Thanos Rule) answered "
                         "with a 5xx. Orange from 1%, red from 5%."),
        stat("Store endpoints connected", f"sum({query.sel('thanos_store_nodes_grpc_connections')})", unit="none",
             width=width, base="red", thresholds=[(1, "green")],
             description="Store API endpoints (sidecars or Receive replicas, the store gateway, the ruler) Query holds "
                         "a gRPC connection to, summed over Query replicas. An endpoint missing here is data missing "
                         "from every global query."),
        stat("Rule evaluation failures", ruler.sum("prometheus_rule_evaluation_failures_total"), unit="ops",
             decimals=2, width=width, thresholds=[(0.000001, "red")],
             description="Rule evaluations per second that failed on Thanos Rule. With the abort strategy a partial "
                         "response fails the evaluation, and a failed alert rule cannot fire. Red above 0."),
    ]
    if receive:
        panels.append(stat("Remote-write error ratio", receive.ratio("http_requests_total", ERRORS,
                                                                     matchers=(RECEIVE_API,)),
                           unit="percentunit", decimals=2, width=width, thresholds=[(0.001, "orange"), (0.01, "red")],
                           description="Share of the clusters' remote-write requests Receive answered with a 5xx: "
                                       "those samples are retried, then lost. Orange from 0.1%, red from 1%."))
    return Row("Overview", panels)


def _query(query: _Component) -> Row:
    return Row("Query", [
        timeseries("Query: requests per second by API",
                   Query(query.sum("http_requests_total", "handler", "code"),
                         legend="{{handler}} {{code}}"), unit="reqps",
                   description="Requests to Query's HTTP APIs by API (query, query_range, series, ...) and status "
                               "code, over every Query replica."),
        timeseries("Query: error ratio by API",
                   Query(query.ratio("http_requests_total", ERRORS, "handler"),
                         legend="{{handler}}"), unit="percentunit",
                   description="Share of each API's requests answered with a 5xx (a store timing out, a query "
                               "too large)."),
        timeseries("Query: p99 latency by API",
                   Query(query.p99("http_request_duration_seconds", "handler"),
                         legend="{{handler}}"), unit="s",
                   description="99th percentile time Query takes to answer each API, from its request histogram."),
        timeseries("Query: connected store endpoints by type",
                   Query(f"sum by (store_type) ({query.sel('thanos_store_nodes_grpc_connections')})",
                         legend="{{store_type}}"), unit="none",
                   description="Store API endpoints Query is connected to, by type (sidecar, receive, store, rule), "
                               "summed over Query replicas: a drop is a cluster, the bucket or the ruler's series "
                               "gone from global queries."),
        timeseries("Query: Store API calls to endpoints by gRPC code",
                   Query(query.sum("grpc_client_handled_total", "grpc_method", "grpc_code",
                                   matchers=('grpc_service="thanos.Store"',)),
                         legend="{{grpc_method}} {{grpc_code}}"), unit="reqps", width=24,
                   description="Calls Query makes to its store endpoints' Store API (Series, LabelNames, "
                               "LabelValues) by gRPC status: anything but OK is a store failing to answer."),
    ])


def _receive(receive: _Component) -> Row:
    return Row("Receive", [
        timeseries("Receive: remote-write requests per second by code",
                   Query(receive.sum("http_requests_total", "code", matchers=(RECEIVE_API,)), legend="{{code}}"),
                   unit="reqps",
                   description="Remote-write requests from the clusters' Prometheus and collector gateways, by status "
                               "code: 5xx are retried by the sender, 4xx (409 out of order or out of bounds) are "
                               "dropped."),
        timeseries("Receive: p99 remote-write latency",
                   Query(receive.p99("http_request_duration_seconds", "instance", matchers=(RECEIVE_API,)),
                         legend="{{instance}}"), unit="s",
                   description="99th percentile time each Receive replica takes to accept a remote-write request "
                               "(including replication to the other replicas)."),
        timeseries("Receive: replication and forwarding by result",
                   Query(receive.sum("thanos_receive_replications_total", "result"), legend="replication {{result}}"),
                   Query(receive.sum("thanos_receive_forward_requests_total", "result"), legend="forward {{result}}"),
                   unit="reqps",
                   description="Writes replicated to (and forwarded to) the hashring's other replicas, by result: "
                               "errors mean series stored fewer times than the replication factor, or not at all."),
        timeseries("Receive: samples appended per second by tenant",
                   Query(receive.sum("prometheus_tsdb_head_samples_appended_total", "tenant"), legend="{{tenant}}"),
                   unit="short",
                   description="Samples Receive appends to its TSDBs per second, by tenant, over every replica (each "
                               "sample counts once per replica storing it)."),
        timeseries("Receive: head series by tenant",
                   Query(f"sum by (tenant) ({receive.sel('prometheus_tsdb_head_series')})", legend="{{tenant}}"),
                   unit="short",
                   description="Series in Receive's in-memory head blocks, by tenant, over every replica: memory "
                               "grows with it."),
        timeseries("Receive: p99 samples per write request",
                   Query(receive.p99("thanos_receive_write_samples", "code"), legend="{{code}}"), unit="short",
                   description="99th percentile number of samples in one remote-write request, by status code."),
    ])


def _store(store: _Component) -> Row:
    return Row("Store gateway", [
        timeseries("Store gateway: blocks loaded",
                   Query(f"sum by (instance) ({store.sel('thanos_bucket_store_blocks_loaded')})",
                         legend="{{instance}}"), unit="none",
                   description="Blocks of the bucket each store gateway replica has loaded and serves."),
        timeseries("Store gateway: block loads and failures",
                   Query(store.sum("thanos_bucket_store_block_loads_total"), legend="loads"),
                   Query(store.sum("thanos_bucket_store_block_load_failures_total"), legend="load failures"),
                   Query(store.sum("thanos_blocks_meta_sync_failures_total"), legend="bucket sync failures"),
                   unit="ops",
                   description="Blocks loaded per second, blocks that failed to load and failed syncs of the bucket's "
                               "block list: failures leave history missing from global queries."),
        timeseries("Store gateway: p99 Series latency",
                   Query(store.p99("grpc_server_handling_seconds", matchers=(STORE_SERIES,)), legend="p99"),
                   unit="s",
                   description="99th percentile time the store gateway takes to answer a Series call (reading "
                               "history from the bucket for Query)."),
        timeseries("Store gateway: p99 series per request",
                   Query(store.p99("thanos_store_server_series_requested"), legend="p99"), unit="short",
                   description="99th percentile number of series one request to the store gateway returns."),
    ])


def _rule(ruler: _Component) -> Row:
    return Row("Rule", [
        timeseries("Rule: evaluations and failures",
                   Query(ruler.sum("prometheus_rule_evaluations_total", "strategy"), legend="evaluations {{strategy}}"),
                   Query(ruler.sum("prometheus_rule_evaluation_failures_total", "strategy"),
                         legend="failures {{strategy}}"),
                   Query(ruler.sum("thanos_rule_evaluation_with_warnings_total", "strategy"),
                         legend="with warnings {{strategy}}"), unit="ops",
                   description="Rule evaluations per second on Thanos Rule, failed ones and ones with warnings (a "
                               "partial response under the warn strategy), by partial-response strategy."),
        timeseries("Rule: missed group iterations",
                   Query(ruler.sum("prometheus_rule_group_iterations_missed_total", "rule_group"),
                         legend="{{rule_group}}"), unit="ops",
                   description="Evaluations of a rule group skipped because the previous one had not finished within "
                               "the group's interval (slow queries to Query): its alerts fire late."),
        timeseries("Rule: alerts sent, dropped and send errors",
                   Query(ruler.sum("thanos_alert_sender_alerts_sent_total", "alertmanager"),
                         legend="sent to {{alertmanager}}"),
                   Query(ruler.sum("thanos_alert_sender_errors_total", "alertmanager"),
                         legend="send errors {{alertmanager}}"),
                   Query(ruler.sum("thanos_alert_sender_alerts_dropped_total"), legend="dropped (no Alertmanager)"),
                   Query(ruler.sum("thanos_alert_queue_alerts_dropped_total"), legend="dropped (queue full)"),
                   unit="short",
                   description="Alerts per second sent to each Alertmanager, failed sends per Alertmanager, and "
                               "alerts dropped because no Alertmanager took them or the send queue overflowed: a "
                               "dropped alert never pages."),
        timeseries("Rule: queries to Query by code",
                   Query(ruler.sum("http_client_request_total", "code", matchers=('client="query"',)),
                         legend="{{code}}"), unit="reqps",
                   description="Queries Thanos Rule sends to Thanos Query, by status code: errors fail the "
                               "evaluations that sent them."),
    ])


def dashboard(env: Environment, bundle: str) -> Dashboard:
    """The Thanos dashboard of `env` (which has a global store): Receive's row only in topology `receive`."""
    if env.global_store is None:
        raise DefinitionError(env.definition, "global_store", "is not set, but the Thanos dashboard was asked for",
                              "add global_store=obs.Thanos(...) or leave the Thanos dashboard out")
    query, store, ruler = (_Component(env, s) for s in ("thanos_query", "thanos_store", "thanos_ruler"))
    receive = _Component(env, "thanos_receive") if env.global_store.topology == "receive" else None
    return Dashboard(
        name=NAME, title="Thanos (global store)", bundle=bundle,
        description="The global store's components: Query's APIs and store endpoints, "
                    + ("Receive's remote writes, replication and head series, " if receive else "")
                    + "the store gateway's blocks and latency, and Thanos Rule's evaluations and alert delivery.",
        tags=["thanos"],
        variables=[variables.datasource(), variables.cluster(env, selector(BUILD_INFO, env.selector("thanos_query"))),
                   *(c.jobs for c in (query, *([receive] if receive else []), store, ruler))],
        panels=[_overview(query, ruler, receive), _query(query), *([_receive(receive)] if receive else []),
                _store(store), _rule(ruler)],
    )
