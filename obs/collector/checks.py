"""Checks on a component's type and config: registered, not removed, safe settings, secrets as ${env:NAME}."""
from __future__ import annotations

import difflib
import math
import re
from typing import Any, Mapping

from obs.collector.registry import REGISTRY, REMOVED, REMOVED_OPERATORS, UNAVAILABLE, Kind, specs
from obs import secrets
from obs.errors import DefinitionError
from obs.secrets import last_key, walk

ENV_REF_RE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_BARE_REF_RE = re.compile(r"\$\{(?!env:)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_LOCAL_HOSTS = ("localhost:", "127.0.0.1:", "[::1]:")
# Keys whose value is a count, size or port: a number, never a bool, NaN, infinity or negative.
_NUMERIC_KEY_RE = re.compile(r"(?i)(^|_)(size|count|consumers|port|limit|mib|percentage|replicas|workers|capacity)(_|\Z)")
_LOCAL_ONLY = {"pprof": "endpoint", "zpages": "endpoint"}


def check_type(definition: str, kind: Kind, type_: str) -> None:
    """The type is registered for `kind`; removed, unavailable or unknown types name the fix."""
    key = (kind, type_)
    if key in REGISTRY:
        return
    if key in REMOVED:
        raise DefinitionError(definition, "type", f"{kind} {type_!r} cannot be used", REMOVED[key])
    if key in UNAVAILABLE:
        raise DefinitionError(definition, "type", f"{kind} {type_!r} is not in obs's registry",
                              UNAVAILABLE[key])
    known = sorted(s.type for s in specs() if s.kind == kind)
    close = difflib.get_close_matches(type_, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise DefinitionError(definition, "type", f"unknown {kind} type {type_!r}",
                          f"{hint}use one of {', '.join(known)}, or register it in obs.collector.registry")


def check_env_refs(definition: str, field: str, config: Mapping[str, Any]) -> None:
    """Variables only as ${env:NAME}; secret-looking keys hold nothing but ${env:NAME} references."""
    for path, value in walk(config):
        where = f"{field}.{path}" if path else field
        if not isinstance(value, str):
            continue
        secrets.check_value(definition, where, value, last_key(path) or field, header=secrets.is_header_path(where))
        bare = _BARE_REF_RE.search(value)
        if bare:  # the value is not echoed: it may be a credential with a '$' in it
            name = (bare.group(1) or bare.group(2) or "").strip()
            name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "NAME"
            raise DefinitionError(definition, where, "has a '$' that is not a ${env:NAME} reference",
                                  f"write ${{env:{name}}} for a variable, or $$ for a literal '$'")


def check_config(definition: str, kind: Kind, type_: str, config: Mapping[str, Any]) -> None:
    """Settings obs refuses: removed operators, CORS wildcards, debug endpoints off localhost."""
    check_env_refs(definition, "config", config)
    for path, value in walk(config):
        _check_number_setting(definition, f"config.{path}", value)
        if path.endswith(".type") and "operators" in path and value in REMOVED_OPERATORS:
            raise DefinitionError(definition, f"config.{path}", f"operator type {value!r} does not exist",
                                  REMOVED_OPERATORS[value])
        if ".cors." in f".{path}" and value == "*":
            raise DefinitionError(definition, f"config.{path}", "CORS wildcard '*' lets any web page send data",
                                  "list the allowed origins, e.g. https://app.example.com")
    if kind == "exporter":
        check_remote_write_retries(definition, type_, config)
    field = _LOCAL_ONLY.get(type_) if kind == "extension" else None
    if field:
        endpoint = str(config.get(field, ""))
        if not endpoint.startswith(_LOCAL_HOSTS):
            raise DefinitionError(definition, f"config.{field}",
                                  f"{type_} endpoint {endpoint or '(default)'!r} is not bound to localhost",
                                  f"set {field}: localhost:<port> and use kubectl port-forward to reach it")


_GO_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# prometheus_remote_write's default timeout (exporterhelper's), which bounds its own retries.
REMOTE_WRITE_DEFAULT_TIMEOUT = "5s"


def go_duration_seconds(value: Any) -> float | None:
    """Seconds in a Go duration string such as '1m30s' or '300ms' (None when it is not one)."""
    if not isinstance(value, str) or not value:
        return None
    parts = _GO_DURATION_PART_RE.findall(value)
    if "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _GO_UNIT_SECONDS[u] for n, u in parts)


def check_remote_write_retries(definition: str, type_: str, config: Mapping[str, Any]) -> None:
    """prometheus_remote_write retries inside its `timeout` (it does not use the collector's retry
    queue, to keep samples in order), so a retry_on_failure.max_elapsed_time longer than the timeout
    is a promise it cannot keep: with the default 5s, a write refused for a few seconds is dropped
    ("context deadline exceeded"; opentelemetry-collector-contrib#30305)."""
    retry = config.get("retry_on_failure")
    if type_ != "prometheus_remote_write" or not isinstance(retry, Mapping) or retry.get("enabled") is False \
            or "max_elapsed_time" not in retry:
        return
    budget = go_duration_seconds(retry["max_elapsed_time"])
    timeout = go_duration_seconds(config.get("timeout", REMOTE_WRITE_DEFAULT_TIMEOUT))
    if budget is not None and timeout is not None and timeout < budget:
        raise DefinitionError(
            definition, "config.timeout",
            f"timeout {config.get('timeout', REMOTE_WRITE_DEFAULT_TIMEOUT)} ends the exporter's retries long before "
            f"retry_on_failure.max_elapsed_time {retry['max_elapsed_time']}: prometheus_remote_write retries inside "
            "its timeout, so a brief outage drops the batch (opentelemetry-collector-contrib#30305)",
            f"set timeout: {retry['max_elapsed_time']} (the whole retry budget), or lower max_elapsed_time")


def _check_number_setting(definition: str, field: str, value: Any) -> None:
    """No NaN or infinity anywhere (YAML writes .nan, which Go reads as a string or refuses); counts,
    sizes and ports are non-negative numbers, not bools."""
    if isinstance(value, float) and not math.isfinite(value):
        raise DefinitionError(definition, field, f"{value!r} is not a finite number", "give a real number")
    if _NUMERIC_KEY_RE.search(last_key(field)):
        if isinstance(value, bool) or isinstance(value, (int, float)) and value < 0:
            raise DefinitionError(definition, field, f"{value!r} is not a count, size or port",
                                  "give a non-negative number")
