"""What the Prometheus Operator makes of an AlertmanagerConfig (monitoring.coreos.com/v1alpha1) that
is the Alertmanager's global configuration (`spec.alertmanagerConfiguration`, so no namespace
matcher and no name prefixes): the alertmanager.yaml route tree, inhibit rules, time intervals and
receivers it generates. Written from the operator's API reference, independently of obs's
renderers: obs's AlertmanagerConfig is proven to say what its alertmanager.yaml says by converting
it here and comparing, and by routing every case through amtool on the converted config."""
from __future__ import annotations

import json
import re
from typing import Any

# The operator's matcher: matchType is one of these; empty means "="; the legacy `regex: true` "=~".
MATCH_TYPES = ("=", "!=", "=~", "!~")
# Where the Alertmanager mounts spec.secrets (the operator's documented path): <dir>/<secret>/<key>.
SECRETS_DIR = "/etc/alertmanager/secrets"

ROUTE_KEYS = {"receiver": "receiver", "groupBy": "group_by", "groupWait": "group_wait",
              "groupInterval": "group_interval", "repeatInterval": "repeat_interval", "continue": "continue",
              "matchers": "matchers", "routes": "routes", "muteTimeIntervals": "mute_time_intervals",
              "activeTimeIntervals": "active_time_intervals"}
RECEIVER_KEYS = {"name": "name", "pagerdutyConfigs": "pagerduty_configs", "slackConfigs": "slack_configs",
                 "webhookConfigs": "webhook_configs", "emailConfigs": "email_configs"}
INTEGRATION_KEYS = {"routingKey": "routing_key", "sendResolved": "send_resolved", "apiURL": "api_url",
                    "channel": "channel", "url": "url", "maxAlerts": "max_alerts", "httpConfig": "http_config",
                    "authorization": "authorization", "credentials": "credentials", "to": "to", "from": "from",
                    "smarthost": "smarthost", "requireTLS": "require_tls", "authUsername": "auth_username",
                    "authPassword": "auth_password"}
_MATCHER_TEXT = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)("(?:[^"\\]|\\.)*")$')


class NotConvertible(AssertionError):
    """A field the operator would not accept or this conversion does not know (a new field in one
    rendering must be taught here, and so get compared)."""


def _key(table: dict[str, str], key: str, where: str) -> str:
    if key not in table:
        raise NotConvertible(f"{where}: unknown AlertmanagerConfig field {key!r}")
    return table[key]


def matcher(spec: dict[str, Any]) -> str:
    """One v1alpha1 matcher as alertmanager.yaml's `name<op>"value"`."""
    unknown = set(spec) - {"name", "value", "matchType", "regex"}
    if unknown:
        raise NotConvertible(f"matcher {spec}: unknown fields {sorted(unknown)}")
    op = spec.get("matchType") or ("=~" if spec.get("regex") else "=")
    if op not in MATCH_TYPES:
        raise NotConvertible(f"matcher {spec}: matchType {op!r} is not one of {MATCH_TYPES}")
    return f"{spec['name']}{op}{json.dumps(spec.get('value', ''))}"


def route(spec: dict[str, Any], root: bool = True) -> dict[str, Any]:
    """A v1alpha1 route (and its children) as an alertmanager.yaml route."""
    out: dict[str, Any] = {}
    for key, value in spec.items():
        name = _key(ROUTE_KEYS, key, "route")
        if name == "matchers":
            value = [matcher(m) for m in value]
        elif name == "routes":
            value = [route(child, root=False) for child in value]
        elif name == "continue" and root:
            raise NotConvertible("the top route cannot continue")
        out[name] = value
    return out


def inhibit_rule(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "sourceMatch":
            out["source_matchers"] = [matcher(m) for m in value]
        elif key == "targetMatch":
            out["target_matchers"] = [matcher(m) for m in value]
        elif key == "equal":
            out["equal"] = list(value)
        else:
            raise NotConvertible(f"inhibit rule: unknown field {key!r}")
    return out


def time_interval(spec: dict[str, Any]) -> dict[str, Any]:
    ranges = []
    for item in spec["timeIntervals"]:
        converted: dict[str, Any] = {}
        for key, value in item.items():
            if key == "times":
                converted["times"] = [{"start_time": t["startTime"], "end_time": t["endTime"]} for t in value]
            elif key in ("weekdays", "months", "years"):
                converted[key] = value
            elif key == "daysOfMonth":
                converted["days_of_month"] = value
            else:
                raise NotConvertible(f"time interval {spec['name']!r}: unknown field {key!r}")
        ranges.append(converted)
    return {"name": spec["name"], "time_intervals": ranges}


def _integration(spec: dict[str, Any], where: str) -> dict[str, Any]:
    """Keys in alertmanager's spelling; a Secret key selector becomes the `*_file` its mount provides."""
    out: dict[str, Any] = {}
    for key, value in spec.items():
        name = _key(INTEGRATION_KEYS, key, where)
        if isinstance(value, dict) and set(value) == {"name", "key"}:
            out[f"{name}_file"] = f"{SECRETS_DIR}/{value['name']}/{value['key']}"
        elif isinstance(value, dict):
            out[name] = _integration(value, f"{where}.{key}")
        else:
            out[name] = value
    return out


def receiver(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in spec.items():
        name = _key(RECEIVER_KEYS, key, f"receiver {spec.get('name')!r}")
        out[name] = value if name == "name" else [_integration(item, f"{spec['name']}.{key}") for item in value]
    return out


def config(spec: dict[str, Any]) -> dict[str, Any]:
    """The alertmanager.yaml the operator generates from this AlertmanagerConfig spec (without
    `global`, which the Alertmanager resource sets)."""
    unknown = set(spec) - {"route", "receivers", "inhibitRules", "muteTimeIntervals"}
    if unknown:
        raise NotConvertible(f"AlertmanagerConfig spec: unknown fields {sorted(unknown)}")
    out: dict[str, Any] = {"route": route(spec["route"]), "receivers": [receiver(r) for r in spec["receivers"]]}
    if "inhibitRules" in spec:
        out["inhibit_rules"] = [inhibit_rule(r) for r in spec["inhibitRules"]]
    if "muteTimeIntervals" in spec:
        out["time_intervals"] = [time_interval(t) for t in spec["muteTimeIntervals"]]
    return out


def parsed_matcher(text: str) -> tuple[str, str, str]:
    """`name<op>"value"` as (name, op, value), so two spellings of one matcher compare equal."""
    match = _MATCHER_TEXT.match(text)
    if not match:
        raise NotConvertible(f"{text!r} is not a matcher")
    return match[1], match[2], json.loads(match[3])


def canonical(config: dict[str, Any]) -> dict[str, Any]:
    """An alertmanager.yaml document with every matcher parsed: what Alertmanager reads from it."""
    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list) and key in ("matchers", "source_matchers", "target_matchers"):
            return [parsed_matcher(m) for m in value]
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value
    return walk(config)
