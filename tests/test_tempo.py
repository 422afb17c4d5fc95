"""Tempo: the rendered configs satisfy the strict model, and the model rejects what Tempo would
reject or silently ignore (unknown keys, the seed's legacy overrides layout, literal secrets)."""
from __future__ import annotations

import copy
import textwrap

import pytest
import yaml

from obs import DefinitionError
from obs.backends import Kafka, LocalStorage, S3Storage, Tempo, TempoLimits
from obs.backends import schema as s
from obs.backends import tempo as model
from obs.errors import ValidationError
from obs.render import render_environment
from obs.validate.backends import check_backend_files

# Seed 004 section 5.5, verbatim: the pre-2.3 flat per-tenant layout.
SEED_OVERRIDES = textwrap.dedent("""
    overrides:
      "cluster-primary":
        ingestion_rate_strategy: local
        ingestion_rate_limit: 15000000
        ingestion_burst_size: 20000000
        max_traces_per_user: 100000
""")
# Seed 004 section 4.4 (top level): 2.x ingester and compactor blocks.
SEED_TOP = textwrap.dedent("""
    ingester:
      max_block_duration: 5m
    compactor:
      compaction:
        block_retention: 168h
""")
# Seed 004 section 4.4: `ingestion` nested under `global` (never valid).
SEED_DEFAULTS = textwrap.dedent("""
    defaults:
      global:
        ingestion:
          rate_strategy: local
          rate_limit_bytes: 15000000
""")


@pytest.fixture(scope="module")
def prod_files(reference_bundle):
    return render_environment(reference_bundle, reference_bundle.environment("prod"))


def _config(env_name: str, reference_bundle) -> dict:
    env = reference_bundle.environment(env_name)
    return model.render_config(env, reference_bundle.definitions(env).tempo)


def test_reference_prod_is_multitenant_microservices_on_s3_with_env_secrets(prod_files):
    config = yaml.safe_load(prod_files["tempo/tempo.yaml"])
    assert config["multitenancy_enabled"] is True
    assert config["ingest"]["kafka"] == {"address": "kafka.monitoring.svc:9092", "topic": "tempo-ingest"}
    assert config["overrides"]["defaults"]["compaction"] == {"block_retention": "168h"}
    assert not {"ingester", "compactor"} & set(config)
    s3 = config["storage"]["trace"]["s3"]
    assert (s3["access_key"], s3["secret_key"]) == ("${S3_ACCESS_KEY_ID}", "${S3_SECRET_ACCESS_KEY}")
    assert config["metrics_generator"]["storage"]["remote_write"][0]["url"].endswith("/api/v1/write")
    assert config["overrides"]["per_tenant_override_config"] == model.OVERRIDES_PATH
    overrides = yaml.safe_load(prod_files["tempo/overrides.yaml"])["overrides"]
    assert overrides["cluster-dr"]["ingestion"]["max_traces_per_user"] == 50_000
    assert overrides["cluster-dr"]["compaction"] == {"block_retention": "72h"}
    assert overrides["cluster-primary"]["compaction"] == {"block_retention": "168h"}  # no inheritance
    configmap = yaml.safe_load(prod_files["kubernetes/tempo-config.yaml"])
    assert set(configmap["data"]) == {"tempo.yaml", "overrides.yaml"}
    assert "-config.expand-env=true" in configmap["metadata"]["annotations"]["obs.dev/args"]
    assert configmap["metadata"]["annotations"]["obs.dev/targets"].startswith("distributor,live-store,")


def test_reference_staging_is_single_tenant_on_local_disk(reference_bundle):
    config = _config("staging", reference_bundle)
    assert config["multitenancy_enabled"] is False
    assert config["storage"]["trace"] == {"backend": "local", "wal": {"path": "/var/tempo/wal"},
                                          "local": {"path": "/var/tempo/blocks"}}
    assert "ingest" not in config and "memberlist" not in config
    assert "per_tenant_override_config" not in config["overrides"]


def test_seed_legacy_overrides_layout_is_rejected():
    with pytest.raises(DefinitionError) as err:
        s.check(model.OVERRIDES_MODEL, yaml.safe_load(SEED_OVERRIDES), "seed overrides")
    assert err.value.field == "overrides.cluster-primary.ingestion_rate_strategy"
    assert "ingestion.rate_strategy" in err.value.fix
    found = {f for f, _, _ in s.problems(model.OVERRIDES_MODEL, yaml.safe_load(SEED_OVERRIDES))}
    assert "overrides.cluster-primary.max_traces_per_user" in found


def test_seed_2x_ingester_and_compactor_blocks_are_rejected():
    found = {f: fix for f, _, fix in s.problems(model.CONFIG_MODEL, yaml.safe_load(SEED_TOP))}
    assert "removed in Tempo 3.0" in found["ingester"]
    assert "overrides.defaults.compaction.block_retention" in found["compactor"]


def test_seed_ingestion_under_global_is_rejected():
    found = s.problems(model.CONFIG_MODEL.keys["overrides"], yaml.safe_load(SEED_DEFAULTS), "overrides")
    assert [(f, p) for f, p, _ in found] == [("overrides.defaults.global.ingestion", "unknown key")]


@pytest.mark.parametrize("mutate, field, words", [
    (lambda c: c["overrides"]["defaults"]["compaction"].update(block_retenion="24h"),
     "overrides.defaults.compaction.block_retenion", "block_retention"),
    (lambda c: c.update(multitenancy_enabled="yes"), "multitenancy_enabled", "expected a bool"),
    (lambda c: c["storage"]["trace"].update(backend="s3"), "storage.trace", "needs an s3 block"),
    (lambda c: c["storage"]["trace"].update(backend="filesystem"), "storage.trace.backend", "one of"),
    (lambda c: c["overrides"]["defaults"]["compaction"].update(block_retention="7 days"),
     "overrides.defaults.compaction.block_retention", "duration"),
    (lambda c: c.update(ingest={"kafka": {"address": "kafka:9092", "topic": "t"}}), "(root)", "memberlist"),
    (lambda c: c["overrides"]["defaults"]["metrics_generator"].update(processors=["local-blocks"]),
     "overrides.defaults.metrics_generator.processors[0]", "one of"),
    (lambda c: c["overrides"].update(enable_legacy_overrides=True), "overrides.enable_legacy_overrides",
     "migrate"),
    (lambda c: c["overrides"].update(per_tenant_override_config="/conf/overrides.yaml"),
     "(root)", "multitenancy_enabled"),
    (lambda c: c.pop("metrics_generator"), "(root)", "no metrics_generator block"),
    (lambda c: c["overrides"]["defaults"]["ingestion"].update(burst_size_bytes=1),
     "overrides.defaults.ingestion", "burst_size_bytes is below"),
    (lambda c: c["overrides"].update(ingestion_rate_limit_bytes=1), "overrides.ingestion_rate_limit_bytes",
     "ingestion.rate_limit_bytes"),
])
def test_model_rejects_broken_configs(reference_bundle, mutate, field, words):
    config = copy.deepcopy(_config("staging", reference_bundle))
    mutate(config)
    with pytest.raises(DefinitionError) as err:
        s.check(model.CONFIG_MODEL, config, "tempo")
    assert err.value.field == field
    assert words in str(err.value)


def test_model_rejects_literal_s3_credentials(reference_bundle):
    config = copy.deepcopy(_config("prod", reference_bundle))
    config["storage"]["trace"]["s3"]["secret_key"] = "AKIA-not-a-reference"
    with pytest.raises(DefinitionError, match="environment reference"):
        s.check(model.CONFIG_MODEL, config, "tempo")


@pytest.mark.parametrize("build, field", [
    (lambda: Tempo(LocalStorage("/x"), tenants={"a": TempoLimits()}), "tenants"),
    (lambda: Tempo(LocalStorage("/x"), retention="1 week"), "retention"),
    (lambda: Tempo(LocalStorage("/x"), mode="scalable-single-binary"), "mode"),
    (lambda: Tempo(S3Storage("b", "e"), mode="microservices"), "kafka"),
    (lambda: Tempo(LocalStorage("/x"), mode="microservices", kafka=Kafka("k:9092")), "storage"),
    (lambda: Tempo(LocalStorage("/x"), kafka=Kafka("k:9092")), "kafka"),
    (lambda: Kafka("k:9092", sasl_username_env="KAFKA_USER"), "sasl_password_env"),
    (lambda: Tempo("s3://bucket"), "storage"),
    (lambda: Tempo(LocalStorage("/x"), multitenancy=True, tenants={"a/b": TempoLimits()}), "tenants['a/b']"),
    (lambda: TempoLimits(rate_limit_bytes=10, burst_size_bytes=5), "burst_size_bytes"),
    (lambda: TempoLimits(processors=("servicegraphs",)), "processors"),
    (lambda: S3Storage("b", "https://s3.example.com"), "endpoint"),
    (lambda: S3Storage("b", "s3.example.com", access_key_env="my key"), "access_key_env"),
    (lambda: LocalStorage("var/tempo"), "path"),
])
def test_definitions_reject_bad_fields(build, field):
    with pytest.raises(DefinitionError) as err:
        build()
    assert err.value.field == field
    assert err.value.fix


def test_written_folder_is_rechecked(tmp_path, prod_files):
    folder = tmp_path / "prod"
    for rel in ("tempo/tempo.yaml", "tempo/overrides.yaml"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(prod_files[rel])
    assert "2 files OK" in check_backend_files([folder])
    (folder / "tempo/overrides.yaml").write_text(SEED_OVERRIDES)
    with pytest.raises(ValidationError, match="ingestion.rate_strategy"):
        check_backend_files([folder])
