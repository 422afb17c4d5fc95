"""Loki: configs satisfy the strict model in both modes, the model rejects broken combinations,
and LogQL rules are checked structurally and written as ruler files per tenant."""
from __future__ import annotations

import copy

import pytest
import yaml

from obs import DefinitionError, RecordingRule, RuleGroup
from obs.backends import LocalStorage, Loki, LokiLimits, LokiRulePack, S3Storage
from obs.backends import loki as model
from obs.backends import schema as s
from obs.backends.logql import logql_problems
from obs.errors import ValidationError
from obs.render import render_environment
from obs.render.base import RenderContext
from obs.validate.backends import check_backend_files, lint_loki_rules
from tests.sample_bundle import LOKI_EXPR as GOOD_EXPR, loki_pack as _pack



@pytest.fixture(scope="module")
def files(reference_bundle):
    return {env.name: render_environment(reference_bundle, env) for env in reference_bundle.environments}


def _config(name: str, reference_bundle) -> dict:
    env = reference_bundle.environment(name)
    return model.render_config(env, reference_bundle.definitions(env).loki)


def test_staging_is_single_binary_on_filesystem(files):
    config = yaml.safe_load(files["staging"]["loki/loki.yaml"])
    assert config["auth_enabled"] is False
    assert "filesystem" in config["common"]["storage"]
    assert config["schema_config"]["configs"][0] | {"from": None} == {
        "from": None, "store": "tsdb", "object_store": "filesystem", "schema": "v13",
        "index": {"prefix": "index_", "period": "24h"}}
    assert config["limits_config"]["allow_structured_metadata"] is True
    assert config["ruler"]["alertmanager_url"] == "http://alertmanager-operated.monitoring.svc:9093"
    assert "loki/rules/fake/service-logs.yaml" in files["staging"]


def test_prod_is_simple_scalable_on_s3_multitenant(files):
    config = yaml.safe_load(files["prod"]["loki/loki.yaml"])
    assert config["auth_enabled"] is True
    assert config["common"]["ring"]["kvstore"]["store"] == "memberlist"
    assert config["memberlist"]["join_members"]
    assert config["common"]["storage"]["s3"]["secret_access_key"] == "${S3_SECRET_ACCESS_KEY}"
    assert config["compactor"]["delete_request_store"] == "s3"
    configmap = yaml.safe_load(files["prod"]["kubernetes/loki-config.yaml"])
    assert configmap["metadata"]["annotations"]["obs.dev/targets"] == "read,write,backend"
    rules = yaml.safe_load(files["prod"]["loki/rules/cluster-primary/service-logs.yaml"])
    assert [r.get("alert") or r.get("record") for r in rules["groups"][0]["rules"]] == [
        "service_name:log_lines:rate5m", "HighErrorLogRate"]
    mounted = yaml.safe_load(files["prod"]["kubernetes/loki-rules-cluster-primary.yaml"])
    assert mounted["metadata"]["annotations"]["obs.dev/mount-path"] == "/var/loki/rules/cluster-primary"


@pytest.mark.parametrize("mutate, words", [
    (lambda c: c["schema_config"]["configs"][0].update(schema="v12"), "tsdb v13"),
    (lambda c: c["compactor"].pop("delete_request_store"), "delete_request_store"),
    (lambda c: c["common"]["ring"]["kvstore"].update(store="memberlist"), "memberlist block"),
    (lambda c: c["ruler"].pop("enable_alertmanager_v2"), "only serves the v2 API"),
    (lambda c: c["ruler"].update(enable_alertmanger_v2=True), "enable_alertmanager_v2"),
    (lambda c: c["limits_config"].update(retention_period="31 days"), "duration"),
    (lambda c: c["limits_config"].update(alow_structured_metadata=True), "allow_structured_metadata"),
    (lambda c: c["common"]["storage"].update(s3={"bucketnames": "b", "endpoint": "e"}), "exactly one"),
    (lambda c: c["schema_config"]["configs"].append(dict(c["schema_config"]["configs"][0])), "distinct"),
    (lambda c: c["ruler"].update(alertmanager_url="alertmanager:9093"), "http(s) URL"),
])
def test_model_rejects_broken_configs(reference_bundle, mutate, words):
    config = copy.deepcopy(_config("staging", reference_bundle))
    mutate(config)
    with pytest.raises(DefinitionError) as err:
        s.check(model.CONFIG_MODEL, config, "loki")
    assert words in str(err.value)


@pytest.mark.parametrize("expr, words", [
    (GOOD_EXPR, None),
    ('count_over_time({app="api"} |~ "5\\\\d\\\\d [x]" [1m])', None),
    ('sum(rate({app="api"}))', "has no [range]"),
    ('sum(rate(app="api"[5m]))', "no stream selector"),
    ('sum(rate({app="api"}[5m])', "unclosed '('"),
    ('sum(rate({app="api}[5m]))', 'unclosed " quote'),
    ('sum(rate({app="api"}[5m])))', "unbalanced ')'"),
])
def test_logql_structure(expr, words):
    problems = logql_problems(expr)
    assert (not problems) if words is None else any(words in p for p in problems), problems


def test_rule_pack_rejects_broken_logql_naming_the_rule():
    with pytest.raises(DefinitionError) as err:
        _pack('sum(rate({app="api"}))')
    assert err.value.definition == "alert 'ApiErrors'" and err.value.field == "expr"


@pytest.mark.parametrize("build, field", [
    (lambda: Loki(LocalStorage("/l"), mode="microservices"), "mode"),
    (lambda: Loki(LocalStorage("/l"), mode="simple-scalable"), "storage"),
    (lambda: Loki(LocalStorage("/l"), rule_packs=[_pack(tenant="team-a")]), "tenant"),
    (lambda: Loki(S3Storage("b", "e"), multitenancy=True, rule_packs=[_pack()]), "tenant"),
    (lambda: Loki(LocalStorage("/l"), schema_from="2024/04/01"), "schema_from"),
    (lambda: LokiLimits(ingestion_rate_mb=10, ingestion_burst_size_mb=5), "ingestion_burst_size_mb"),
    (lambda: LokiRulePack("p", [RuleGroup("g", [RecordingRule("x:y", "1")])]), "expr"),
])
def test_definitions_reject_bad_fields(build, field):
    with pytest.raises(DefinitionError) as err:
        build()
    assert err.value.field == field


def test_lint_requires_cluster_label_in_logql_aggregations(reference_bundle):
    env = reference_bundle.environment("staging")
    defs = reference_bundle.definitions(env)
    assert list(lint_loki_rules(RenderContext(reference_bundle, env, defs))) == []
    bad = Loki(LocalStorage("/l"), rule_packs=[_pack('sum by (app) (rate({app="api"}[5m])) > 1')])
    issues = list(lint_loki_rules(RenderContext(reference_bundle, env, type(defs)(loki=bad))))
    assert [(i.level, i.check) for i in issues] == [("error", "cluster-label")]


def test_written_rule_files_are_rechecked(tmp_path, files):
    folder = tmp_path / "staging"
    for rel in ("loki/loki.yaml", "loki/rules/fake/service-logs.yaml"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(files["staging"][rel])
    assert "2 files OK" in check_backend_files([folder])
    broken = files["staging"]["loki/rules/fake/service-logs.yaml"].replace(b"[5m]", b"")
    (folder / "loki/rules/fake/service-logs.yaml").write_bytes(broken)
    with pytest.raises(ValidationError, match="no \\[range\\]"):
        check_backend_files([folder])
