"""The reference bundle's Tempo, Jaeger and Loki (seed 004 sections 4.4 and 5.5, seed 002's Jaeger,
made current), with LogQL alerts for the Loki ruler."""
from obs import AlertRule, Environment, RecordingRule, RuleGroup
from obs.backends import Kafka, LocalStorage, Loki, LokiLimits, LokiRulePack, S3Storage, Tempo, TempoLimits
from obs.backends.jaeger import BadgerStore, ElasticsearchStore, Jaeger
from obs.model.params import RATIO


def _prod(env: Environment) -> bool:
    return env.name == "prod"


def tenant(env: Environment) -> str | None:
    """The Tempo/Loki tenant (X-Scope-OrgID) this environment's collectors write as and its Loki
    rules read: prod runs multi-tenant, one tenant per cluster; staging single-tenant (None)."""
    return env.param("tenant", "cluster-primary") if _prod(env) else None


def tempo(env: Environment) -> Tempo:
    """Staging: monolithic on a local volume. Prod: microservices (Kafka) on S3, multi-tenant with one
    tenant per cluster (the seed's cluster-primary / cluster-dr), limits in the scoped overrides
    format (the seed's flat layout is rejected by Tempo 3.0)."""
    retention = env.param("Tempo.retention", "168h")
    if not _prod(env):
        return Tempo(storage=LocalStorage("/var/tempo/blocks"), retention=retention)
    return Tempo(
        storage=S3Storage(bucket="tempo-traces", endpoint="s3.us-west-2.amazonaws.com", region="us-west-2",
                          force_path_style=False),
        retention=retention,
        mode="microservices",
        kafka=Kafka(address=f"kafka.{env.namespace}.svc:9092", topic="tempo-ingest"),
        multitenancy=True,
        tenants={
            "cluster-primary": TempoLimits(rate_limit_bytes=15_000_000, burst_size_bytes=20_000_000,
                                           max_traces_per_user=100_000),
            "cluster-dr": TempoLimits(rate_limit_bytes=10_000_000, burst_size_bytes=15_000_000,
                                      max_traces_per_user=50_000, block_retention="72h"),
        },
    )


def jaeger(env: Environment) -> Jaeger:
    """Jaeger beside Tempo (seed 004 sends traces to both). Staging: Badger on a volume, 7 days.
    Prod: seed 002's production strategy: Elasticsearch with the `jaeger` index prefix, daily
    indices deleted after 7 days at 23:55, credentials from the Secret `jaeger-elasticsearch`."""
    days = env.param("Jaeger.retention_days", 7)
    if not _prod(env):
        return Jaeger(storage=BadgerStore(retention=f"{days * 24}h"))
    return Jaeger(storage=ElasticsearchStore(
        server_urls=["http://elasticsearch.logging.svc:9200"], index_prefix="jaeger", secret="jaeger-elasticsearch",
        retention_days=days, cleaner_schedule="55 23 * * *"), replicas=2)


def log_rules(env: Environment, tenant: str | None) -> LokiRulePack:
    """Error-log alerting and a recording rule for dashboards (LogQL, evaluated by the Loki ruler)."""
    c = env.cluster_label
    threshold = env.param("HighErrorLogRate.threshold", 0.05, RATIO)
    errors = f'sum by ({c}, service_name) (rate({{service_name=~".+"}} | detected_level="error" [5m]))'
    total = f'sum by ({c}, service_name) (rate({{service_name=~".+"}} [5m]))'
    return LokiRulePack("service-logs", tenant=tenant, groups=[RuleGroup("service-logs.rules", [
        RecordingRule(record="service_name:log_lines:rate5m", expr=total),
        AlertRule(
            name="HighErrorLogRate",
            expr=f"({errors}) / ({total}) > {threshold}",
            for_="10m",
            severity="warning",
            summary="A service logs a high share of errors",
            description="{{ $labels.service_name }} logs {{ $value | humanizePercentage }} errors "
                        f"(threshold {threshold:.0%}).",
        ),
    ])])


def loki(env: Environment) -> Loki:
    """Staging: single binary on a local volume. Prod: simple-scalable on S3, multi-tenant."""
    retention = env.param("Loki.retention", "744h")
    if not _prod(env):
        return Loki(storage=LocalStorage("/var/loki"), limits=LokiLimits(retention=retention),
                    rule_packs=[log_rules(env, None)])
    return Loki(
        storage=S3Storage(bucket="loki-chunks", endpoint="s3.us-west-2.amazonaws.com", region="us-west-2",
                          force_path_style=False),
        mode="simple-scalable",
        multitenancy=True,
        replication_factor=3,
        limits=LokiLimits(retention=retention, ingestion_rate_mb=16, ingestion_burst_size_mb=32),
        rule_packs=[log_rules(env, tenant(env))],
    )
