"""`obs params`: every override key the bundle's definitions read, with the default, the declared
range and each environment's value, as text, JSON or Markdown. The keys are found by rendering
each environment in memory (definitions read some parameters only while rendering)."""
from __future__ import annotations

import json
from typing import Any, Callable, Sequence

from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.render import render_environment

FORMATS = ("text", "json", "markdown")


def parameters(bundle: Bundle, envs: Sequence[Environment]) -> dict[str, Any]:
    """{"bundle", "environments", "parameters": [{key, definition, default, range, meaning, values}]},
    sorted by key; `values` maps each environment to its value (the override, else the default)."""
    found: dict[str, dict[str, Any]] = {}
    for env in envs:
        render_environment(bundle, env, check_overrides=False)
        for key, (default, declared) in sorted(env.declared().items()):
            entry = found.setdefault(key, {
                "key": key, "definition": key.rsplit(".", 1)[0] if "." in key else key, "default": default,
                "range": declared.text() if declared else None, "meaning": declared.meaning if declared else "",
                "values": {}})
            entry["values"][env.name] = env.overrides.get(key, default)
    unread = sorted({key for env in envs for key in env.unused_overrides()})
    return {"bundle": bundle.name, "environments": [e.name for e in envs],
            "parameters": [found[k] for k in sorted(found)], "unread_overrides": unread}


def _value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else f"{value}"


def as_text(data: dict[str, Any]) -> str:
    lines = []
    for p in data["parameters"]:
        values = ", ".join(f"{env}={_value(v)}" for env, v in p["values"].items())
        limits = f" in {p['range']} ({p['meaning']})" if p["range"] else ""
        lines.append(f"{p['key']}: default {_value(p['default'])}{limits}; {values}")
    lines += [f"unread override {key}: no definition reads it" for key in data["unread_overrides"]]
    return "\n".join(lines) + "\n"


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def as_markdown(data: dict[str, Any]) -> str:
    envs = data["environments"]
    lines = [f"# Parameters of bundle {data['bundle']}", "",
             "| Key | Read by | Default | Range | " + " | ".join(envs) + " |",
             "|" + "---|" * (4 + len(envs))]
    for p in data["parameters"]:
        cells = [f"`{p['key']}`", p["definition"], _value(p["default"]),
                 f"{p['range']} {p['meaning']}".strip() if p["range"] else "",
                 *(_value(p["values"].get(env, "")) for env in envs)]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


RENDER: dict[str, Callable[[dict[str, Any]], str]] = {"text": as_text, "json": as_json, "markdown": as_markdown}
