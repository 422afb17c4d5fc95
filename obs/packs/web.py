"""Web service alerts (seed 001 section 8.1), per route, on the stable OTel HTTP metrics.

Fixed from the seed: `http_requests_total{status=~"5.."}` > 0.1 was an absolute error rate on a
pre-semconv metric; this is the share of 5xx responses per route of
`http_server_request_duration_seconds_count`, guarded by a minimum request rate so a quiet route
with one failure does not page. The latency quantile aggregates buckets per route and `le`
(the seed's histogram_quantile over raw rates mixed every series).
"""
from __future__ import annotations

from obs import Environment, RulePack
from obs.packs.http import error_ratio_alert, latency_alert
from obs.packs.assemble import assemble

ROUTE = ("job", "http_route")


def web_error_rate(env: Environment):
    return error_ratio_alert(env, "WebHighErrorRate", ROUTE, "critical",
                             "Web route answers with many server errors",
                             threshold=0.05, for_="5m", min_rate=0.5)


def web_response_time(env: Environment):
    return latency_alert(env, "WebHighResponseTime", ROUTE, 0.95, "warning", "Web route responds slowly",
                         threshold=1.0, for_="5m", min_rate=0.5)


def pack(env: Environment, dashboard: object | None = None) -> RulePack:
    """Per-route HTTP error rate and latency of web services."""
    return assemble(env, dashboard, "web", "Per-route HTTP error rate and latency (OTel semantic conventions)",
                    {"web.rules": [web_error_rate, web_response_time]})
