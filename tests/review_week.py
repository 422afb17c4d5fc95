"""A week of history made from the promtool test cases obs writes: each test group's input series are
laid end to end, one group every SLOT minutes (a longer group: long enough for it and a quiet spell),
so every firing case is a known incident and every silent case a known quiet spell. The same week is written twice, as OpenMetrics (for `promtool tsdb
create-blocks-from openmetrics`, read back by a real Prometheus) and as one promtool test (so
Prometheus' own rule engine evaluates the same samples)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MINUTE = 60
SLOT = 180  # minutes per test group (at least; a longer group gets a longer slot)
QUIET = 30  # minutes of no samples, at least, after each group
_LABEL = re.compile(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"')
_SERIES = re.compile(r"^\s*([a-zA-Z_:][\w:]*)?\s*(?:{(.*)})?\s*$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RUN = re.compile(rf"^(?P<a>{_NUMBER})(?:(?P<op>[+-])(?P<b>{_NUMBER}))?x(?P<n>\d+)$")


def expand(values: str) -> list[float | None]:
    """promtool's series notation as samples (None: no sample), adding as promtool does."""
    out: list[float | None] = []
    for token in values.split():
        if token == "_":
            out.append(None)
        elif token.startswith("_x"):
            out += [None] * int(token[2:])
        elif m := _RUN.match(token):
            k, b = float(m["a"]), float(m["b"] or 0) * (-1 if m["op"] == "-" else 1)
            out.append(k)
            for _ in range(int(m["n"])):
                k += b
                out.append(k)
        elif token == "stale":
            raise ValueError("stale markers cannot be backfilled")
        else:
            out.append(float(token))
    return out


def series_key(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    m = _SERIES.match(text)
    if not m:
        raise ValueError(f"unparsable series {text!r}")
    labels = dict(_LABEL.findall(m[2] or ""))
    name = m[1] or labels.pop("__name__")
    return name, tuple(sorted(labels.items()))


@dataclass
class Week:
    slot: int = SLOT
    minutes: int = 0
    # series -> list of (first minute, promtool values string)
    segments: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[int, str]]] = field(default_factory=dict)
    alerts_with_incidents: set[str] = field(default_factory=set)

    def add_group(self, group: dict) -> None:
        if group.get("interval", "1m") != "1m":
            raise ValueError("only 1m test intervals are laid out")
        start = self.minutes
        longest = 0
        for item in group.get("input_series") or []:
            longest = max(longest, len(expand(item["values"])))
            self.segments.setdefault(series_key(item["series"]), []).append((start, item["values"]))
        self.alerts_with_incidents |= {t["alertname"] for t in group.get("alert_rule_test") or [] if t.get("exp_alerts")}
        self.minutes += max(self.slot, -(-(longest + QUIET) // QUIET) * QUIET)

    def openmetrics(self, offset: int = 0) -> str:
        """The week as OpenMetrics, starting `offset` seconds after the Unix epoch."""
        lines = []
        for (name, labels), segments in sorted(self.segments.items()):
            rendered = "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else ""
            for start, values in segments:
                for i, value in enumerate(expand(values)):
                    if value is not None:
                        lines.append(f"{name}{rendered} {value!r} {offset + (start + i) * MINUTE}")
        return "\n".join(lines) + "\n# EOF\n"

    def input_series(self) -> list[dict[str, str]]:
        out = []
        for (name, labels), segments in sorted(self.segments.items()):
            tokens, at = [], 0
            for start, values in segments:
                if start > at:
                    tokens.append(f"_x{start - at}")
                tokens.append(values)
                at = start + len(expand(values))
            rendered = ", ".join(f'{k}="{v}"' for k, v in labels)
            out.append({"series": f"{name}{{{rendered}}}", "values": " ".join(tokens)})
        return out


def week_from_tests(test_files: list[Path], slot: int = SLOT) -> Week:
    week = Week(slot)
    for path in test_files:
        for group in yaml.safe_load(path.read_text())["tests"]:
            week.add_group(group)
    return week


def group_order(rule_files: list[Path]) -> list[str]:
    """Every group name of `rule_files`, in file and group order."""
    return [g["name"] for path in rule_files for g in yaml.safe_load(path.read_text())["groups"]]


def promtool_reference(week: Week, rule_files: list[Path], alertnames: list[str], until: int,
                       in_file_order: bool = False) -> dict:
    """A promtool test that expects no alert at every minute: its failures list what fires.
    `in_file_order` pins the order promtool evaluates groups in at each instant (without
    group_eval_order it is a Go map's: random per run), for rules that read another group's
    recordings: a group after the one it reads sees that instant's values, one before it the
    previous evaluation's."""
    order = {"group_eval_order": group_order(rule_files)} if in_file_order else {}
    return {"rule_files": [str(p) for p in rule_files], "evaluation_interval": "1m", **order,
            "tests": [{"interval": "1m", "input_series": week.input_series(),
                       "alert_rule_test": [{"eval_time": f"{m}m", "alertname": name}
                                           for m in range(until + 1) for name in alertnames]}]}


_FAILURE = re.compile(r"alertname: (\S+), time: (\S+), \n\s+exp:\[\], \n\s+got:\[(.*?)\n\s+\]", re.DOTALL)
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)")


def go_seconds(text: str) -> float:
    """promtool's eval time (Prometheus' duration format, e.g. '2d18h15m')."""
    scale = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in _GO_DURATION.findall(text))


def firing_from_promtool(output: str) -> dict[tuple[str, float], set[tuple[tuple[str, str], ...]]]:
    """(alertname, eval time in seconds) -> the label sets promtool reports firing."""
    out: dict[tuple[str, float], set[tuple[tuple[str, str], ...]]] = {}
    for name, when, got in _FAILURE.findall(output):
        sets = {tuple(sorted(_LABEL.findall(block))) for block in re.findall(r"Labels:{(.*?)}\n", got)}
        out[(name, go_seconds(when))] = sets
    return out
