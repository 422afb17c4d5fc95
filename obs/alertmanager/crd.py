"""The same configuration as an AlertmanagerConfig (monitoring.coreos.com/v1alpha1), credentials
as Secret key selectors, and the kube-prometheus-stack values that make it the chart's
Alertmanager's global configuration (`Alertmanager.spec.alertmanagerConfiguration`): referenced
that way the operator does not add its `namespace=<object namespace>` matcher to the top route."""
from __future__ import annotations

from typing import Any

from obs.alertmanager.config import Alertmanager
from obs.alertmanager.shape import CRD, matchers, route_tree, set_fields, time_interval
from obs.alertmanager.receivers import Email, Integration, PagerDuty, Receiver, Slack, Webhook


def _integration(item: Integration) -> tuple[str, dict[str, Any]]:
    if isinstance(item, PagerDuty):
        return "pagerdutyConfigs", {"routingKey": item.routing_key.selector(), "sendResolved": item.send_resolved,
                                    **set_fields(description=item.description)}
    if isinstance(item, Slack):
        return "slackConfigs", {"apiURL": item.api_url.selector(), "channel": item.channel,
                                "sendResolved": item.send_resolved, **set_fields(title=item.title, text=item.text)}
    if isinstance(item, Webhook):
        out: dict[str, Any] = {"url": item.url, "sendResolved": item.send_resolved, "maxAlerts": item.max_alerts}
        if item.bearer_token:
            out["httpConfig"] = {"authorization": {"credentials": item.bearer_token.selector()}}
        return "webhookConfigs", out
    assert isinstance(item, Email)
    out = {"to": item.to, "from": item.sender, "smarthost": item.smarthost, "requireTLS": item.require_tls,
           "sendResolved": item.send_resolved, **set_fields(html=item.html)}
    if item.subject:
        out["headers"] = [{"key": "Subject", "value": item.subject}]
    if item.auth_password:
        out.update(authUsername=item.auth_username, authPassword=item.auth_password.selector())
    return "emailConfigs", out


def _receiver(receiver: Receiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    for item in receiver.integrations:
        key, config = _integration(item)
        out.setdefault(key, []).append(config)
    return out


def render_spec(config: Alertmanager) -> dict[str, Any]:
    """The AlertmanagerConfig spec."""
    spec: dict[str, Any] = {"route": route_tree(config.route, CRD),
                            "receivers": [_receiver(r) for r in config.receivers]}
    if config.inhibitions:
        spec["inhibitRules"] = [{"sourceMatch": matchers(rule.source, CRD),
                                 "targetMatch": matchers(rule.target, CRD),
                                 **({"equal": list(rule.equal)} if rule.equal else {})}
                                for rule in config.inhibitions]
    if config.time_intervals:
        spec["muteTimeIntervals"] = [time_interval(t, CRD) for t in config.time_intervals]
    return spec


def chart_values(config: Alertmanager | None) -> dict[str, Any]:
    """kube-prometheus-stack values making the chart's Alertmanager run `config`: its
    AlertmanagerConfig as the global configuration, with `resolve_timeout`. Selected the ordinary
    way (`alertmanagerConfigSelector`), the operator would add a `namespace="<its namespace>"`
    matcher to its top route, so the routing would see only alerts of the monitoring namespace;
    the global configuration the operator leaves out of that selection."""
    if config is None:
        return {}
    return {"alertmanager": {"alertmanagerSpec": {"alertmanagerConfiguration": {
        "name": config.name, "global": {"resolveTimeout": config.resolve_timeout}}}}}
