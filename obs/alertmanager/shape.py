"""The parts alertmanager.yaml and AlertmanagerConfig share up to key names and matcher form:
the routing tree and time intervals, rendered once for both."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from obs.alertmanager.matchers import Matcher
from obs.alertmanager.routing import Route, TimeInterval

# The canonical (alertmanager.yaml) key -> AlertmanagerConfig key.
CAMEL = {"group_by": "groupBy", "group_wait": "groupWait", "group_interval": "groupInterval",
         "repeat_interval": "repeatInterval", "active_time_intervals": "activeTimeIntervals",
         "mute_time_intervals": "muteTimeIntervals", "time_intervals": "timeIntervals",
         "start_time": "startTime", "end_time": "endTime"}


@dataclass(frozen=True)
class Style:
    """How one format names keys and writes matchers."""

    keys: Mapping[str, str]
    matcher: Callable[[Matcher], Any]

    def key(self, name: str) -> str:
        return self.keys.get(name, name)


YAML = Style({}, Matcher.text)
CRD = Style(CAMEL, Matcher.crd)


def route_tree(route: Route, style: Style, root: bool = True) -> dict[str, Any]:
    """A route and its children."""
    out: dict[str, Any] = {"receiver": route.receiver}
    if route.matchers:
        out["matchers"] = [style.matcher(m) for m in route.matchers]
    if route.group_by is not None:
        out[style.key("group_by")] = list(route.group_by)
    for name in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(route, name) is not None:
            out[style.key(name)] = getattr(route, name)
    if route.continue_ and not root:
        out["continue"] = True
    for name, intervals in (("active_time_intervals", route.active_in), ("mute_time_intervals", route.muted_in)):
        if intervals:
            out[style.key(name)] = list(intervals)
    if route.routes:
        out["routes"] = [route_tree(child, style, root=False) for child in route.routes]
    return out


def time_interval(interval: TimeInterval, style: Style) -> dict[str, Any]:
    return {"name": interval.name, style.key("time_intervals"): [
        {**({"weekdays": list(r.weekdays)} if r.weekdays else {}),
         "times": [{style.key("start_time"): r.start, style.key("end_time"): r.end}]} for r in interval.ranges]}


def matchers(items: Any, style: Style) -> list[Any]:
    return [style.matcher(m) for m in items]


def set_fields(**fields: str) -> dict[str, str]:
    """The optional template fields that are set (the others keep Alertmanager's defaults)."""
    return {name: value for name, value in fields.items() if value}
