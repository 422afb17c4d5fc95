"""Issue 13, hostile values: secrets (class 4), values tools reject or misread (7), collector
safety lint (8), multi-line strings through the YAML writer (10)."""
from __future__ import annotations

import math
from typing import Any, Callable

import pytest
import yaml

from obs import AlertRule, Environment
from obs.backends.loki import Loki
from obs.backends.logql import LokiRulePack
from obs.backends.storage import LocalStorage, S3Storage
from obs.backends.tempo import Kafka
from obs.collector import Collector, Exporter, Extension, Pipeline, Processor, Receiver, SecretEnv, Telemetry
from obs.collector.safety import safety_findings
from obs.errors import DefinitionError
from obs.model.checks import check_duration
from obs.model.environment import Urls
from obs.serialize import to_yaml

LIMITER = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
OTLP = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})
DEBUG = Exporter("debug")
SECRET = "s3cr3t-Value-42"


def rejected(make: Callable[[], Any], *words: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        make()
    for word in words:
        assert word in str(info.value)
    return info.value


def collector(*exporters: Exporter, receivers=(OTLP,), **settings: Any) -> Collector:
    return Collector("c", "deployment", [Pipeline("traces", list(receivers), list(exporters) or [DEBUG], [LIMITER])],
                     **settings)


# --- class 4: secrets -----------------------------------------------------------------------------

SECRET_CONFIGS = [
    ({"endpoint": f"https://mimir.example.com/push?api_key={SECRET}"}, "query parameter 'api_key'"),
    ({"endpoint": f"https://mimir.example.com/push?x=1&token={SECRET}"}, "query parameter 'token'"),
    ({"endpoint": f"https://{SECRET}@mimir.example.com/push"}, "user info"),
    ({"endpoint": f"https://metrics:{SECRET}@mimir.example.com/push"}, "literal password"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"DD-API-KEY": SECRET}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"X-API-Key": SECRET}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"api-key": SECRET}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"Authorization": f"Bearer {SECRET}"}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"Authorization": f"Basic {SECRET}"}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"x-honeycomb-team": SECRET}}, "written literally"),
    ({"endpoint": "otlp.example.com:4317", "tls": {"key_pem": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n"}},
     "PEM private key"),
    ({"endpoint": "otlp.example.com:4317", "tls": {"cert_pem": f"-----BEGIN EC PRIVATE KEY-----\n{SECRET}\n"}},
     "PEM private key"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"x-note": "AKIAIOSFODNN7EXAMPLE"}}, "AWS access key"),
    ({"endpoint": "otlp.example.com:4317", "headers": {"x-pass": f"pa$word{SECRET}"}}, "'$'"),
]


@pytest.mark.parametrize("config, words", SECRET_CONFIGS)
def test_inline_secrets_are_rejected_without_echoing_them(config, words):
    error = rejected(lambda: Exporter("otlp_http/x", config), words, "fix:")
    assert SECRET not in str(error) and "AKIAIOSFODNN7EXAMPLE" not in str(error)


@pytest.mark.parametrize("config", [
    {"endpoint": "https://mimir.example.com/push?tenant=a"},
    {"endpoint": "https://metrics:${env:MIMIR_PASSWORD}@mimir.example.com/push"},
    {"endpoint": "otlp.example.com:4317", "headers": {"Authorization": "Bearer ${env:TOKEN}"}},
    {"endpoint": "otlp.example.com:4317", "headers": {"DD-API-KEY": "${env:DD_API_KEY}"}},
    {"endpoint": "otlp.example.com:4317", "tls": {"ca_file": "/etc/ca.pem", "key_file": "/etc/tls/key.pem",
                                                  "cert_file": "/etc/tls/cert.pem"}},
])
def test_references_and_file_paths_are_accepted(config):
    Exporter("otlp_http/x", config)


def test_secret_file_keys_are_accepted_in_auth_settings():
    Receiver("kubelet_stats", {"auth_type": "tls", "ca_file": "/var/run/secrets/ca.crt",
                               "key_file": "/etc/k/key.pem", "cert_file": "/etc/k/cert.pem",
                               "endpoint": "https://${env:K8S_NODE_NAME}:10250"})


def test_secrets_in_workload_env_vars_are_rejected():
    rejected(lambda: collector(env={"API_TOKEN": SECRET}), "env['API_TOKEN']", "secrets=")
    rejected(lambda: collector(env={"UPSTREAM": f"https://u:{SECRET}@x.example.com"}), "literal password")
    collector(env={"LOG_FORMAT": "json"}, secrets={"API_TOKEN": SecretEnv("api", "token")})


def test_secrets_in_backend_urls_and_s3_endpoints_are_rejected():
    error = rejected(lambda: Urls(prometheus=f"https://u:{SECRET}@prom.example.com"), "literal password")
    assert SECRET not in str(error)
    rejected(lambda: Urls(loki=f"https://loki.example.com/?token={SECRET}"), "query parameter")
    error = rejected(lambda: S3Storage("b", f"AKIAIOSFODNN7EXAMPLE:{SECRET}@s3.example.com"), "endpoint")
    assert SECRET not in str(error) and "AKIAIOSFODNN7EXAMPLE" not in str(error)
    rejected(lambda: S3Storage("b", f"s3.example.com?X-Amz-Signature={SECRET}"), "endpoint")
    error = rejected(lambda: Kafka("k:9092", sasl_username_env="U", sasl_password_env=SECRET), "sasl_password_env")
    assert SECRET not in str(error)


def test_dollar_signs_are_escaped_for_expand_env_but_obs_references_are_not():
    from obs.backends.storage import for_expand_env, s3_fields
    storage = S3Storage("b", "s3.example.com")
    data = {"path": "/data/$HOME", "s3": s3_fields(storage, "bucket", "access_key", "secret_key", "path_style")}
    safe = for_expand_env("tempo config", data)
    assert safe["path"] == "/data/$$HOME"
    assert safe["s3"]["secret_key"] == "${S3_SECRET_ACCESS_KEY}" and type(safe["s3"]["secret_key"]) is str
    yaml.safe_dump(safe)  # plain types only


def test_loki_config_with_a_dollar_in_a_path_is_escaped():
    from obs.backends.loki import render_config
    env = Environment("dev", cluster="dev-1")
    config = render_config(env, Loki(storage=LocalStorage("/var/loki$x")))
    assert "/var/loki$$x" in yaml.safe_dump(config)


# --- class 7: values the target tool rejects or misreads ----------------------------------------

@pytest.mark.parametrize("value, ok", [
    ("1h30m", True), ("0", True), ("1y2w3d4h5m6s7ms", True), ("90m", True), ("5m", True),
    ("1.5h", False), ("30m1h", False), ("5m5m", False), ("", False), ("5", False), ("5 m", False),
    ("1d1y", False), ("ms", False), ("-5m", False), ("5M", False), ("9999999999999999y", False),
])
def test_duration_check_accepts_exactly_what_prometheus_parses(value, ok):
    if ok:
        check_duration("x", "d", value)
    else:
        rejected(lambda: check_duration("x", "d", value), "not a Prometheus duration" if value != "9999999999999999y"
                 else "longer than")


@pytest.mark.parametrize("settings, field", [
    ({"replicas": True}, "replicas"), ({"replicas": 0}, "replicas"), ({"replicas": 2.5}, "replicas"),
    ({"memory_limit_mib": math.nan}, "memory_limit_mib"), ({"memory_limit_mib": math.inf}, "memory_limit_mib"),
    ({"ports": {"otlp": 70000}}, "ports['otlp']"), ({"ports": {"otlp": True}}, "ports['otlp']"),
    ({"ports": {"otlp": -1}}, "ports['otlp']"), ({"telemetry": None}, "metrics_port"),
])
def test_numbers_are_real_numbers_in_range(settings, field):
    if settings.get("telemetry", 1) is None:
        rejected(lambda: Telemetry(metrics_port=True), field)
        return
    rejected(lambda: collector(**settings), field)


@pytest.mark.parametrize("config, field", [
    ({"sending_queue": {"queue_size": -1}}, "queue_size"), ({"sending_queue": {"queue_size": math.nan}}, "queue_size"),
    ({"sending_queue": {"num_consumers": True}}, "num_consumers"), ({"timeout_ratio": math.inf}, "timeout_ratio"),
])
def test_collector_settings_reject_nan_bool_and_negative_counts(config, field):
    rejected(lambda: Exporter("otlp_grpc/x", {"endpoint": "tempo.monitoring.svc:4317", **config}), field)


def test_environment_overrides_must_be_finite_and_durations_valid():
    env = Environment("dev", cluster="dev-1", overrides={"A.threshold": math.nan, "B.threshold": -3,
                                                            "C.window": "1.5h", "D.threshold": True})
    rejected(lambda: env.param("A.threshold", 0.9), "A.threshold")
    rejected(lambda: env.param("B.threshold", 10), "out of range")
    rejected(lambda: env.param("C.window", "5m"), "not a Prometheus duration")
    rejected(lambda: env.param("D.threshold", 1), "bool")


@pytest.mark.parametrize("cluster", ['a"b', "a\\b", "a\nb", "a}b", "", " lead", "a b", "x" * 300])
def test_cluster_names_that_break_promql_or_series_notation_are_rejected(cluster):
    rejected(lambda: Environment("dev", cluster=cluster), "cluster")


def test_derived_kubernetes_names_fit_in_63_characters():
    name = "c" * 56
    pipeline = Pipeline("traces", [OTLP], [DEBUG], [LIMITER])
    Collector(name, "deployment", [pipeline])
    rejected(lambda: Collector(name, "statefulset", [pipeline]), "headless Service", "63")
    rejected(lambda: Collector("c" * 60, "deployment", [pipeline], output="operator"), "Service", "63")


def test_loki_tenants_that_are_not_kubernetes_names_are_rejected():
    from tests.sample_bundle import loki_pack as _pack

    def loki(*tenants: str) -> Loki:
        packs = [_pack(tenant=t) for t in tenants]
        packs = [LokiRulePack(f"p{i}", p.groups, tenant=p.tenant) for i, p in enumerate(packs)]
        return Loki(storage=LocalStorage("/var/loki"), multitenancy=True, rule_packs=packs)
    rejected(lambda: loki("team_a"), "ConfigMap")
    rejected(lambda: loki("team*a"), "ConfigMap")
    rejected(lambda: loki("Team-A", "team-a"), "tenant (ignoring case)")
    loki("team-a", "team.b")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.example.com", "//x.example.com",
                                 "https://", "https://ex ample.com"])
def test_links_must_be_http_urls(url):
    from obs.grafana import Dashboard, timeseries
    rejected(lambda: AlertRule(name="A", expr="up == 0", severity="info", summary="s", description="{{ $value }}",
                               runbook_url=url), "runbook_url")
    rejected(lambda: Dashboard("d", "D", "b", [timeseries("Up", "up", unit="short")], links={"x": url}), "links['x']")
    rejected(lambda: Urls(grafana=url), "grafana")


# --- class 8: collector safety lint --------------------------------------------------------------

def findings(c: Collector) -> list[tuple[str, str]]:
    return [(level, check) for level, _, check, _ in safety_findings(c)]


def test_receivers_and_health_check_on_all_interfaces_warn():
    open_otlp = Receiver("otlp/open", {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"},
                                                     "http": {"endpoint": ":4318"}}})
    health = Extension("health_check", {"endpoint": "0.0.0.0:13133"})
    c = Collector("c", "deployment", [Pipeline("traces", [open_otlp], [DEBUG], [LIMITER])], extensions=[health],
                  telemetry=Telemetry(metrics_host="0.0.0.0"))
    assert findings(c).count(("warning", "bind-all-interfaces")) == 4
    assert findings(collector()) == []


def test_insecure_tls_to_a_remote_endpoint_warns_and_with_credentials_is_an_error():
    plain = Exporter("otlp_grpc/saas", {"endpoint": "otlp.vendor.example.com:4317", "tls": {"insecure": True}})
    creds = Exporter("otlp_grpc/saas2", {"endpoint": "otlp.vendor.example.com:4317",
                                         "tls": {"insecure_skip_verify": True},
                                         "headers": {"api-key": "${env:KEY}"}})
    local = Exporter("otlp_grpc/tempo", {"endpoint": "tempo.monitoring.svc:4317", "tls": {"insecure": True}})
    assert findings(collector(plain)) == [("warning", "insecure-tls")]
    assert findings(collector(creds, secrets={"KEY": SecretEnv("k", "k")})) == [("error", "insecure-tls")]
    assert findings(collector(local)) == []


@pytest.mark.parametrize("origin, warns", [("https://*.example.com", False), ("https://app.example.com", False),
                                           ("*.com", True), ("http://*", True), ("https://*.com", True),
                                           ("https://*", True)])
def test_cors_wildcards_other_than_a_subdomain_warn(origin, warns):
    otlp = Receiver("otlp/web", {"protocols": {"http": {"endpoint": "${env:MY_POD_IP}:4318",
                                                        "cors": {"allowed_origins": [origin]}}}})
    assert (("warning", "cors-wildcard") in findings(collector(receivers=(otlp,)))) == warns


def test_exact_cors_star_stays_an_error():
    rejected(lambda: Receiver("otlp/web", {"protocols": {"http": {"cors": {"allowed_origins": ["*"]}}}}), "CORS")


def test_writable_system_host_paths_with_root_warn():
    c = collector(host_paths={"/var/log/pods": "/var/log/pods"}, state_paths={"/state": "/var/lib/kubelet/x",
                                                                              "/ok": "/var/lib/otelcol/c"})
    assert findings(c) == [("warning", "writable-system-hostpath")]
    assert findings(collector(state_paths={"/state": "/etc"})) == []  # non-root: the kernel refuses writes


# --- class 10: multi-line strings round-trip exactly --------------------------------------------

@pytest.mark.parametrize("text", ["a  \nb\n", "a\r\nb\n", "a\u2028b\nc", "a\u2029b", "x\x85y\nz", "tab\t\nx",
                                  "trail \n", "plain ", "line\n", "  lead\nx\n", "a\n\n", "\n"])
def test_multi_line_strings_round_trip_exactly(text):
    assert yaml.safe_load(to_yaml({"k": text, "l": [text]})) == {"k": text, "l": [text]}


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "5"])
def test_dashboard_thresholds_are_finite_numbers(value):
    from obs.grafana import stat
    rejected(lambda: stat("Now", "up", unit="short", thresholds=[(value, "red")]), "thresholds")


@pytest.mark.parametrize("text, ok", [("{{ $labels.job }} is at {{ $value }}", True), ("{{ $x := 1 }}{{ $x }}", True),
                                      ("{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}", True),
                                      ("{{ $x }}", False), ("{{ $labels.job", False), ("{{ $lables.job }}", False)])
def test_alert_templates_promtool_would_reject_are_rejected(text, ok):
    def make() -> AlertRule:
        return AlertRule(name="A", expr="up == 0", severity="info", summary="s", description="d {{ $value }}",
                         annotations={"extra": text})
    if ok:
        make()
    else:
        rejected(make, "annotations['extra']", "template")
