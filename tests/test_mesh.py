"""Istio mesh telemetry: definition-time lint (sampling, providers, header names, one namespace-wide
Telemetry per namespace), providers that must reach a receiver of their protocol on the generated
collector, the rendered extensionProviders values and Telemetry resources (checked against Istio's
vendored CRD schema), and the trace-protocol ports opened only where a pipeline receives them."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from obs import Bundle, Definitions, Environment
from obs.collector.names import service_host
from obs.errors import DefinitionError
from obs.mesh import EnvTag, HeaderTag, LiteralTag, MeshTelemetry, Provider, Telemetry
from obs.render import render_environment
from obs.topologies import AGENT, GATEWAY, agent_and_gateway
from obs.validate.schemas import CRDSchemas, object_errors

CRD_DIR = Path(__file__).parent / "schemas" / "crds"
ENV = Environment("staging", cluster="stg-1")
AGENT_HOST = f"{AGENT}.monitoring.svc.cluster.local"
OTEL = Provider("otel", "opentelemetry", AGENT_HOST, 4317)
ZIPKIN = Provider("zipkin", "zipkin", AGENT_HOST, 9411)
ALS = Provider("als", "envoy_otel_als", AGENT_HOST, 4317)


def mesh(*telemetries: Telemetry, providers=(OTEL, ZIPKIN, ALS)) -> MeshTelemetry:
    return MeshTelemetry(providers=list(providers), telemetries=list(telemetries))


@pytest.mark.parametrize("sampling", [-1, 100.5, 1000, math.nan, math.inf, True, "10"])
def test_sampling_is_a_percentage(sampling):
    with pytest.raises(DefinitionError, match="percentage") as caught:
        Telemetry("t", tracing_providers=["otel"], sampling=sampling)
    assert caught.value.field == "sampling"


@pytest.mark.parametrize("sampling", [0, 0.5, 10, 100])
def test_sampling_bounds_are_allowed(sampling):
    assert Telemetry("t", sampling=sampling).sampling == sampling


@pytest.mark.parametrize("header", ["user agent", "x-user:id", "", "x-ünïcode", "x\ny"])
def test_header_tags_name_http_header_tokens(header):
    with pytest.raises(DefinitionError, match="RFC 7230") as caught:
        Telemetry("t", custom_tags={"ua": HeaderTag(header)})
    assert caught.value.field == "custom_tags['ua'].name"


@pytest.mark.parametrize("tags,field", [
    ({"ua": LiteralTag("")}, "custom_tags['ua']"),
    ({"region": EnvTag("REGION-1")}, "custom_tags['region'].name"),
    ({"bad key": LiteralTag("x")}, "custom_tags"),
    ({"ua": "curl"}, "custom_tags['ua']"),
])
def test_bad_custom_tags_are_refused(tags, field):
    with pytest.raises(DefinitionError) as caught:
        Telemetry("t", custom_tags=tags)
    assert caught.value.field == field


def test_every_provider_a_telemetry_names_must_exist():
    with pytest.raises(DefinitionError, match="'jaeger' is not in extensionProviders") as caught:
        mesh(Telemetry("t", tracing_providers=["jaeger"]))
    assert "otel" in caught.value.fix
    with pytest.raises(DefinitionError, match="'missing' is not in extensionProviders"):
        mesh(Telemetry("t", access_log_providers=["envoy", "missing"]))
    # Istio's built-in access log needs no entry.
    assert mesh(Telemetry("t", access_log_providers=["envoy"], access_log_filter="response.code >= 500"))


def test_providers_serve_their_signal():
    with pytest.raises(DefinitionError, match="envoy_otel_als provider"):
        mesh(Telemetry("t", tracing_providers=["als"]))
    with pytest.raises(DefinitionError, match="opentelemetry provider"):
        mesh(Telemetry("t", access_log_providers=["otel"]))


def test_one_namespace_wide_telemetry_per_namespace():
    with pytest.raises(DefinitionError, match="namespace-wide Telemetry"):
        mesh(Telemetry("a", namespace="shop", sampling=1), Telemetry("b", namespace="shop", sampling=2))
    both = mesh(Telemetry("a", namespace="shop", sampling=1),
                Telemetry("b", namespace="shop", sampling=2, selector={"app": "checkout"}))
    assert both.mesh_wide is None


@pytest.mark.parametrize("make,field", [
    (lambda: Provider("Otel Tracing", "opentelemetry", AGENT_HOST, 4317), "name"),
    (lambda: Provider("envoy", "envoy_otel_als", AGENT_HOST, 4317), "name"),
    (lambda: Provider("x", "datadog", AGENT_HOST, 4317), "kind"),
    (lambda: Provider("x", "zipkin", "http://agent:9411", 9411), "service"),
    (lambda: Provider("x", "zipkin", AGENT_HOST, 0), "port"),
    (lambda: Telemetry("t", sampling=None), "tracing_providers"),
    (lambda: Telemetry("T", sampling=1), "name"),
    (lambda: Telemetry("t", sampling=1, selector={"app": "*"}), "selector['app']"),
    (lambda: Telemetry("t", access_log_filter=" "), "access_log_filter"),
    (lambda: Telemetry("t", tracing_providers=["otel", "otel"]), "tracing_providers"),
])
def test_bad_fields_are_named(make, field):
    with pytest.raises(DefinitionError) as caught:
        make()
    assert caught.value.field == field


def bundle_with(telemetry: MeshTelemetry, protocols=("zipkin",)) -> tuple[Environment, dict[str, bytes]]:
    def define(env: Environment) -> Definitions:
        return Definitions(collectors=agent_and_gateway(env, trace_protocols=protocols), mesh=telemetry)
    return ENV, render_environment(Bundle("t", [ENV], define), ENV)


def test_a_provider_must_reach_a_receiver_of_its_protocol_on_the_collector():
    # The agent receives no zipkin: the mesh's Zipkin tracer would be refused at the agent's door.
    with pytest.raises(DefinitionError, match="no zipkin receiver in a traces pipeline serving port 9411") as caught:
        bundle_with(mesh(Telemetry("t", tracing_providers=["zipkin"])), protocols=())
    assert "trace_protocols" in caught.value.fix
    with pytest.raises(DefinitionError, match="no otlp receiver"):
        bundle_with(mesh(Telemetry("t", tracing_providers=["x"]),
                         providers=[Provider("x", "opentelemetry", AGENT_HOST, 4318)]))
    # A provider aimed elsewhere (not one of the bundle's collectors) is not second-guessed.
    _, files = bundle_with(mesh(Telemetry("t", tracing_providers=["x"]),
                                providers=[Provider("x", "zipkin", "tempo.monitoring.svc.cluster.local", 9411)]))
    assert "istio/istiod-values.yaml" in files


def test_rendered_values_and_resources(tmp_path):
    telemetry = mesh(
        Telemetry("mesh-default", tracing_providers=["otel"], sampling=10, custom_tags={
            "environment": LiteralTag("production"), "user_agent": HeaderTag("user-agent", "unknown"),
            "region": EnvTag("REGION")}, access_log_providers=["envoy", "als"],
            access_log_filter="response.code >= 500"),
        Telemetry("checkout", namespace="shop", selector={"app": "checkout"}, tracing_providers=["zipkin"],
                  sampling=100))
    _, files = bundle_with(telemetry)
    values = yaml.safe_load(files["istio/istiod-values.yaml"])
    assert values == {"meshConfig": {"extensionProviders": [
        {"name": "otel", "opentelemetry": {"service": AGENT_HOST, "port": 4317, "maxTagLength": 256}},
        {"name": "zipkin", "zipkin": {"service": AGENT_HOST, "port": 9411, "maxTagLength": 256}},
        {"name": "als", "envoyOtelAls": {"service": AGENT_HOST, "port": 4317}}]}}
    wide = yaml.safe_load(files["istio/telemetry-istio-system-mesh-default.yaml"])
    assert wide["metadata"]["namespace"] == "istio-system"
    assert wide["spec"] == {
        "tracing": [{"providers": [{"name": "otel"}], "randomSamplingPercentage": 10.0, "customTags": {
            "environment": {"literal": {"value": "production"}}, "region": {"environment": {"name": "REGION"}},
            "user_agent": {"header": {"name": "user-agent", "defaultValue": "unknown"}}}}],
        "accessLogging": [{"providers": [{"name": "envoy"}, {"name": "als"}],
                           "filter": {"expression": "response.code >= 500"}}]}
    scoped = yaml.safe_load(files["istio/telemetry-shop-checkout.yaml"])
    assert scoped["metadata"]["namespace"] == "shop"
    assert scoped["spec"]["selector"] == {"matchLabels": {"app": "checkout"}}
    # Its own kustomization: the environment's would move the resources into its namespace.
    assert yaml.safe_load(files["istio/kustomization.yaml"])["resources"] == [
        "telemetry-istio-system-mesh-default.yaml", "telemetry-shop-checkout.yaml"]
    assert not [r for r in yaml.safe_load(files["kustomization.yaml"])["resources"] if r.startswith("istio/")]
    crds = CRDSchemas(CRD_DIR)
    for resource in (wide, scoped):
        assert object_errors(resource, crds) == []


def test_trace_protocol_ports_only_where_a_pipeline_receives_them():
    def ports(protocols):
        agent, gateway = agent_and_gateway(ENV, trace_protocols=protocols)
        return dict(agent.ports), dict(gateway.ports)
    plain_agent, plain_gateway = ports(())
    assert set(plain_agent.values()) == {4317, 4318}
    agent, gateway = ports(("zipkin", "jaeger"))
    assert agent == {**plain_agent, "zipkin": 9411, "jaeger-grpc": 14250, "jaeger-thrift": 14268}
    assert gateway == plain_gateway
    assert ports(("jaeger",))[0] == {**plain_agent, "jaeger-grpc": 14250, "jaeger-thrift": 14268}
    with pytest.raises(DefinitionError, match="'thrift_compact' is not a trace protocol"):
        agent_and_gateway(ENV, trace_protocols=("thrift_compact",))


def test_the_reference_daemonset_and_service_open_the_trace_ports(reference_bundle):
    env = reference_bundle.environments[0]
    files = render_environment(reference_bundle, env)
    objects = {o["kind"]: o for o in yaml.safe_load_all(files[f"kubernetes/collector-{AGENT}.yaml"])}
    service_ports = {p["name"]: p["port"] for p in objects["Service"]["spec"]["ports"]}
    container = objects["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]
    host_ports = {p["name"]: p.get("hostPort") for p in container["ports"]}
    for name, port in {"zipkin": 9411, "jaeger-grpc": 14250, "jaeger-thrift": 14268}.items():
        assert service_ports[name] == port and host_ports[name] == port
    gateway = {o["kind"]: o for o in yaml.safe_load_all(files[f"kubernetes/collector-{GATEWAY}.yaml"])}
    assert not {9411, 14250, 14268} & {p["port"] for p in gateway["Service"]["spec"]["ports"]}
    values = yaml.safe_load(files["istio/istiod-values.yaml"])
    agent = next(c for c in reference_bundle.definitions(env).collectors if c.name == AGENT)
    assert {p["name"]: next(iter(v["service"] for k, v in p.items() if k != "name"))
            for p in values["meshConfig"]["extensionProviders"]} == {
        "otel-tracing": service_host(agent, env.namespace), "zipkin": service_host(agent, env.namespace),
        "otel-access-log": service_host(agent, env.namespace)}
