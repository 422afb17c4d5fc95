"""Grafana Loki: the definition, its config renderer, and a strict model of every key obs emits.

The model follows the Loki 3.7 configuration reference
(https://grafana.com/docs/loki/v3.7.x/configure/): TSDB index on schema v13 (required for OTLP
ingestion and structured metadata), `common` storage, compactor-based retention, and the ruler
sending to Alertmanager over its v2 API (`enable_alertmanager_v2: true`: Alertmanager 0.27
removed the v1 API, so the model requires it whenever an Alertmanager URL is set).
Modes: `single-binary` (-target=all) and `simple-scalable` (-target=read|write|backend, which
needs object storage and memberlist). Secrets are `${NAME}` references (-config.expand-env=true).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from obs.backends import schema as s
from obs.backends.logql import LokiRulePack
from obs.backends.storage import LocalStorage, S3Storage, Storage, check_storage, for_expand_env, s3_fields
from obs.errors import DefinitionError
from obs.model.checks import DURATION_RE, check_duration, check_k8s_name, check_unique
from obs.model.environment import Environment

MODEL_VERSION = "Loki 3.7"
MODES = ("single-binary", "simple-scalable")
TARGETS = {"single-binary": ("all",), "simple-scalable": ("read", "write", "backend")}
RULES_DIR = "/var/loki/rules"
# OTLP resource attributes Loki turns into stream labels (beyond its defaults); the rest become
# structured metadata. Keep this short: every label multiplies streams.
INDEX_ATTRIBUTES = ("service.name", "service.namespace", "deployment.environment.name",
                    "k8s.namespace.name", "k8s.cluster.name")


@dataclass(frozen=True)
class LokiLimits:
    """Ingestion limits and retention (limits_config)."""

    retention: str = "744h"
    ingestion_rate_mb: float = 8
    ingestion_burst_size_mb: float = 16
    max_global_streams_per_user: int = 10_000

    def __post_init__(self) -> None:
        check_duration("loki limits", "retention", self.retention)
        if self.ingestion_burst_size_mb < self.ingestion_rate_mb:
            raise DefinitionError("loki limits", "ingestion_burst_size_mb", "is below ingestion_rate_mb",
                                  "make the burst at least the sustained rate")


@dataclass(frozen=True)
class Loki:
    """A Loki deployment. `schema_from` is the day the v13/TSDB schema starts (never move it back
    once data exists: add a new period instead)."""

    storage: Storage
    mode: str = "single-binary"
    multitenancy: bool = False
    schema_from: str = "2024-04-01"
    limits: LokiLimits = field(default_factory=LokiLimits)
    replication_factor: int = 1
    rule_packs: Sequence[LokiRulePack] = ()

    definition = "loki"

    def __post_init__(self) -> None:
        check_storage(self.definition, self.storage)
        if self.mode not in MODES:
            raise DefinitionError(self.definition, "mode", f"{self.mode!r} is not a Loki mode",
                                  f"use one of {', '.join(MODES)}")
        if self.mode == "simple-scalable" and not isinstance(self.storage, S3Storage):
            raise DefinitionError(self.definition, "storage", "simple-scalable mode needs object storage",
                                  "use S3Storage (read, write and backend pods share the bucket)")
        if not s.DATE_RE.match(str(self.schema_from)):
            raise DefinitionError(self.definition, "schema_from", f"{self.schema_from!r} is not YYYY-MM-DD")
        if isinstance(self.replication_factor, bool) or self.replication_factor not in (1, 3):
            raise DefinitionError(self.definition, "replication_factor", f"{self.replication_factor!r}",
                                  "use 1 or 3")
        object.__setattr__(self, "rule_packs", tuple(self.rule_packs))
        for pack in self.rule_packs:
            if not isinstance(pack, LokiRulePack):
                raise DefinitionError(self.definition, "rule_packs", f"{pack!r} is not a LokiRulePack")
            if self.multitenancy and pack.tenant is None:
                raise DefinitionError(pack.definition, "tenant", "Loki runs multi-tenant (auth_enabled)",
                                      "name the tenant (X-Scope-OrgID) whose logs the rules query")
            if not self.multitenancy and pack.tenant is not None:
                raise DefinitionError(pack.definition, "tenant", "Loki runs single-tenant",
                                      "drop the tenant, or set multitenancy=True on Loki")
        check_unique(self.definition, "rule_packs", ((p.tenant, p.name) for p in self.rule_packs), "rule pack")
        tenants = sorted({ruler_tenant(p) for p in self.rule_packs})
        for tenant in tenants:  # each tenant's rules go to a ConfigMap named after it
            check_k8s_name(self.definition, f"rule_packs (tenant {tenant!r})", rules_config_map(tenant), "ConfigMap",
                           subdomain=True)
        check_unique(self.definition, "rule_packs", (t.lower() for t in tenants), "tenant (ignoring case)")

    @property
    def targets(self) -> tuple[str, ...]:
        return TARGETS[self.mode]


def rules_config_map(tenant: str) -> str:
    """The ConfigMap holding one tenant's rule files."""
    return f"loki-rules-{tenant.lower()}"


def ruler_tenant(pack: LokiRulePack) -> str:
    """The ruler's tenant folder: the pack's tenant, or Loki's single-tenant ID 'fake'."""
    return pack.tenant or "fake"


def _common_storage(storage: Storage) -> tuple[dict[str, Any], str]:
    if isinstance(storage, LocalStorage):
        return {"filesystem": {"chunks_directory": f"{storage.path}/chunks",
                               "rules_directory": f"{storage.path}/rules"}}, "filesystem"
    s3 = s3_fields(storage, "bucketnames", "access_key_id", "secret_access_key", "s3forcepathstyle")
    return {"s3": s3}, "s3"


def render_config(env: Environment, loki: Loki) -> dict[str, Any]:
    """loki.yaml for one environment (checked against the strict model before it is returned)."""
    storage, store = _common_storage(loki.storage)
    scalable = loki.mode == "simple-scalable"
    kvstore = {"store": "memberlist" if scalable else "inmemory"}
    common: dict[str, Any] = {
        "path_prefix": "/var/loki",
        "replication_factor": loki.replication_factor,
        "ring": {"kvstore": kvstore},
        "storage": storage,
    }
    if scalable:
        common["compactor_address"] = f"http://loki-backend.{env.namespace}.svc:3100"
    config: dict[str, Any] = {
        "auth_enabled": loki.multitenancy,
        "server": {"http_listen_port": 3100, "grpc_listen_port": 9095, "log_level": "info"},
        "common": common,
    }
    if scalable:
        config["memberlist"] = {"join_members": [f"loki-memberlist.{env.namespace}.svc:7946"]}
    config["schema_config"] = {"configs": [{
        "from": loki.schema_from, "store": "tsdb", "object_store": store, "schema": "v13",
        "index": {"prefix": "index_", "period": "24h"},
    }]}
    config["limits_config"] = {
        "retention_period": loki.limits.retention,
        "allow_structured_metadata": True,
        "volume_enabled": True,
        "ingestion_rate_mb": loki.limits.ingestion_rate_mb,
        "ingestion_burst_size_mb": loki.limits.ingestion_burst_size_mb,
        "max_global_streams_per_user": loki.limits.max_global_streams_per_user,
        "otlp_config": {"resource_attributes": {"attributes_config": [
            {"action": "index_label", "attributes": list(INDEX_ATTRIBUTES)},
        ]}},
    }
    config["compactor"] = {
        "working_directory": "/var/loki/compactor",
        "compaction_interval": "10m",
        "retention_enabled": True,
        "retention_delete_delay": "2h",
        "delete_request_store": store,
    }
    config["ruler"] = {
        "alertmanager_url": env.urls.alertmanager,
        "enable_alertmanager_v2": True,
        "enable_api": True,
        "enable_sharding": scalable,
        "ring": {"kvstore": kvstore},
        "rule_path": "/var/loki/rules-temp",
        "storage": {"type": "local", "local": {"directory": RULES_DIR}},
        "wal": {"dir": "/var/loki/ruler-wal"},
        "remote_write": {"enabled": True, "clients": {"prometheus": {
            "url": env.remote_write_url}}},
    }
    config["analytics"] = {"reporting_enabled": False}
    s.check(CONFIG_MODEL, config, f"loki config ({MODEL_VERSION} model)")
    return for_expand_env("loki config", config)


# ---- strict model ----------------------------------------------------------------------------

def _schemas_allow_otlp(config: Mapping[str, Any]) -> bool:
    if not config.get("limits_config", {}).get("allow_structured_metadata"):
        return True
    periods = config.get("schema_config", {}).get("configs", [])
    return bool(periods) and all(p.get("schema") == "v13" and p.get("store") == "tsdb" for p in periods)


def _retention_has_store(config: Mapping[str, Any]) -> bool:
    compactor = config.get("compactor", {})
    return not compactor.get("retention_enabled") or "delete_request_store" in compactor


def _memberlist_when_needed(config: Mapping[str, Any]) -> bool:
    uses = config.get("common", {}).get("ring", {}).get("kvstore", {}).get("store") == "memberlist"
    return not uses or "memberlist" in config


def _sorted_periods(config: Mapping[str, Any]) -> bool:
    days = [p.get("from", "") for p in config.get("schema_config", {}).get("configs", [])]
    return days == sorted(days) and len(days) == len(set(days))


_KV = s.Obj({"kvstore": s.Obj({"store": s.enum("inmemory", "memberlist", "consul", "etcd")}, required=("store",))})
_PROM_DURATION = s.Scalar(str, "a duration such as '744h'", pattern=DURATION_RE)
_OBJECT_STORES = ("filesystem", "s3", "gcs", "azure")

CONFIG_MODEL = s.Obj({
    "auth_enabled": s.BOOL,
    "target": s.enum("all", "read", "write", "backend"),
    "server": s.Obj({"http_listen_port": s.PORT, "grpc_listen_port": s.PORT,
                     "log_level": s.enum("debug", "info", "warn", "error")}),
    "common": s.Obj({
        "path_prefix": s.PATH,
        "replication_factor": s.Scalar(int, "1 or more", minimum=1),
        "ring": _KV,
        "compactor_address": s.URL,
        "storage": s.Obj({
            "filesystem": s.Obj({"chunks_directory": s.PATH, "rules_directory": s.PATH},
                                required=("chunks_directory", "rules_directory")),
            "s3": s.Obj({"bucketnames": s.STR, "endpoint": s.STR, "region": s.STR,
                         "access_key_id": s.SECRET, "secret_access_key": s.SECRET,
                         "insecure": s.BOOL, "s3forcepathstyle": s.BOOL}, required=("bucketnames", "endpoint")),
        }, one_of=(("filesystem", "s3"),)),
    }, required=("path_prefix", "storage")),
    "memberlist": s.Obj({"join_members": s.ListOf(s.HOST_PORT)}, required=("join_members",)),
    "schema_config": s.Obj({"configs": s.ListOf(s.Obj({
        "from": s.DATE,
        "store": s.enum("tsdb", "boltdb-shipper"),
        "object_store": s.enum(*_OBJECT_STORES),
        "schema": s.enum("v11", "v12", "v13"),
        "index": s.Obj({"prefix": s.STR, "period": s.enum("24h")}, required=("prefix", "period")),
    }, required=("from", "store", "object_store", "schema", "index")))}, required=("configs",)),
    "limits_config": s.Obj({
        "retention_period": _PROM_DURATION,
        "allow_structured_metadata": s.BOOL,
        "volume_enabled": s.BOOL,
        "ingestion_rate_mb": s.FLOAT,
        "ingestion_burst_size_mb": s.FLOAT,
        "max_global_streams_per_user": s.INT,
        "otlp_config": s.Obj({"resource_attributes": s.Obj({
            "ignore_defaults": s.BOOL,
            "attributes_config": s.ListOf(s.Obj({
                "action": s.enum("index_label", "structured_metadata", "drop"),
                "attributes": s.ListOf(s.STR),
                "regex": s.STR,
            }, required=("action",), one_of=(("attributes", "regex"),))),
        })}),
    }, rules=((lambda d: d.get("ingestion_burst_size_mb", 1e18) >= d.get("ingestion_rate_mb", 0),
               "ingestion_burst_size_mb is below ingestion_rate_mb"),)),
    "compactor": s.Obj({
        "working_directory": s.PATH,
        "compaction_interval": s.DURATION,
        "retention_enabled": s.BOOL,
        "retention_delete_delay": s.DURATION,
        "delete_request_store": s.enum(*_OBJECT_STORES),
    }),
    "ruler": s.Obj({
        "alertmanager_url": s.URL,
        "enable_alertmanager_v2": s.BOOL,
        "enable_api": s.BOOL,
        "enable_sharding": s.BOOL,
        "ring": _KV,
        "rule_path": s.PATH,
        "storage": s.Obj({"type": s.enum("local"), "local": s.Obj({"directory": s.PATH}, required=("directory",))},
                         required=("type", "local")),
        "wal": s.Obj({"dir": s.PATH}),
        "remote_write": s.Obj({"enabled": s.BOOL, "clients": s.Obj(
            values=s.Obj({"url": s.URL}, required=("url",)), key_pattern=re.compile(r"^[a-z0-9_-]+\Z"))}),
    }, required=("alertmanager_url", "storage"), rules=(
        (lambda d: "alertmanager_url" not in d or d.get("enable_alertmanager_v2") is True,
         "enable_alertmanager_v2 must be true: Alertmanager 0.27+ only serves the v2 API"),)),
    "analytics": s.Obj({"reporting_enabled": s.BOOL}),
}, required=("server", "common", "schema_config"), rules=(
    (_schemas_allow_otlp, "structured metadata (and OTLP ingestion) needs every schema period on tsdb v13"),
    (_retention_has_store, "compactor retention needs compactor.delete_request_store"),
    (_memberlist_when_needed, "the memberlist kvstore needs a memberlist block with join_members"),
    (_sorted_periods, "schema_config periods must have distinct 'from' dates in ascending order"),
))
