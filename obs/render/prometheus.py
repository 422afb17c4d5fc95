"""Rule packs -> Prometheus rule files and promtool unit-test files."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from obs.model.environment import Environment
from obs.model.rules import AlertRule, AlertTest, ClockValues, RecordingRule, RuleGroup, RulePack
from obs.placement import Placement, place
from obs.render.base import WHOLE, RenderContext, RenderedFile, Share
from obs.render.layout import tier_dir
from obs.serialize import Block

RULES_DIR = "prometheus/rules"
TESTS_DIR = "prometheus/tests"


def rule_file_path(pack: RulePack) -> str:
    return f"{RULES_DIR}/{pack.name}.yaml"


def dashboard_url(env: Environment, dashboard: Any) -> str:
    """The Grafana URL of a dashboard object (anything with a `uid`)."""
    return f"{env.urls.grafana.rstrip('/')}/d/{dashboard.uid}"


def runbook_url(env: Environment, alert: AlertRule) -> str:
    """The alert's runbook: its own URL, else the environment's runbook base plus its name."""
    return alert.runbook_url or f"{env.urls.runbooks.rstrip('/')}/{alert.name.lower()}"


def alert_annotations(env: Environment, alert: AlertRule) -> dict[str, str]:
    """All annotations of an alert, sorted: summary, description, runbook/dashboard URLs, extras."""
    annotations = {"summary": alert.summary, "description": alert.description,
                   "runbook_url": runbook_url(env, alert), **alert.annotations}
    if alert.dashboard is not None:
        annotations["dashboard_url"] = dashboard_url(env, alert.dashboard)
    return dict(sorted(annotations.items()))


def render_rule(env: Environment, rule: AlertRule | RecordingRule) -> dict[str, Any]:
    """One rule as Prometheus expects it."""
    expr = rule.expr.strip()
    if isinstance(rule, RecordingRule):
        out: dict[str, Any] = {"record": rule.record, "expr": expr}
        if rule.labels:
            out["labels"] = dict(sorted(rule.labels.items()))
        return out
    out = {"alert": rule.name, "expr": expr}
    if rule.for_ not in ("0m", "0s"):
        out["for"] = rule.for_
    if rule.keep_firing_for:
        out["keep_firing_for"] = rule.keep_firing_for
    out["labels"] = dict(sorted(rule.static_labels.items()))
    out["annotations"] = alert_annotations(env, rule)
    return out


def render_group(env: Environment, group: RuleGroup) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name}
    if group.interval:
        out["interval"] = group.interval
    if group.limit is not None:
        out["limit"] = group.limit
    out["rules"] = [render_rule(env, rule) for rule in group.rules]
    return out


def render_rule_groups(env: Environment, pack: RulePack) -> dict[str, Any]:
    """The `groups:` document of a pack (shared by rule files and PrometheusRule specs)."""
    return {"groups": [render_group(env, group) for group in pack.groups]}


@dataclass(frozen=True)
class RuleTester:
    """A rule unit-test runner that reads promtool's test-file format. Each puts the first sample
    and evaluation of a test at its own fixed instant (`clock_start`, Unix seconds): timestamp
    values in the test data (ClockValues) are written relative to it."""

    name: str
    clock_start: int


# promtool (2.x; 3.x without `start_timestamp`) starts every test at the Unix epoch. vmalert-tool
# starts at 2000-01-01T00:00:00Z (its unittest.testStartTime) and needs the test run with
# --disableAlertgroupLabel (else every expected alert must name its group); otherwise it reads the
# same files (obs writes no promql_expr_test, which it calls metricsql_expr_test).
PROMTOOL = RuleTester("promtool", 0)
VMALERT_TOOL = RuleTester("vmalert-tool", 946_684_800)


def alert_check(alert: AlertRule, test: AlertTest, annotations: Mapping[str, str]) -> dict[str, Any]:
    """The `alert_rule_test` entry of one test: the alerts expected at `test.at` (`annotations`:
    the alert's, see alert_annotations)."""
    expected = []
    for fired in test.fires:
        labels = {**fired.labels, **alert.static_labels}
        expected.append({
            "exp_labels": dict(sorted(labels.items())),
            "exp_annotations": {**annotations, "description": fired.description},
        })
    return {"eval_time": test.at, "alertname": alert.name, "exp_alerts": expected}


def input_series(test: AlertTest, tester: RuleTester) -> tuple[tuple[str, str], ...]:
    """(series, values) of a test's input for `tester` (timestamps relative to its clock)."""
    return tuple((s, v.at(tester.clock_start) if isinstance(v, ClockValues) else v) for s, v in test.series.items())


def merged_name(names: list[str]) -> str:
    """The name of a case checking several "<alert>: <scenario>" tests:
    "<alert>, <alert>: <scenario> / <scenario>"."""
    if len(names) == 1:
        return names[0]
    alerts = dict.fromkeys(n.partition(": ")[0] for n in names)
    scenarios = dict.fromkeys(n.partition(": ")[2] for n in names)
    return f"{', '.join(alerts)}: {' / '.join(scenarios)}"


def merged_cases(env: Environment, pack: RulePack, tester: RuleTester = PROMTOOL) -> list[dict[str, Any]]:
    """The test cases of a pack's alerts. Tests with the same input (e.g. a page and a ticket
    alert fed the same burn) are one case checking every alert: promtool sets up storage per
    case, so this halves SLO test time. Tests are grouped by input before anything is rendered,
    so each case's input series are built once."""
    cases: dict[tuple, tuple[list[str], list[dict[str, Any]]]] = {}  # (interval, input) -> names, checks
    for alert in pack.alerts:
        if not alert.tests:
            continue
        annotations = alert_annotations(env, alert)
        for test in alert.tests:
            key = (test.interval, input_series(test, tester))
            names, checks = cases.setdefault(key, ([], []))
            names.append(f"{alert.name}: {test.name}")
            checks.append(alert_check(alert, test, annotations))
    return [{"name": merged_name(names), "interval": interval,
             "input_series": [{"series": s, "values": v} for s, v in series], "alert_rule_test": checks}
            for (interval, series), (names, checks) in cases.items()]


def render_tests(env: Environment, pack: RulePack, tester: RuleTester = PROMTOOL, rule_files: Sequence[str] | None = None,
                 eval_order: Sequence[str] | None = None) -> dict[str, Any] | None:
    """The unit-test file of a pack (promtool's, unless another `tester`), or None when no alert
    has tests. `rule_files` (default: the pack's own file) and `eval_order` (default: its groups)
    let the tests of a pack's global groups load its cluster-tier file as well."""
    cases = merged_cases(env, pack, tester)
    if not cases:
        return None
    return {
        "rule_files": list(rule_files or [f"../rules/{pack.name}.yaml"]),
        "evaluation_interval": "1m",
        # promtool evaluates groups in random order unless told: alerts that read another group's
        # recording rules (SLOs) would see them one evaluation old or not, at random.
        "group_eval_order": list(eval_order or [group.name for group in pack.groups]),
        "tests": cases,
    }


def placement(ctx: RenderContext) -> Placement:
    """Every rule group's tier in this environment (worked out and checked once)."""
    return ctx.once("placement", lambda: place(ctx.env, ctx.defs))


def placed_packs(ctx: RenderContext) -> Iterator[tuple[str, RulePack, RulePack]]:
    """(tier, the pack's groups on that tier, the whole pack) for every rule pack."""
    where = placement(ctx)
    for pack in ctx.defs.all_rule_packs():
        for tier, part in where.split(pack).items():
            yield tier, part, pack


RULE_GROUPS = "rule-groups"  # RenderContext.once key of the serialised groups


def rule_groups_block(ctx: RenderContext, pack: RulePack) -> Block:
    """A pack's `groups:` document, serialised once for its rule file and its PrometheusRule."""
    return ctx.once((RULE_GROUPS, pack.name, tuple(g.name for g in pack.groups)),
                    lambda: Block(render_rule_groups(ctx.env, pack)))


def tier_tests(ctx: RenderContext, tier: str, part: RulePack, pack: RulePack,
               tester: RuleTester = PROMTOOL) -> dict[str, Any] | None:
    """The tests of the alerts on one tier (for promtool, unless another `tester`): global alerts
    load the pack's cluster-tier file too, and the evaluation order lists exactly the groups loaded."""
    files, loaded = [f"../rules/{pack.name}.yaml"], part
    if tier == "global" and part is not pack and any(placement(ctx).tier(pack, g) == "cluster" for g in pack.groups):
        files.append(f"../../{tier_dir(ctx.env, 'cluster')}{RULES_DIR}/{pack.name}.yaml")
        loaded = pack
    return render_tests(ctx.env, part, tester, files, [g.name for g in loaded.groups])


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """The rule file of every rule pack, in the folder of each group's tier."""
    for tier, part, _ in placed_packs(ctx):
        yield RenderedFile(f"{tier_dir(ctx.env, tier)}{rule_file_path(part)}", rule_groups_block(ctx, part).to_yaml(),
                           "bytes")


def render_unit_tests(ctx: RenderContext, share: Share = WHOLE) -> Iterable[RenderedFile]:
    """The promtool unit tests of every rule pack (of `share` of the packs), beside its rule file.
    Divisible: each test file reads only its pack, so another process can render a share
    (obs.pipeline renders one beside the linters)."""
    for index, (tier, part, pack) in enumerate(placed_packs(ctx)):
        if share.holds(index):
            tests = tier_tests(ctx, tier, part, pack)
            if tests is not None:
                yield RenderedFile(f"{tier_dir(ctx.env, tier)}{TESTS_DIR}/{pack.name}.test.yaml", tests)
