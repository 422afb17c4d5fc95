"""Instrumentation: the declarative SDK config passes opentelemetry-configuration's own schema and
loader, the Python module honours OTEL_* env, snippets parse, the Operator CR and annotations."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
import yaml

from obs import DefinitionError
from obs.collector import Collector
from obs.errors import ValidationError
from obs.instrumentation import Instrumentation, Service
from obs.render import render_environment
from obs.validate.backends import check_python_instrumentation

from obs.render.layout import CLUSTER_BASE

SERVICE_DIR = "instrumentation/default/shop"
import opentelemetry.configuration as configuration  # noqa: E402  (a test dependency: obs[test])


@pytest.fixture(scope="module")
def files(reference_bundle):
    return render_environment(reference_bundle, reference_bundle.environment("prod"))


def _schema() -> dict:
    return json.loads(resources.files("opentelemetry.configuration").joinpath("schema.json").read_text())


def test_declarative_config_passes_schema_and_loader(tmp_path, files, monkeypatch):
    data = yaml.safe_load(files[f"{SERVICE_DIR}/checkout/otel-config.yaml"])
    jsonschema.validate(data, _schema())
    path = tmp_path / "otel-config.yaml"
    path.write_bytes(files[f"{SERVICE_DIR}/checkout/otel-config.yaml"])
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    config = configuration.load_config_file(str(path))
    exporter = config.tracer_provider.processors[0].batch.exporter.otlp_http
    assert exporter.endpoint == "http://127.0.0.1:4318/v1/traces"
    assert config.tracer_provider.sampler.parent_based.root.trace_id_ratio_based.ratio == 0.1
    names = {a.name: a.value for a in config.resource.attributes}
    assert names["service.name"] == "checkout" and names["deployment.environment.name"] == "prod"


@pytest.mark.parametrize("mutate", [
    lambda c: c["tracer_provider"]["processors"][0]["batch"].update(exporter={"otlp_htp": {}}),
    lambda c: c["meter_provider"]["readers"][0]["periodic"].update(interval="15s"),
    lambda c: c.update(file_format="2.0"),
])
def test_schema_and_loader_catch_broken_configs(tmp_path, files, mutate):
    data = yaml.safe_load(files[f"{SERVICE_DIR}/checkout/otel-config.yaml"])
    mutate(data)
    (tmp_path / "prod" / "instrumentation").mkdir(parents=True)
    (tmp_path / "prod" / "instrumentation" / "otel-config.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match="otel-config.yaml"):
        check_python_instrumentation([tmp_path / "prod"])


def test_python_module_takes_resource_from_env_over_defaults(tmp_path, files):
    (tmp_path / "otel_setup.py").write_bytes(files[f"{SERVICE_DIR}/checkout/otel_setup.py"])
    probe = "import json, otel_setup; print(json.dumps(dict(otel_setup.resource().attributes)))"
    env = {"PATH": "/usr/bin:/bin", "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0.0,k8s.pod.name=p-1"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    attrs = json.loads(out)
    assert attrs["service.name"] == "checkout" and attrs["service.namespace"] == "shop"
    assert attrs["service.version"] == "2.0.0" and attrs["k8s.pod.name"] == "p-1"
    assert attrs["deployment.environment.name"] == "prod"
    env["OTEL_SERVICE_NAME"] = "checkout-canary"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out)["service.name"] == "checkout-canary"


SDK_PROBE = """
import json, otel_setup
from opentelemetry import propagate, trace
otel_setup.setup()
print(json.dumps({"sampler": trace.get_tracer_provider().sampler.get_description(),
                  "fields": sorted(propagate.get_global_textmap().fields)}))
"""


@pytest.mark.parametrize("env, sampler, fields", [
    ({}, "ParentBased{root:TraceIdRatioBased{0.1}", ["baggage", "traceparent", "tracestate"]),
    ({"OTEL_TRACES_SAMPLER": "always_off", "OTEL_PROPAGATORS": "baggage"}, "AlwaysOffSampler", ["baggage"]),
])
def test_python_module_bakes_sampler_and_propagators_env_wins(tmp_path, files, env, sampler, fields):
    (tmp_path / "otel_setup.py").write_bytes(files[f"{SERVICE_DIR}/checkout/otel_setup.py"])
    out = subprocess.run([sys.executable, "-c", SDK_PROBE], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", **env},
                         capture_output=True, text=True, timeout=60, check=True).stdout
    probed = json.loads(out)
    assert probed["sampler"].startswith(sampler)
    assert probed["fields"] == fields


def test_env_vars_per_language(files):
    def env(name: str) -> dict[str, str]:
        return {e["name"]: e["value"] for e in yaml.safe_load(files[f"{SERVICE_DIR}/{name}/env.yaml"])}
    python, java, node, go = env("checkout"), env("payments"), env("storefront"), env("inventory")
    assert (python["OTEL_EXPORTER_OTLP_ENDPOINT"], python["OTEL_EXPORTER_OTLP_PROTOCOL"]) == \
        ("http://otel-collector-agent.monitoring.svc:4318", "http/protobuf")
    assert (java["OTEL_EXPORTER_OTLP_ENDPOINT"], java["OTEL_EXPORTER_OTLP_PROTOCOL"]) == \
        ("http://otel-collector-agent.monitoring.svc:4317", "grpc")
    assert java["JAVA_TOOL_OPTIONS"].startswith("-javaagent:")
    assert node["NODE_OPTIONS"] == "--require ./otel.js"
    assert go["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    for each in (python, java, node, go):
        assert each["OTEL_TRACES_SAMPLER_ARG"] == "0.1"
        assert each["OTEL_SEMCONV_STABILITY_OPT_IN"] == "http"
        assert {each[f"OTEL_{s}_EXPORTER"] for s in ("TRACES", "METRICS", "LOGS")} == {"otlp"}


def test_snippets_parse(tmp_path, files):
    from obs.tools import find_tool
    from tests.support import require_tool
    node = require_tool(lambda: find_tool("node", "OBS_NODE", "install Node.js (apt-get install nodejs)"))
    gofmt = require_tool(lambda: find_tool("gofmt", "OBS_GOFMT", "install Go (gofmt ships with it)"))
    (tmp_path / "otel.js").write_bytes(files[f"{SERVICE_DIR}/storefront/otel.js"])
    (tmp_path / "otel.go").write_bytes(files[f"{SERVICE_DIR}/inventory/otel.go"])
    subprocess.run([node, "--check", tmp_path / "otel.js"], check=True, timeout=60)
    result = subprocess.run([gofmt, "-l", "-e", tmp_path / "otel.go"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    java = files[f"{SERVICE_DIR}/payments/java-agent.sh"].decode()
    assert "@JAVA_AGENT_VERSION@" not in java and "/download/v2." in java


def test_operator_instrumentation_and_annotations(files):
    cr = yaml.safe_load(files[f"{CLUSTER_BASE}/kubernetes/instrumentation-default.yaml"])  # prod is a fleet
    assert cr["apiVersion"] == "opentelemetry.io/v1alpha1" and cr["kind"] == "Instrumentation"
    spec = cr["spec"]
    assert spec["exporter"]["endpoint"] == "http://otel-collector-agent.monitoring.svc:4317"
    assert spec["propagators"] == ["tracecontext", "baggage"]
    assert spec["sampler"] == {"type": "parentbased_traceidratio", "argument": "0.1"}
    python = {e["name"]: e["value"] for e in spec["python"]["env"]}
    assert python["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")
    assert python["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert set(spec) >= {"python", "java", "nodejs", "go"}
    patch = yaml.safe_load(files[f"{SERVICE_DIR}/payments/workload-patch.yaml"])
    assert patch["spec"]["template"]["metadata"]["annotations"] == {
        "instrumentation.opentelemetry.io/inject-java": "monitoring/default"}
    go = yaml.safe_load(files[f"{SERVICE_DIR}/inventory/workload-patch.yaml"])
    assert "instrumentation.opentelemetry.io/otel-go-auto-target-exe" in go["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.parametrize("build, field", [
    (lambda: Service("api", "rust"), "language"),
    (lambda: Service("Api", "python"), "name"),
    (lambda: Instrumentation("i", "http://c:4317", [Service("a", "go")]), "collector"),
    (lambda: Instrumentation("i", "http://c", []), "services"),
    (lambda: Instrumentation("i", "http://c", [Service("a", "go")], sampler_ratio=1.5), "sampler_ratio"),
    (lambda: Instrumentation("i", "http://c", [Service("a", "go")], sampler="ratio"), "sampler"),
    (lambda: Instrumentation("i", "http://c", [Service("a", "go")], propagators=("w3c",)), "propagators"),
    (lambda: Instrumentation("i", "http://c", [Service("a", "go"), Service("a", "java")]), "services"),
])
def test_definitions_reject_bad_fields(build, field):
    with pytest.raises(DefinitionError) as err:
        build()
    assert err.value.field == field


def test_collector_url_must_name_a_rendered_collector_service(reference_bundle):
    """An SDK exporting to a Service obs does not render loses all its telemetry (the reference once
    pointed at `otel-collector`, while the collectors are otel-collector-agent and -gateway)."""
    from obs.collector.names import service_name
    from obs.instrumentation.render import check_collector_service
    env = reference_bundle.environment("prod")
    collectors = reference_bundle.definitions(env).collectors
    apps = [Service("a", "go")]
    with pytest.raises(DefinitionError, match="names no collector Service") as err:
        check_collector_service(Instrumentation("i", "http://otel-collector.monitoring.svc", apps),
                                collectors, "monitoring")
    assert err.value.field == "collector" and "otel-collector-agent.monitoring.svc" in err.value.fix
    for url in ("http://otel-collector-agent.monitoring.svc", "http://otel-collector-gateway.monitoring.svc.cluster.local",
                "https://otlp.example.com", "http://otel-collector.other.svc"):  # outside obs's namespace: not checked
        check_collector_service(Instrumentation("i", url, apps), collectors, "monitoring")
    operated = [Collector(**{**{f: getattr(c, f) for f in c.__dataclass_fields__}, "output": "operator"})
                for c in collectors]
    assert {service_name(c) for c in operated} == {"otel-collector-agent-collector", "otel-collector-gateway-collector"}
    with pytest.raises(DefinitionError, match="otel-collector-agent-collector"):
        check_collector_service(Instrumentation("i", "http://otel-collector-agent.monitoring.svc", apps),
                                operated, "monitoring")
