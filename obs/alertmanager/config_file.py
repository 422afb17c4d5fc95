"""alertmanager.yaml (Alertmanager >= 0.24 syntax: `matchers`, `time_intervals`), credentials as
`*_file` paths."""
from __future__ import annotations

from typing import Any

from obs.alertmanager.config import Alertmanager
from obs.alertmanager.shape import YAML, matchers, route_tree, set_fields, time_interval
from obs.alertmanager.receivers import Email, Integration, PagerDuty, Receiver, Slack, Webhook
from obs.alertmanager.routing import Inhibition


def _integration(item: Integration, secrets_dir: str) -> tuple[str, dict[str, Any]]:
    if isinstance(item, PagerDuty):
        return "pagerduty_configs", {"routing_key_file": item.routing_key.path(secrets_dir),
                                     "send_resolved": item.send_resolved, **set_fields(description=item.description)}
    if isinstance(item, Slack):
        return "slack_configs", {"api_url_file": item.api_url.path(secrets_dir), "channel": item.channel,
                                 "send_resolved": item.send_resolved, **set_fields(title=item.title, text=item.text)}
    if isinstance(item, Webhook):
        out: dict[str, Any] = {"url": item.url, "send_resolved": item.send_resolved, "max_alerts": item.max_alerts}
        if item.bearer_token:
            out["http_config"] = {"authorization": {"credentials_file": item.bearer_token.path(secrets_dir)}}
        return "webhook_configs", out
    assert isinstance(item, Email)
    out = {"to": item.to, "from": item.sender, "smarthost": item.smarthost, "require_tls": item.require_tls,
           "send_resolved": item.send_resolved, **set_fields(html=item.html)}
    if item.subject:
        out["headers"] = {"Subject": item.subject}
    if item.auth_password:
        out.update(auth_username=item.auth_username, auth_password_file=item.auth_password.path(secrets_dir))
    return "email_configs", out


def _receiver(receiver: Receiver, secrets_dir: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    for item in receiver.integrations:
        key, config = _integration(item, secrets_dir)
        out.setdefault(key, []).append(config)
    return out


def _inhibition(rule: Inhibition) -> dict[str, Any]:
    out: dict[str, Any] = {"source_matchers": matchers(rule.source, YAML),
                           "target_matchers": matchers(rule.target, YAML)}
    if rule.equal:
        out["equal"] = list(rule.equal)
    return out


def render_config(config: Alertmanager) -> dict[str, Any]:
    """The alertmanager.yaml document."""
    out: dict[str, Any] = {
        "global": {"resolve_timeout": config.resolve_timeout},
        "route": route_tree(config.route, YAML),
        "receivers": [_receiver(r, config.secrets_dir) for r in config.receivers],
    }
    if config.inhibitions:
        out["inhibit_rules"] = [_inhibition(i) for i in config.inhibitions]
    if config.time_intervals:
        out["time_intervals"] = [time_interval(t, YAML) for t in config.time_intervals]
    return out
