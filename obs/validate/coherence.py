"""The coherence check: every metric and label a rule, SLO or dashboard query selects is produced by
a declared source (obs.catalog). A typo in a label of an SLO's bad-events query would otherwise
build fine and never burn. Findings name the definition, where the query is, and the nearest
known name."""
from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple, Sequence

from obs.labels import SLO_NAME, SLO_SERVICE
from obs.catalog.catalogue import Catalogue, Reads, reads_of, selection_reads, source_catalogue, value_matches
from obs.catalog.otel import RESOURCE_ATTRIBUTES
from obs.catalog.promql import Selection, Shaped, forget_shapes, select, shape_of, shaped
from obs.model.rules import AlertRule, RecordingRule, RuleGroup, RulePack
from obs.render.base import RenderContext
from obs.render.grafana import dashboard_json
from obs.validate.lint import LintIssue

CHECK = "coherence"
DECLARE = ("declare the source that produces it: Definitions(sources=[*obs.catalog.cluster.cluster_exporters(), "
           "MetricSource('<exporter>', {'<metric>': ['<label>', ...]}, labels=['job', 'instance', ...])]); for "
           "services instrumented outside obs add obs.catalog.otel.semconv_source()")
_RESOURCE_LABELS = {a.replace(".", "_") for a in RESOURCE_ATTRIBUTES}


def _did_you_mean(nearest: str | None) -> str:
    return f"; did you mean {nearest!r}?" if nearest else ""


def _label_fix(label: str, cluster_label: str, dropped: frozenset[str] = frozenset()) -> str:
    if label in dropped:
        return (f"the collectors delete {label!r} from data points (a transform processor's delete_key); keep it "
                "there or stop selecting it")
    if label in _RESOURCE_LABELS:
        return (f"{label!r} is a resource attribute: after the collector it is only on target_info (resource-to-"
                "telemetry conversion is off); copy it onto data points with a transform processor as "
                "obs.topologies.common.promote_labels does, or join with target_info")
    if label == cluster_label:
        return (f"make the pipeline add {label!r} to this source (docs/label-provenance.md), or declare the "
                "source with it")
    return "use a label the source produces, or declare the source's labels with MetricSource"


def check_expr(catalogue: Catalogue, expr: str, cluster_label: str = "cluster",
               selection: Selection | None = None) -> list[str]:
    """Problems of one PromQL expression against the catalogue, each with a hint and a fix."""
    problems = []
    selection = selection or select(expr)
    known = []
    for selector in selection.selectors:
        metric = selector.metric
        if metric is None:
            continue
        if not catalogue.knows(metric):
            problems.append(f"selects {metric!r}, which no declared source produces"
                            f"{_did_you_mean(catalogue.nearest_metric(metric))} (fix: {DECLARE})")
            continue
        known.append(metric)
        for label in selector.labels:
            if label not in catalogue.labels[metric]:
                problems.append(f"selects label {label!r} of {metric!r} ({catalogue.origin[metric]}), which it does "
                                f"not carry{_did_you_mean(catalogue.nearest_label(label, [metric]))} "
                                f"(fix: {_label_fix(label, cluster_label, catalogue.dropped)})")
        for label, op, value in selector.matchers:
            allowed = catalogue.values.get(metric, {}).get(label)
            if allowed and "$" not in value and not value_matches(op, value, allowed):
                problems.append(f"{metric}{{{label}{op}\"{value}\"}} matches no {label} the bundle produces "
                                f"({', '.join(sorted(allowed))}) (fix: select the bundle's own, e.g. "
                                f"obs.collector.kubernetes.job_selector(collectors))")
    if known:
        in_scope = {label for metric in known for label in catalogue.labels[metric]} | selection.created
        for label in sorted(selection.grouping_labels - in_scope):
            problems.append(f"groups or matches on label {label!r}, which none of {', '.join(sorted(set(known)))} "
                            f"carries{_did_you_mean(catalogue.nearest_label(label, known))} "
                            f"(fix: {_label_fix(label, cluster_label, catalogue.dropped)})")
    return problems


class _Rule(NamedTuple):
    """A rule of the environment, with its expression's shape (None: not shaped) and the key of
    its check (`_check_key`). Where it is is only spelled out for a finding (`_rule_where`)."""

    pack: RulePack
    group: RuleGroup
    rule: AlertRule | RecordingRule
    found: Shaped | None
    key: tuple | None


def _rule_where(rule: _Rule, own: set[str]) -> tuple[str, str]:
    """(definition, where) of a rule's findings; generated SLO rules are named after their SLO."""
    pack, group, name = rule.pack, rule.group, rule.rule.definition
    if pack.name in own:
        return name, f"rule pack {pack.name!r}, group {group.name!r}"
    slo = rule.rule.labels.get(SLO_SERVICE), rule.rule.labels.get(SLO_NAME)
    owner = f"SLO {slo[0]}/{slo[1]}" if all(slo) else f"SLO rule pack {pack.name!r}"
    return owner, f"{name} in group {group.name!r}"


def _rules(ctx: RenderContext, catalogue: Catalogue, positions: dict[str, tuple[int, ...]]) -> list[_Rule]:
    """Every rule, each expression shaped once for both the catalogue and the check."""
    out = []
    for pack in ctx.defs.all_rule_packs():
        for group in pack.groups:
            for rule in group.rules:
                found = shape_of(rule.expr)
                out.append(_Rule(pack, group, rule, found, _check_key(found, catalogue, positions)))
    return out


def _check_key(found: Shaped | None, catalogue: Catalogue, positions: dict[str, tuple[int, ...]]) -> tuple | None:
    """The shape and the literals `check_expr` reads (None: not shaped): expressions with one
    key get one answer. It also decides what the catalogue reads of the expression (metric and
    created-label literals are among them)."""
    return None if found is None else found.deciding(lambda use: _decides(use, catalogue), positions)


def _reads(rules: Sequence[_Rule]) -> list[Reads]:
    """What the catalogue reads of each rule, worked out once per check key."""
    by_key: dict[tuple, Reads] = {}
    out = []
    for rule in rules:
        if rule.found is None or rule.key is None:
            out.append(reads_of(rule.rule.expr))
            continue
        reads = by_key.get(rule.key)
        if reads is None:
            reads = by_key[rule.key] = selection_reads(rule.found.shape.fill(list(rule.found.strings)))
        out.append(reads)
    return out


def _dashboard_queries(ctx: RenderContext) -> Iterator[tuple[str, str, str]]:
    """Panel queries, and each label_values(expr, label) variable as `group by (label) (expr)`, so
    the label it lists is checked too."""
    if not ctx.defs.all_dashboards():
        return
    from obs.validate.dashboard_queries import LABEL_VALUES, prometheus_queries  # the promtool side: with dashboards only
    for board in ctx.defs.all_dashboards():
        data = dashboard_json(ctx, board)
        for query in prometheus_queries(data, f"{board.name}.json"):
            if not query.where.startswith("variable "):
                yield f"dashboard {board.name!r}", query.where, query.expr
        for variable in data.get("templating", {}).get("list", []):
            match = LABEL_VALUES.match(str(variable.get("query", ""))) if variable.get("type") == "query" else None
            if match:
                yield (f"dashboard {board.name!r}", f"variable {variable.get('name')!r}",
                       f"group by ({match[2]}) ({match[1]})")


def _checked(catalogue: Catalogue, expr: str, cluster_label: str, clean: set[tuple],
             positions: dict[str, tuple[int, ...]], found: Shaped | None = None,
             key: tuple | None = None) -> list[str]:
    """`check_expr`, skipped for an expression whose shape and deciding literals (metric and label
    names, created labels, values of labels the catalogue knows values of) passed already: the
    SLO rules of a thousand services differ only in literals no check reads. `positions` holds
    which literals decide, per shape, for this catalogue; `found` and `key` are the expression's
    shape and check key when the caller has them."""
    if found is None or key is None:
        found = shaped(expr)
        if found is None:
            return check_expr(catalogue, expr, cluster_label)
        key = found.deciding(lambda use: _decides(use, catalogue), positions)
    if key in clean:
        return []
    problems = check_expr(catalogue, expr, cluster_label, found.shape.fill(list(found.strings)))
    if not problems:
        clean.add(key)
    return problems


def _decides(use: tuple[str, ...] | None, catalogue: Catalogue) -> bool:
    if use is None or use[0] == "read":  # a literal check_expr never reads (e.g. a replacement)
        return False
    if use[0] == "value":
        return bool(catalogue.values.get(use[1], {}).get(use[2]))
    return True


def lint_coherence(ctx: RenderContext) -> Iterable[LintIssue]:
    """Every rule, SLO and dashboard query against the catalogue of the environment's definitions.
    The catalogue's label values come from its sources alone, so each rule's check key is worked
    out before its rules are added, and one shaping of each expression serves both."""
    catalogue = source_catalogue(ctx.env, ctx.defs)
    positions: dict[str, tuple[int, ...]] = {}
    rules = _rules(ctx, catalogue, positions)
    reads = _reads(rules)
    catalogue.add_rules([(r.rule, found) for r, found in zip(rules, reads, strict=True)])
    own = {pack.name for pack in ctx.defs.rule_packs}
    seen: set[tuple[str, str]] = set()
    clean: set[tuple] = set()
    cluster_label = ctx.env.cluster_label
    for rule in rules:
        if rule.key is not None and rule.key in clean:
            continue
        problems = _checked(catalogue, rule.rule.expr, cluster_label, clean, positions, rule.found, rule.key)
        if problems:
            definition, where = _rule_where(rule, own)
            yield from _issues(definition, where, problems, seen)
    for definition, where, expr in _dashboard_queries(ctx):
        yield from _issues(definition, where, _checked(catalogue, expr, cluster_label, clean, positions), seen)
    forget_shapes()


def _issues(definition: str, where: str, problems: list[str], seen: set[tuple[str, str]]) -> Iterator[LintIssue]:
    """A finding per problem, once per definition."""
    for problem in problems:
        if (definition, problem) not in seen:
            seen.add((definition, problem))
            yield LintIssue("error", definition, CHECK, f"{where}: {problem}")
