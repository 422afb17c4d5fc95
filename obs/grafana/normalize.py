"""Turn grafanalib's JSON into what current Grafana writes.

grafanalib 0.7 still emits keys from Grafana 5-7 (`rows`, `span`, `height`, `error`, legacy
bar gauge `fieldOptions`, the old heatmap model, `intervalFactor` 2, `maxDataPoints` 100,
threshold steps with `op`/`yaxis`, stat thresholds as a string) and `null` everywhere. This module
keeps the keys Grafana's published schema allows, fills in the options modern panels need, and
drops nulls (a threshold's base step keeps its null value: it means -Infinity).
"""
from __future__ import annotations

from typing import Any

PANEL_KEYS = ("type", "id", "title", "description", "datasource", "gridPos", "links", "repeat",
              "repeatDirection", "maxPerRow", "transformations", "interval", "timeFrom", "timeShift",
              "hideTimeOverride", "targets", "options", "fieldConfig")
ROW_KEYS = ("type", "id", "title", "collapsed", "gridPos", "panels", "repeat")
PROMETHEUS_TARGET_KEYS = ("refId", "expr", "legendFormat", "instant", "range", "format", "exemplar",
                          "datasource", "interval")
LOKI_TARGET_KEYS = ("refId", "expr", "datasource")
VARIABLE_KEYS = ("type", "name", "label", "description", "query", "definition", "datasource", "current",
                 "multi", "includeAll", "allValue", "options", "refresh", "sort", "regex", "hide")
DASHBOARD_KEYS = ("uid", "title", "description", "tags", "timezone", "editable", "graphTooltip", "time",
                  "timepicker", "refresh", "schemaVersion", "version", "panels", "templating",
                  "annotations", "links", "fiscalYearStartMonth", "liveNow", "weekStart")
SCHEMA_VERSION = 39


def drop_nulls(value: Any) -> Any:
    """A copy without None values in dicts (lists keep their items, minus None)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value if v is not None]
    return value


def _pick(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: data[key] for key in keys if key in data and data[key] is not None}


def _thresholds(defaults: dict[str, Any]) -> None:
    """Steps must be a list of {color, value} starting with the null (-Infinity) base."""
    config = defaults.get("thresholds") or {}
    steps = config.get("steps") if isinstance(config, dict) else None
    if not isinstance(steps, list) or not steps:
        steps = [{"color": "green", "value": None}]
    clean = [{"color": s.get("color", "green"), "value": s.get("value")} for s in steps if isinstance(s, dict)]
    clean[0]["value"] = None
    defaults["thresholds"] = {"mode": config.get("mode") or "absolute", "steps": clean}


def _target(target: dict[str, Any]) -> dict[str, Any]:
    kind = (target.get("datasource") or {}).get("type")
    out = _pick(target, LOKI_TARGET_KEYS if kind == "loki" else PROMETHEUS_TARGET_KEYS)
    if out.get("interval") == "":
        del out["interval"]
    if kind == "loki":
        out["queryType"] = "range"
    return out


def _reduce(calc: str) -> dict[str, Any]:
    return {"calcs": [calc], "fields": "", "values": False}


def _stat(panel: dict[str, Any], defaults: dict[str, Any]) -> None:
    options = panel.setdefault("options", {})
    options.update(wideLayout=True, showPercentChange=False, percentChangeColorMode="standard")
    options["reduceOptions"] = _reduce((options.get("reduceOptions") or {}).get("calcs", ["lastNotNull"])[0])
    defaults.setdefault("color", {"mode": "thresholds"})


def _bargauge(panel: dict[str, Any], defaults: dict[str, Any]) -> None:
    options = panel.get("options") or {}
    legacy = options.pop("fieldOptions", {}) or {}
    legacy_defaults = legacy.get("defaults") or {}
    for key in ("min", "max", "unit", "decimals"):
        if legacy_defaults.get(key) is not None:
            defaults[key] = legacy_defaults[key]
    defaults["thresholds"] = {"mode": "absolute", "steps": legacy.get("thresholds") or []}
    defaults.setdefault("color", {"mode": "thresholds"})
    panel["options"] = {"displayMode": options.get("displayMode", "gradient"),
                        "orientation": options.get("orientation", "horizontal"),
                        "reduceOptions": _reduce((legacy.get("calcs") or ["lastNotNull"])[0]),
                        "showUnfilled": True, "valueMode": "color", "namePlacement": "auto",
                        "sizing": "auto", "minVizWidth": 8, "minVizHeight": 16, "maxVizHeight": 300,
                        "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom",
                                   "calcs": []}}


def _heatmap(panel: dict[str, Any], defaults: dict[str, Any]) -> None:
    defaults["custom"] = {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
                          "scaleDistribution": {"type": "linear"}}
    panel["options"] = {
        "calculate": False, "cellGap": 1,
        "color": {"exponent": 0.5, "fill": "dark-orange", "mode": "scheme", "reverse": False,
                  "scale": "exponential", "scheme": "Spectral", "steps": 64},
        "exemplars": {"color": "rgba(255,0,255,0.7)"}, "filterValues": {"le": 1e-9},
        "legend": {"show": True}, "rowsFrame": {"layout": "auto"},
        "tooltip": {"mode": "single", "showColorScale": False, "yHistogram": False},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": defaults.get("unit", "")},
    }


def _table(panel: dict[str, Any], defaults: dict[str, Any]) -> None:
    custom = defaults.get("custom") or {}
    defaults["custom"] = {"align": custom.get("align", "auto"), "cellOptions": {"type": "auto"},
                          "filterable": custom.get("filterable", False), "inspect": False}
    options = panel.get("options") or {}
    panel["options"] = {"showHeader": options.get("showHeader", True), "cellHeight": "sm",
                        "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""},
                        "sortBy": options.get("sortBy") or []}


def _timeseries(panel: dict[str, Any], defaults: dict[str, Any]) -> None:
    legend = panel.setdefault("options", {}).setdefault("legend", {})
    legend["showLegend"] = legend.get("displayMode") != "hidden"
    legend.setdefault("calcs", [])


_BY_TYPE = {"stat": _stat, "bargauge": _bargauge, "heatmap": _heatmap, "table": _table,
            "timeseries": _timeseries}


def panel(data: dict[str, Any]) -> dict[str, Any]:
    """One panel (or row, with its nested panels) in the current model."""
    if data.get("type") == "row":
        row = _pick(data, ROW_KEYS)
        row["panels"] = [panel(p) for p in row.get("panels", [])]
        row.setdefault("collapsed", False)
        return row
    out = _pick(data, PANEL_KEYS)
    for key in ("description", "repeat", "interval", "timeFrom", "timeShift"):
        if out.get(key) == "":
            del out[key]
    if not out.get("repeat"):
        out.pop("repeatDirection", None)
    if not out.get("hideTimeOverride"):
        out.pop("hideTimeOverride", None)
    field_config = out.setdefault("fieldConfig", {})
    defaults = field_config.setdefault("defaults", {})
    field_config.setdefault("overrides", [])
    out["targets"] = [_target(t) for t in out.get("targets", [])]
    fix = _BY_TYPE.get(out.get("type", ""))
    if fix:
        fix(out, defaults)
    _thresholds(defaults)
    steps = defaults.pop("thresholds")
    clean = drop_nulls(out)
    clean["fieldConfig"]["defaults"]["thresholds"] = steps
    return clean


def variable(data: dict[str, Any]) -> dict[str, Any]:
    """A template variable without grafanalib's legacy tag keys and nulls."""
    out = drop_nulls(_pick(data, VARIABLE_KEYS))
    current = out.get("current") or {}
    if current.get("value") is None:
        out.pop("current", None)
    else:
        out["current"] = {"text": "All" if current["value"] == "$__all" else current.get("text", ""),
                          "value": current["value"], "selected": True}
    if out.get("type") == "query":
        out["definition"] = out.get("query", "")
    for key in ("regex", "allValue"):
        if out.get(key) is None:
            out.pop(key, None)
    return out


def dashboard(data: dict[str, Any]) -> dict[str, Any]:
    """A whole dashboard: schema version, panels, variables and links in the current model."""
    out = _pick(data, DASHBOARD_KEYS)
    out["schemaVersion"] = SCHEMA_VERSION
    out["panels"] = [panel(p) for p in data.get("panels", [])]
    out["templating"] = {"list": [variable(v) for v in (data.get("templating") or {}).get("list", [])]}
    picker = out.get("timepicker") or {}
    out["timepicker"] = {"refresh_intervals": picker.get("refresh_intervals", [])}
    clean = drop_nulls({k: v for k, v in out.items() if k != "panels"})
    clean["panels"] = out["panels"]
    return clean
