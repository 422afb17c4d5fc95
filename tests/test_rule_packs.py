"""The library rule packs (obs.packs.workloads, web, opentelemetry): lint-clean, every alert proven
by promtool unit tests that fire and stay silent, overrides respected, and the tests able to fail."""
from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from obs import AlertRule, Bundle, Definitions, Environment, FiringAlert, ValidationError
from obs.pipeline import render
from obs.render.layout import tier_dir
from obs.render.prometheus import RULES_DIR, TESTS_DIR
from obs.serialize import to_yaml
from obs.validate import promtool
from obs.validate.lint import lint_pack
from obs.packs import opentelemetry as otel, web, workloads
from rules.environments import ENVIRONMENTS
from obs.packs.testdata import humanize_bytes, humanize_duration, humanize_percentage

PACK_MODULES = (workloads, web, otel)
PACK_NAMES = {"kubernetes-workloads", "web", "opentelemetry"}
# The reference bundle builds the namespaced packs once per owning team and the collector half once.
REFERENCE_PACKS = {f"{name}-{team}" for name in ("kubernetes-workloads", "web", "opentelemetry-services")
                   for team in ("shop", "platform")} | {"opentelemetry-collector"}
SEED_ALERTS = {
    # 003 section 6.2
    "DeploymentReplicasMismatch", "DeploymentRolloutStuck", "DeploymentNoAvailableReplicas",
    "PodFrequentlyRestarting", "PodOOMKilled", "PodPendingTooLong", "PodNotReady",
    "ContainerHighCPU", "ContainerHighMemory", "StatefulSetReplicasMismatch", "StatefulSetUpdateNotRolledOut",
    "JobFailed", "JobRunningTooLong",
    # 001 section 8.1
    "WebHighErrorRate", "WebHighResponseTime",
    # 004 section 4.5
    "HighErrorRate", "HighLatency", "OTelCollectorQueueFull", "LowTraceSampling",
}
# One override per kind of parameter, all different from the defaults and the reference envs.
OVERRIDES = {
    "ContainerHighCPU.threshold": 0.6, "ContainerHighMemory.threshold": 0.75, "ContainerHighMemory.for": "20m",
    "PodFrequentlyRestarting.threshold": 10, "PodNotReady.for": "30m", "PodPendingTooLong.for": "1h",
    "JobRunningTooLong.threshold": 1800, "DeploymentNoAvailableReplicas.for": "12m",
    "StatefulSetUpdateNotRolledOut.progress_window": "20m",
    "WebHighErrorRate.threshold": 0.2, "WebHighErrorRate.min_rate": 2, "WebHighResponseTime.threshold": 2.5,
    "HighLatency.threshold": 0.25, "HighErrorRate.for": "15m",
    "OTelCollectorQueueFull.threshold": 0.5, "LowTraceSampling.threshold": 0.2,
    "OTelCollectorExportFailing.threshold": 0.1,
}


def pack_bundle(*environments: Environment, modules=PACK_MODULES) -> Bundle:
    """A bundle of only these packs (no collectors or dashboards), for the given environments."""
    return Bundle("packs", environments, lambda env: Definitions(rule_packs=[m.pack(env) for m in modules]))


def our_packs(bundle: Bundle, env: Environment):
    return [p for p in bundle.definitions(env).all_rule_packs() if p.name in PACK_NAMES | REFERENCE_PACKS]


def write_rendered(bundle: Bundle, root: Path) -> dict[str, dict[str, bytes]]:
    """Render every environment of `bundle` into root/<env>; the rendered files per environment."""
    out = {}
    for result in render(bundle):
        out[result.env.name] = result.files
        for path, data in result.files.items():
            target = root / result.env.name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return out


def run_promtool(root: Path) -> None:
    """`promtool check rules` and `promtool test rules` over our packs' files under root."""
    names = PACK_NAMES | REFERENCE_PACKS
    rules = [f for f in root.glob(f"**/{RULES_DIR}/*.yaml") if f.stem in names]  # fleets: cluster-base/ too
    tests = [f for f in root.glob(f"**/{TESTS_DIR}/*.yaml") if f.name.split(".")[0] in names]
    assert len(rules) == len(tests) > 0
    assert promtool.check_rules(rules, root) == len(rules)
    assert promtool.test_rules(tests, root) == len(tests)


def test_reference_bundle_wires_every_pack_in_every_environment(reference_bundle):
    for env in reference_bundle.environments:
        assert {p.name for p in our_packs(reference_bundle, env)} == REFERENCE_PACKS


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_packs_lint_without_errors_or_warnings(reference_bundle, env):
    issues = [str(i) for pack in our_packs(reference_bundle, env) for i in lint_pack(env, pack)]
    assert issues == []


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_every_seed_alert_exists_with_firing_and_silent_cases(reference_bundle, env):
    alerts = [a for pack in our_packs(reference_bundle, env) for a in pack.alerts]
    assert SEED_ALERTS <= {a.name for a in alerts}
    for alert in alerts:
        assert any(t.fires for t in alert.tests), f"{alert.name} has no firing case"
        assert any(not t.fires for t in alert.tests), f"{alert.name} has no silent case"
        assert alert.severity in ("critical", "warning", "info")
        assert "{{" not in alert.summary and "{{" in alert.description


def test_rendered_alerts_carry_runbook_cluster_and_dashboard(tmp_path):
    env = ENVIRONMENTS[1]
    dashboard = type("Dashboard", (), {"uid": "k8s-workloads"})()
    for module in PACK_MODULES:
        for alert in module.pack(env, dashboard=dashboard).alerts:
            assert alert.dashboard is dashboard
            assert f"by ({env.cluster_label}" in alert.expr or "by (" not in alert.expr
    files = write_rendered(pack_bundle(env), tmp_path)[env.name]
    text = files[f"{tier_dir(env, 'cluster')}{RULES_DIR}/kubernetes-workloads.yaml"].decode()
    assert text.count("runbook_url: https://runbooks.example.com/obs/") == len(workloads.pack(env).alerts)


def test_promtool_checks_and_unit_tests_pass_for_every_environment(reference_bundle, promtool_bin, tmp_path):
    write_rendered(reference_bundle, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {e.name for e in reference_bundle.environments}
    run_promtool(tmp_path)


def test_threshold_overrides_change_the_rules_and_their_tests_still_pass(promtool_bin, tmp_path):
    base = ENVIRONMENTS[0]
    changed = replace(base, name="overridden", overrides=OVERRIDES)
    bundle = pack_bundle(base, changed)
    write_rendered(bundle, tmp_path)
    assert changed.unused_overrides() == []  # every override key is read by some alert
    rules = {a.name: a for m in PACK_MODULES for a in m.pack(changed).alerts}
    default = {a.name: a for m in PACK_MODULES for a in m.pack(base).alerts}
    for key, value in OVERRIDES.items():
        name, param = key.split(".")
        if param == "for":
            assert rules[name].for_ == value != default[name].for_
        else:
            assert rules[name].expr != default[name].expr, key
            assert re.search(rf"(?<![\w.]){re.escape(str(value))}(?![\w.])", rules[name].expr), key
    run_promtool(tmp_path)


def test_selector_and_cluster_label_overrides_keep_the_tests_valid(promtool_bin, tmp_path):
    env = Environment("custom", cluster="edge-1", cluster_label="k8s_cluster", selectors={
        "kube_state_metrics": 'job="ksm", service="kube-state-metrics"',
        "cadvisor": 'job="cadvisor"', "otel_services": 'job=~"shop/.+"', "otel_collector": 'job="otelcol-gateway"'})
    for module in PACK_MODULES:
        for alert in module.pack(env).alerts:
            assert "cluster" not in alert.expr.replace("k8s_cluster", "")
    write_rendered(pack_bundle(env), tmp_path)
    run_promtool(tmp_path)


def _break(alert: AlertRule, silence: bool) -> AlertRule:
    """The alert with its first firing case expecting a wrong description, or expecting silence."""
    index, test = next((i, t) for i, t in enumerate(alert.tests) if t.fires)
    if silence:
        broken = replace(test, fires=())
    else:
        broken = replace(test, fires=[FiringAlert(test.fires[0].labels, test.fires[0].description + " (wrong)"),
                                      *test.fires[1:]])
    return replace(alert, tests=[*alert.tests[:index], broken, *alert.tests[index + 1:]])


@pytest.mark.parametrize("silence", [False, True], ids=["wrong description", "firing case expects silence"])
@pytest.mark.parametrize("alert_name", ["PodOOMKilled", "WebHighErrorRate", "LowTraceSampling"])
def test_a_broken_expectation_makes_promtool_test_fail(promtool_bin, tmp_path, alert_name, silence):
    env = ENVIRONMENTS[0]

    def define(e: Environment) -> Definitions:
        packs = []
        for module in PACK_MODULES:
            pack = module.pack(e)
            groups = [replace(g, rules=[_break(r, silence) if r.name == alert_name else r for r in g.rules])
                      for g in pack.groups]
            packs.append(replace(pack, groups=groups))
        return Definitions(rule_packs=packs)

    write_rendered(Bundle("broken", [env], define), tmp_path)
    with pytest.raises(ValidationError) as failure:
        run_promtool(tmp_path)
    assert alert_name in str(failure.value)


@pytest.mark.parametrize("value, expected", [
    (0, "0s"), (0.25, "250ms"), (2.425, "2.425s"), (75, "1m 15s"), (4200, "1h 10m 0s"), (90061, "1d 1h 1m 1s"),
])
def test_humanize_duration_matches_prometheus(value, expected):
    assert humanize_duration(value) == expected


def test_humanize_helpers_match_prometheus():
    assert humanize_percentage(0.1111111) == "11.11%"
    assert humanize_percentage(0) == "0%"
    assert humanize_bytes(256 * 1024 * 1024) == "256Mi"
    assert humanize_bytes(1536) == "1.5ki"


# --- the collector alerts against the real binary ---------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send_spans(port: int) -> None:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "checkout", "service.namespace": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True,
                                                                     timeout=2)))
    for index in range(20):
        with provider.get_tracer("obs-test").start_as_current_span(f"op-{index}"):
            pass
    provider.shutdown()


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return ""


def test_collector_alerts_use_metric_names_the_pinned_collector_exports(otelcol_bin, tmp_path):
    """Run the real collector (tail sampling, a queued exporter to a closed port) with the pull
    reader at level normal, feed it spans, and find every otelcol_* metric the alerts query."""
    otlp, metrics, dead = _free_port(), _free_port(), _free_port()
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{otlp}"}}}},
        "processors": {"memory_limiter": {"check_interval": "1s", "limit_mib": 256},
                       "tail_sampling": {"decision_wait": "1s", "policies": [
                           {"name": "half", "type": "probabilistic", "probabilistic": {"sampling_percentage": 50}}]}},
        "exporters": {"otlp_grpc/tempo": {"endpoint": f"127.0.0.1:{dead}", "tls": {"insecure": True},
                                          "timeout": "1s", "retry_on_failure": {"enabled": False},
                                          "sending_queue": {"enabled": True, "queue_size": 100}},
                      "debug": {}},
        "service": {
            "telemetry": {"metrics": {"level": "normal", "readers": [
                {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": metrics}}}}]}},
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "tail_sampling"],
                                     "exporters": ["otlp_grpc/tempo", "debug"]}}},
    }
    (tmp_path / "config.yaml").write_bytes(to_yaml(config))
    used = {m for a in otel.pack(ENVIRONMENTS[0]).alerts for m in re.findall(r"\botelcol_\w+", a.expr)}
    with (tmp_path / "otelcol.log").open("w") as log:
        proc = subprocess.Popen([str(otelcol_bin), f"--config=file:{tmp_path / 'config.yaml'}"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            assert _poll(lambda: _scrape(metrics)), "the collector never served its metrics"
            _send_spans(otlp)
            # The sampling decision and the failed export take a moment to be counted.
            _poll(lambda: used <= _exported(metrics))
            exported = _exported(metrics)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    log_tail = (tmp_path / "otelcol.log").read_text()[-2000:]
    assert used <= exported, f"not exported: {sorted(used - exported)}; log: {log_tail}"


def _exported(port: int) -> set[str]:
    return set(re.findall(r"^(otelcol_\w+)", _scrape(port), re.M))


def _poll(condition, attempts: int = 150) -> bool:
    """Whether `condition` holds within `attempts` checks 0.2 s apart."""
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(0.2)
    return False
