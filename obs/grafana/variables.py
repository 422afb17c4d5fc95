"""Template variables: the datasource picker and Prometheus label-value variables that refresh
whenever the time range changes."""
from __future__ import annotations


from obs.grafana import datasources
from obs.grafana.lib import g
from obs.model.checks import check_label_name
from obs.model.environment import Environment


def datasource() -> g.Template:
    """`$datasource`: a picker over Prometheus datasources, defaulting to the provisioned one."""
    return g.Template(name=datasources.DATASOURCE_VARIABLE, label="Data source", query="prometheus",
                      type="datasource", default=datasources.PROMETHEUS_UID,
                      refresh=g.REFRESH_ON_DASHBOARD_LOAD)


def loki_datasource() -> g.Template:
    """`$loki_datasource`: a picker over Loki datasources for logs panels, defaulting to the provisioned one."""
    return g.Template(name=datasources.LOKI_VARIABLE, label="Logs data source", query="loki", type="datasource",
                      default=datasources.LOKI_UID, refresh=g.REFRESH_ON_DASHBOARD_LOAD)


def label_values(name: str, metric: str, label: str, label_text: str | None = None, multi: bool = True,
                 include_all: bool = True, all_value: str = ".+", regex: str | None = None,
                 hidden: bool = False) -> g.Template:
    """A variable over the values of `label` on `metric` (a selector, may use other variables).
    Multi-value variables belong in `=~` matchers; 'All' matches `all_value`. `regex` is Grafana's
    `/pattern/` filter: with a capture group, the variable's values are what the group captures.
    A `hidden` variable is not shown on the dashboard (it derives a value for queries)."""
    check_label_name(f"variable {name!r}", "label", label)
    query = f"label_values({metric}, {label})"
    return g.Template(name=name, label=label_text or name.replace("_", " ").capitalize(), query=query,
                      dataSource=datasources.prometheus(), refresh=g.REFRESH_ON_TIME_RANGE_CHANGE,
                      multi=multi, includeAll=include_all, allValue=all_value if include_all else None,
                      default="$__all" if include_all else None, regex=regex,
                      hide=g.HIDE_VARIABLE if hidden else g.SHOW)


def cluster(env: Environment, metric: str) -> g.Template:
    """`$cluster` over the environment's cluster label. 'All' is `.*` so series without the label
    (a single-cluster Prometheus) still match."""
    return label_values("cluster", metric, env.cluster_label, "Cluster", multi=False, all_value=".*")


def namespace(env: Environment, metric: str) -> g.Template:
    """`$namespace`, limited to the chosen cluster ('All' also matches series without the label)."""
    return label_values("namespace", f'{metric}{{{env.cluster_label}=~"$cluster"}}', "namespace", "Namespace",
                        all_value=".*")


def standard(env: Environment, metric: str) -> list[g.Template]:
    """The variables of a dashboard over namespaced data: datasource, cluster, namespace (values from
    `metric`). Data without namespaces (SLO series) takes datasource() and cluster() alone."""
    return [datasource(), cluster(env, metric), namespace(env, metric)]


def scope(env: Environment, *matchers: str) -> str:
    """Label matchers for the chosen cluster and namespaces, plus `matchers`, for a selector."""
    return ", ".join((f'{env.cluster_label}=~"$cluster"', 'namespace=~"$namespace"', *matchers))
