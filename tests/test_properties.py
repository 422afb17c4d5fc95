"""Issue 13: property-based tests over the model. Random names, labels, annotations, numbers and
durations either raise DefinitionError or give output that promtool (check rules and the unit
tests, batched per example), the YAML/JSON parsers and the Kubernetes schemas and name rules accept, and
that round-trips exactly. Deterministic (derandomize) and bounded, for a stable CI.

Issue 22: a rejection must be the intended one: the field it names holds a value that rules written
here (independently of obs's checks) call invalid, and the reason says why; valid input is never
rejected. A minimum share of the examples must reach the real tools, counted per run, so a
generator drifting into mostly hostile values (or a model rejecting too much) fails instead of
testing nothing."""
from __future__ import annotations

import functools
import json
from collections import Counter
import math
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from hypothesis import HealthCheck, Phase, event, given, settings, strategies as st  # the test extra: a hard import

from obs import AlertRule, AlertTest, Bundle, Definitions, Environment, FiringAlert, RuleGroup, RulePack
from obs.collector import Collector, Pipeline, Processor, Receiver, Exporter
from obs.errors import DefinitionError
from obs.model.checks import check_duration
from obs.pipeline import render
from obs.promql import series
from obs.serialize import to_json, to_yaml

def bounded(max_examples: int) -> settings:
    """Deterministic (derandomize, no example database), no per-example deadline, few examples."""
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure stays quick to report
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# Kubernetes' own rules (apimachinery validation), written here independently of obs's checks.
K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # RFC 1123 label, plus len <= 63 below
K8S_SUBDOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Nineteen draws in twenty from `valid`: an example draws a dozen values, and most examples
    must get past the model to the tools (run_counted checks the share)."""
    return st.integers(0, 19).flatmap(lambda pick: hostile if pick == 7 else valid)  # not 0: shrinks go there


# Names: mostly valid shapes, with hostile text mixed in.
label_names = mostly(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), st.text(max_size=6))
hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
label_values = mostly(st.from_regex(r"[a-z0-9][a-z0-9 ._/-]{0,11}", fullmatch=True), st.one_of(
    hostile_text, st.sampled_from(['a"b', "a\\b", "line\nbreak", "tr \n", "x\r\ny", "u\u2028v", "w\x85z", "{{ $x }}",
                                   "${env:X}", "'", ": -"])))
durations = mostly(st.sampled_from(["5m", "1h30m", "0", "90s", "2h", "1m1s"]),
                   st.text(alphabet="0123456789.ywdhms -", min_size=0, max_size=6))
alert_names = mostly(st.from_regex(r"[A-Z][a-zA-Z0-9]{0,15}", fullmatch=True), st.text(max_size=8))
numbers = mostly(st.integers(1, 5000), st.one_of(st.integers(-3, 70000), st.floats(allow_nan=True,
                                                                                   allow_infinity=True),
                                                 st.booleans()))


@functools.lru_cache(maxsize=1)
def crds() -> Any:
    from obs.validate.schemas import CRDSchemas
    return CRDSchemas(Path(__file__).parent / "schemas" / "crds")


def assert_schema_valid(obj: dict[str, Any]) -> None:
    """The object against the real Kubernetes schemas (kubernetes-validate; CRDs' openAPIV3Schema)."""
    from obs.validate.schemas import object_errors
    assert object_errors(obj, crds()) == [], (obj["kind"], obj["metadata"].get("name"))


def yaml_round_trips(content: bytes) -> Any:
    data = yaml.safe_load(content)
    assert to_yaml(data) == content, "re-serialising the parsed file changes it"
    return data


@st.composite
def alerts(draw: st.DrawFn) -> dict[str, Any]:
    job = draw(label_values)
    return {"name": draw(alert_names), "for_": draw(durations), "job": job,
            "labels": draw(st.dictionaries(label_names, label_values, max_size=3)),
            "annotations": draw(st.dictionaries(label_names, label_values, max_size=2)),
            "summary": draw(mostly(st.just("Targets are down"), hostile_text))}


def make_alert(spec: dict[str, Any], index: int) -> AlertRule:
    """An alert whose generated promtool test feeds a series with the hostile job value and
    expects exactly that value back in the alert's labels and description."""
    job = spec["job"]
    up = series("up", cluster="c1", job=job, instance="a:80")
    return AlertRule(
        name=spec["name"], expr="max by (cluster, job) (up) == 0", severity="warning", for_=spec["for_"],
        summary=spec["summary"], description="job {{ $labels.job }} is down", labels=spec["labels"],
        annotations=spec["annotations"],
        tests=[AlertTest(f"down{index}", {up: "0x200"}, at="3h",
                         fires=[FiringAlert({"cluster": "c1", "job": job}, f"job {job} is down")])])


def promtool(promtool_bin: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(promtool_bin), *map(str, args)], capture_output=True, text=True, timeout=60)


# Rules written here, independently of obs's checks, for what each rejection must be explained by.
CLUSTER_OK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}")  # obs's documented cluster name rule
LABEL_NAME_OK = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ALERT_NAME_OK = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
RESERVED_ANNOTATIONS = {"summary", "description", "runbook_url", "dashboard_url"}


def template_trouble(value: str) -> bool:
    """A value Prometheus would expand as a Go template: obs may refuse it (unclosed or unknown)."""
    return "{{" in value or "}}" in value


def label_problem(key: str, value: str) -> bool:
    return (not LABEL_NAME_OK.fullmatch(key) or key.startswith("__") or value == "" or template_trouble(value)
            or key == "severity")


def explained(exc: DefinitionError, specs: list[dict[str, Any]], cluster: str) -> str | None:
    """Why this rejection is the intended one (the named field holds an invalid value), or None."""
    field, problem = exc.field, exc.problem
    if field == "cluster":
        return "cluster" if not CLUSTER_OK.fullmatch(cluster) and "cluster name" in problem else None
    for spec in specs:
        if field == "name" and not ALERT_NAME_OK.fullmatch(spec["name"]) and (
                "alert name" in problem or "non-empty" in problem):
            return "name"
        if field == "for_" and not obs_accepts(spec["for_"]) and "duration" in problem:
            return "for_"
        if field == "summary" and (not spec["summary"].strip() or template_trouble(spec["summary"])):
            return "summary"
        for kind in ("labels", "annotations"):
            for key, value in spec[kind].items():
                if field in (f"{kind}[{key!r}]", kind) and (label_problem(key, value) or (
                        kind == "annotations" and key in RESERVED_ANNOTATIONS)):
                    return kind
        if field.startswith("labels[") and spec["job"] == "" and "empty" in problem:  # the expected alert's job
            return "expected labels"
        if field == "rules" and "duplicate" in problem and [x["name"] for x in specs].count(spec["name"]) > 1:
            return "duplicate name"
    return None


def run_counted(test: Callable[[Counter[str]], None], minimum: float, reached: str) -> Counter[str]:
    """Run a hypothesis test that counts its outcomes; at least `minimum` of the examples must
    reach `reached` (the real tools), else the generator or the model tests nothing."""
    seen: Counter[str] = Counter()
    test(seen)
    total = sum(seen.values())
    assert total and seen[reached] / total >= minimum, \
        f"only {seen[reached]} of {total} examples reached {reached} (minimum {minimum:.0%}): {dict(seen)}"
    assert any(k.startswith("rejected") for k in seen), f"no example was rejected: hostile values untested {dict(seen)}"
    print(f"examples: {dict(sorted(seen.items()))}")
    return seen


@pytest.mark.tools
def test_random_alerts_are_rejected_as_intended_or_pass_promtool_and_round_trip(promtool_bin):
    @bounded(30)
    @given(specs=st.lists(alerts(), min_size=1, max_size=3),
           cluster=mostly(st.sampled_from(["prod-1", "eu/west:1.a", "a", "Z9._:/-"]), hostile_text))
    def examples(seen, specs, cluster):
        alert_example(promtool_bin, seen, specs, cluster)
    run_counted(lambda seen: examples(seen), 0.5, "promtool")


def alert_example(promtool_bin: Path, seen: Counter[str], specs: list[dict[str, Any]], cluster: str) -> None:
    try:
        env = Environment("dev", cluster=cluster)
        rules = [make_alert(spec, i) for i, spec in enumerate(specs)]
        group = RuleGroup("random.rules", rules)
        pack = RulePack("random", [group])
    except DefinitionError as exc:
        why = explained(exc, specs, cluster)
        assert why, f"unintended rejection (field {exc.field!r}: {exc.problem}) of cluster={cluster!r}, specs={specs}"
        event(f"rejected: {why}")
        seen[f"rejected: {why}"] += 1
        return
    assert CLUSTER_OK.fullmatch(cluster), f"cluster {cluster!r} was accepted"
    bundle = Bundle(name="random", environments=[env], define=lambda e: Definitions(rule_packs=[pack]))
    (result,) = render(bundle)
    for path, content in result.files.items():
        data = yaml_round_trips(content) if path.endswith(".yaml") else json.loads(content)
        if path.startswith("kubernetes/"):
            for doc in yaml.safe_load_all(content):
                assert K8S_SUBDOMAIN_RE.match(doc["metadata"]["name"]), doc["metadata"]["name"]
                if doc["kind"] != "Kustomization":
                    assert_schema_valid(doc)
        if path == "prometheus/rules/random.yaml":
            written = data["groups"][0]["rules"]
            for spec, rule in zip(specs, written, strict=True):
                assert rule["labels"] == {"severity": "warning", **spec["labels"]}
                assert {k: rule["annotations"][k] for k in spec["annotations"]} == spec["annotations"]
    with tempfile.TemporaryDirectory(prefix="obs-prop-") as tmp:
        for path, content in result.files.items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_bytes(content)
        checked = promtool(promtool_bin, "check", "rules", Path(tmp) / "prometheus/rules/random.yaml")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        tested = promtool(promtool_bin, "test", "rules", Path(tmp) / "prometheus/tests/random.test.yaml")
        assert tested.returncode == 0, tested.stdout + tested.stderr
    event("rendered, checked and unit-tested by promtool")
    seen["promtool"] += 1


def test_an_environment_rejecting_valid_clusters_is_caught(monkeypatch):
    """The property above fails when Environment rejects a valid cluster (here: all but 'prod-1')."""
    from obs.model import fleet  # obs.Cluster checks its name where a cluster is built
    real = fleet.check_cluster

    def strict(definition: str, field: str, value: Any) -> None:
        real(definition, field, value)
        if value != "prod-1":
            raise DefinitionError(definition, field, f"{value!r} is not a usable cluster name")
    monkeypatch.setattr(fleet, "check_cluster", strict)
    spec = {"name": "Down", "for_": "5m", "job": "api", "labels": {}, "annotations": {}, "summary": "Targets are down"}
    with pytest.raises(AssertionError, match="unintended rejection"):
        alert_example(Path("/nonexistent-promtool"), Counter(), [spec], "eu/west:1.a")


def obs_accepts(value: str) -> bool:
    try:
        check_duration("d", "d", value)
    except DefinitionError:
        return False
    return True


@pytest.mark.tools
@bounded(3)
@given(st.lists(st.text(alphabet="0123456789.ywdhms", min_size=1, max_size=7), min_size=60, max_size=60,
                unique=True))
def test_obs_duration_check_agrees_with_promtool(promtool_bin, candidates):
    candidates = sorted(set(candidates) | {"1h30m", "1.5h", "30m1h", "0", "5m5m", "1ms", "1y1ms", "01m"})
    with tempfile.TemporaryDirectory(prefix="obs-dur-") as tmp:
        files = {}
        for index, value in enumerate(candidates):
            path = Path(tmp) / f"d{index}.yaml"
            path.write_bytes(to_yaml({"groups": [{"name": "g", "rules": [
                {"alert": "A", "expr": "up == 0", "for": value}]}]}))
            files[path.name] = value
        result = promtool(promtool_bin, "check", "rules", *sorted(Path(tmp).iterdir()))
    accepted = set(re.findall(r"Checking \S*/(d[0-9]+\.yaml)\n  SUCCESS", result.stdout))
    disagreements = {v: (name in accepted, obs_accepts(v)) for name, v in files.items()
                     if (name in accepted) != obs_accepts(v)}
    assert disagreements == {}, "(promtool, obs) disagree"


@bounded(150)
@given(st.recursive(st.one_of(hostile_text, st.integers(), st.booleans(), st.none(),
                              st.floats(allow_nan=False, allow_infinity=False)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(hostile_text, inner, max_size=3)), max_leaves=8))
def test_the_yaml_and_json_writers_round_trip_any_data(data):
    assert yaml.safe_load(to_yaml(data)) == data
    assert json.loads(to_json(data)) == data
    # the direct JSON emitter writes json's own indented bytes
    assert to_json(data) == (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


LIMITER = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
OTLP = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})


def number_ok(value: Any, minimum: int, maximum: int | None = None) -> bool:
    """A whole number within bounds (never a bool or a float): what Kubernetes and the collector take."""
    return type(value) is int and value >= minimum and (maximum is None or value <= maximum)


def collector_explained(exc: DefinitionError, name: str, replicas: Any, memory: Any, port: Any, queue: Any,
                        render_time: bool = False) -> str | None:
    """Why this collector was rejected: the field it names holds an invalid value."""
    field = exc.field
    if field == "name" and not (K8S_NAME_RE.match(name) and len(name) <= 63 - len("-collector")):
        return "name"
    if field == "replicas" and not number_ok(replicas, 1):
        return "replicas"
    if field == "memory_limit_mib" and not number_ok(memory, 64):
        return "memory_limit_mib"
    if field.startswith("ports") and (not number_ok(port, 1, 65535) or (render_time and port != 4317)):
        return "ports"  # at render: a Service port no receiver listens on (the receiver is on 4317)
    if field.endswith("sending_queue.queue_size") and not number_ok(queue, 1):
        return "queue_size"
    return None


collector_numbers = mostly(st.integers(64, 4096), st.one_of(st.integers(-3, 70000), st.floats(allow_nan=True,
                                                                                          allow_infinity=True),
                                                        st.booleans()))
service_ports = mostly(st.just(4317), numbers)


def test_random_collectors_are_rejected_as_intended_or_give_valid_kubernetes_objects():
    @bounded(60)
    @given(name=mostly(st.from_regex(r"[a-z][a-z0-9-]{0,40}[a-z0-9]", fullmatch=True), hostile_text),
           workload=st.sampled_from(["deployment", "statefulset", "daemonset"]),
           output=st.sampled_from(["manifests", "operator"]), replicas=numbers, memory=collector_numbers,
           port=service_ports, queue=numbers)
    def examples(seen, name, workload, output, replicas, memory, port, queue):
        collector_example(seen, name, workload, output, replicas, memory, port, queue)
    run_counted(lambda seen: examples(seen), 0.5, "schemas")


def collector_example(seen: Counter[str], name: Any, workload: str, output: str, replicas: Any, memory: Any,
                      port: Any, queue: Any) -> None:
    from obs.collector.kubernetes import manifests
    from obs.render.base import RenderContext
    try:
        exporter = Exporter("otlp_grpc/t", {"endpoint": "tempo.monitoring.svc:4317", "tls": {"insecure": True},
                                            "sending_queue": {"queue_size": queue}})
        collector = Collector(name, workload, [Pipeline("traces", [OTLP], [exporter], [LIMITER])],
                              replicas=replicas, memory_limit_mib=memory, ports={"otlp": port}, output=output)
    except DefinitionError as exc:
        why = collector_explained(exc, name, replicas, memory, port, queue)
        assert why, f"unintended rejection (field {exc.field!r}: {exc.problem}) of {name!r} {replicas!r} " \
                    f"{memory!r} {port!r} {queue!r}"
        event(f"rejected: {why}")
        seen[f"rejected: {why}"] += 1
        return
    assert number_ok(replicas, 1) and number_ok(port, 1, 65535) and number_ok(memory, 64), "invalid input accepted"
    assert not (isinstance(queue, float) and not math.isfinite(queue))
    env = Environment("dev", cluster="dev-1")
    bundle = Bundle(name="p", environments=[env], define=lambda e: Definitions(collectors=[collector]))
    ctx = RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    try:
        docs = manifests(ctx, collector)
    except DefinitionError as exc:  # e.g. a Service port no receiver listens on
        why = collector_explained(exc, name, replicas, memory, port, queue, render_time=True)
        assert why, f"unintended rejection at render (field {exc.field!r}: {exc.problem})"
        event(f"rejected at render: {why}")
        seen[f"rejected at render: {why}"] += 1
        return
    for doc in docs:
        data = yaml_round_trips(to_yaml(doc))
        name_re = K8S_NAME_RE if data["kind"] in ("Service", "DaemonSet", "Deployment", "StatefulSet") \
            else K8S_SUBDOMAIN_RE
        assert_schema_valid(data)
        found = data["metadata"]["name"]
        assert name_re.match(found) and (name_re is K8S_SUBDOMAIN_RE or len(found) <= 63), (data["kind"], found)
    event("rendered and schema-valid")
    seen["schemas"] += 1
