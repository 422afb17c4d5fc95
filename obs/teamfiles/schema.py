"""The JSON Schema of a team file (teams/<team>.yaml), published as docs/team.schema.json for
editor completion (`# yaml-language-server: $schema=...`) and used to check every file."""
from __future__ import annotations

import json
from typing import Any

_SECRET = {"type": "object", "additionalProperties": False, "required": ["secret", "key"],
           "description": "A key of a Kubernetes Secret (credentials are never written inline)",
           "properties": {"secret": {"type": "string"}, "key": {"type": "string"}}}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_RECEIVER = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "description": "A receiver: a name and its integrations",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "pagerduty": {"type": "object", "additionalProperties": False, "required": ["routing_key"],
                      "properties": {"routing_key": _SECRET}},
        "slack": {"type": "object", "additionalProperties": False, "required": ["api_url", "channel"],
                  "properties": {"api_url": _SECRET, "channel": {"type": "string"}}},
        "webhook": {"type": "object", "additionalProperties": False, "required": ["url"],
                    "properties": {"url": {"type": "string", "format": "uri"}, "bearer_token": _SECRET}},
        "email": {"type": "object", "additionalProperties": False, "required": ["to", "from", "smarthost"],
                  "properties": {"to": {"type": "string"}, "from": {"type": "string"},
                                 "smarthost": {"type": "string"}}},
    },
}
_OVERRIDES = {"type": "object", "description": "Parameter overrides of this team's alerts, e.g. "
              "HighErrorRate.threshold: 0.02 (`obs params` lists the keys)",
              "propertyNames": {"pattern": "^[A-Za-z0-9_.-]+$"},
              "additionalProperties": {"type": ["number", "string", "boolean"]}}
_QUERY = {"type": "string", "description": "PromQL with a {{window}} range placeholder"}
_OBS_SLO = {
    "type": "object", "additionalProperties": False, "required": ["service", "name", "objective", "sli"],
    "description": "An SLO in obs's schema (obs.SLO)",
    "properties": {
        "service": {"type": "string"}, "name": {"type": "string"},
        "objective": {"type": "number", "description": "percent of good events, between 50 and 100, e.g. 99.9 "
                      "(checked by obs.SLO, which suggests the percentage a fraction such as 0.999 meant)"},
        "period": {"type": "string"}, "description": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "sli": {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                "properties": {
                    "events": {"type": "object", "additionalProperties": False, "required": ["bad", "total"],
                               "properties": {"bad": _QUERY, "total": _QUERY}},
                    "raw": {"type": "object", "additionalProperties": False, "required": ["error_ratio"],
                            "properties": {"error_ratio": _QUERY}},
                    "latency": {"type": "object", "additionalProperties": False, "required": ["metric", "threshold"],
                                "properties": {"metric": {"type": "string"}, "threshold": {"type": "number"},
                                               "selector": {"type": "string"},
                                               "buckets": {"type": "array", "items": {"type": "number"}},
                                               "by": _STRINGS}}}},
        "page": {"type": "boolean", "description": "false: no page alert (default true)"},
        "ticket": {"type": "boolean", "description": "false: no ticket alert (default true)"},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://obs.example.com/schemas/team.schema.json",
    "title": "obs team file (teams/<team>.yaml)",
    "type": "object", "additionalProperties": False, "required": ["team"],
    "properties": {
        "team": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "description": "the team's name"},
        "owns": {"type": "object", "additionalProperties": False, "properties": {
            "namespaces": _STRINGS, "services": _STRINGS, "jobs": _STRINGS}},
        "receivers": {"type": "object", "additionalProperties": False, "properties": {
            "page": _RECEIVER, "ticket": _RECEIVER, "chat": _RECEIVER}},
        "escalation": _RECEIVER,
        "business_hours": {"type": "boolean", "description": "tickets and chat only Monday-Friday 09:00-17:00 UTC"},
        "slos": {"type": "array", "items": {"oneOf": [
            _OBS_SLO,
            {"type": "object", "additionalProperties": False, "required": ["sloth"],
             "properties": {"sloth": {"type": "object", "description": "a Sloth prometheus/v1 spec, as is"}}},
            {"type": "object", "additionalProperties": False, "required": ["openslo"],
             "properties": {"openslo": {"type": "array", "items": {"type": "object"},
                                        "description": "OpenSLO v1 SLO (and SLI) documents, as they are"}}},
        ]}},
        "alerts": _OVERRIDES,
        "environments": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "properties": {"alerts": _OVERRIDES}}},
    },
}


def schema_text() -> str:
    """The published schema file's text."""
    return json.dumps(SCHEMA, indent=2, sort_keys=True) + "\n"
