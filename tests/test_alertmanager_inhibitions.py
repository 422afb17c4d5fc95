"""The reference inhibitions in a real Alertmanager on 127.0.0.1 (Debian's prometheus-alertmanager,
the same release as amtool): alerts are posted through its API and read back with the
`inhibitedBy` status it computes, for alertmanager.yaml and for the AlertmanagerConfig as the
Prometheus Operator converts it (tests/alertmanager_operator.py). amtool cannot test inhibitions; this does."""
from __future__ import annotations


import pytest
import yaml

from obs.serialize import to_yaml
from tests import alertmanager_operator as operator
from tests.support import (
    alertmanager_api as _call, alertmanager_binary, post_alerts as _post, require_tool, running_alertmanager,
)

CLUSTER, OTHER = "prod-eu1", "staging-eu1"


@pytest.fixture(scope="module", params=["alertmanager.yaml", "AlertmanagerConfig"])
def alertmanager(request, reference_folders, tmp_path_factory):
    """Base URL of an Alertmanager running the prod reference config (stopped after the module):
    alertmanager.yaml as written, and the AlertmanagerConfig as the Prometheus Operator converts it."""
    binary = require_tool(alertmanager_binary)
    storage = tmp_path_factory.mktemp("alertmanager")
    prod = next(f for f in reference_folders if f.name == "prod")
    config = prod / "alertmanager" / "alertmanager.yaml"
    if request.param == "AlertmanagerConfig":
        crd = yaml.safe_load((prod / "kubernetes" / "alertmanagerconfig-obs.yaml").read_text())
        config = storage / "converted.yaml"
        config.write_bytes(to_yaml(operator.config(crd["spec"])))
    with running_alertmanager(binary, config, storage) as url:
        yield url


def _inhibited(url: str, **labels: str) -> bool:
    """Whether the one alert with these labels (among others) is inhibited."""
    found = [a for a in _call(f"{url}/alerts") if all(a["labels"].get(k) == v for k, v in labels.items())]
    assert len(found) == 1, found
    return bool(found[0]["status"]["inhibitedBy"])


def test_a_cluster_down_mutes_the_rest_of_that_cluster_only(alertmanager):
    pod = {"alertname": "PodNotReady", "severity": "warning", "namespace": "shop", "pod": "api-1"}
    _post(alertmanager, {"alertname": "ClusterDown", "severity": "critical", "cluster": CLUSTER},
          {**pod, "cluster": CLUSTER}, {**pod, "cluster": OTHER})
    assert _inhibited(alertmanager, alertname="PodNotReady", cluster=CLUSTER)
    assert not _inhibited(alertmanager, alertname="PodNotReady", cluster=OTHER)
    assert not _inhibited(alertmanager, alertname="ClusterDown")


def test_a_critical_mutes_the_warning_of_the_same_alert_and_scope(alertmanager):
    base = {"alertname": "WebHighErrorRate", "cluster": OTHER, "job": "shop/web"}
    _post(alertmanager, {**base, "severity": "critical", "namespace": "web"},
          {**base, "severity": "warning", "namespace": "web", "http_route": "/a"},
          {**base, "severity": "warning", "namespace": "web-canary", "http_route": "/a"})
    assert _inhibited(alertmanager, alertname="WebHighErrorRate", namespace="web", severity="warning")
    assert not _inhibited(alertmanager, alertname="WebHighErrorRate", namespace="web-canary")
    assert not _inhibited(alertmanager, alertname="WebHighErrorRate", namespace="web", severity="critical")


def test_an_slo_page_mutes_its_own_ticket_not_another_slos(alertmanager):
    slo = {"cluster": OTHER, "slo_service": "checkout", "team": "shop"}
    _post(alertmanager,
          {**slo, "alertname": "CheckoutAvailabilityErrorBudgetBurnPage", "slo_name": "availability",
           "slo_severity": "page", "severity": "critical"},
          {**slo, "alertname": "CheckoutAvailabilityErrorBudgetBurnTicket", "slo_name": "availability",
           "slo_severity": "ticket", "severity": "warning"},
          {**slo, "alertname": "CheckoutLatencyErrorBudgetBurnTicket", "slo_name": "latency",
           "slo_severity": "ticket", "severity": "warning"})
    assert _inhibited(alertmanager, alertname="CheckoutAvailabilityErrorBudgetBurnTicket")
    assert not _inhibited(alertmanager, alertname="CheckoutLatencyErrorBudgetBurnTicket")



def test_one_outage_one_page_the_slo_page_mutes_the_services_http_alerts(alertmanager):
    """A 5xx burst of shop/checkout: the SLO page mutes HighErrorRate and WebHighErrorRate of the
    same job and team (and HighErrorRate mutes the per-route alert); another job's stay active."""
    base = {"cluster": "prod-us1", "team": "shop", "namespace": "shop", "severity": "critical"}  # no ClusterDown there
    _post(alertmanager,
          {**base, "alertname": "CheckoutAvailabilityErrorBudgetBurnPage", "slo_service": "checkout",
           "slo_name": "availability", "slo_severity": "page", "job": "shop/checkout"},
          {**base, "alertname": "HighErrorRate", "job": "shop/checkout"},
          {**base, "alertname": "WebHighErrorRate", "job": "shop/checkout", "http_route": "/api/cart"},
          {**base, "alertname": "HighErrorRate", "job": "shop/cart"})
    assert not _inhibited(alertmanager, alertname="CheckoutAvailabilityErrorBudgetBurnPage", job="shop/checkout")
    assert _inhibited(alertmanager, alertname="HighErrorRate", job="shop/checkout")
    assert _inhibited(alertmanager, alertname="WebHighErrorRate", job="shop/checkout")
    assert not _inhibited(alertmanager, alertname="HighErrorRate", job="shop/cart")
