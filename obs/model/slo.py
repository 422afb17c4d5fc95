"""Service level objectives: an SLI, an objective over a period, and burn-rate alerting.

    SLO(service="checkout", name="availability", objective=99.9,
        sli=EventsSLI(bad=counter_rate("http_requests_total", 'code=~"5.."'),
                      total=counter_rate("http_requests_total")))

SLI queries are PromQL with a `{{window}}` placeholder (Sloth's `{{.window}}` is accepted too).
obs evaluates them over one-minute tiles (`TILE`): the placeholder becomes the tile plus the SLO's
`scrape_interval`, so each evaluation measures exactly the last minute of events (see obs.slo.rules).
Alert windows are whole minutes, 1m or longer, and each window set is designed for one SLO period
(`BurnRateWindow.period`): an SLO refuses windows designed for another period unless its alerting
asks for scaling (`SLOAlerting(scale_windows=True)`). Google's windows exist for 28d and 30d (as in
Sloth). A window pair whose factor needs an error ratio of 100% or more can never fire: it is dropped
and the SLO says so in `notes`. obs.slo turns an SLO into recording rules, alerts and tests.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Mapping, Sequence, Union

from obs import labels
from obs.errors import DefinitionError
from obs.model.suppress import Suppress, suppressions
from obs.model.checks import (
    check_duration, check_label_name, check_labels, check_metric_name, check_no_empty_values, duration_seconds,
    format_duration, frozen_mapping,
)

WINDOW = "{{window}}"
_WINDOW_RE = re.compile(r"\{\{\s*\.?window\s*\}\}")
BASE_WINDOW = "5m"  # the window of the current burn rate (and the shortest default alert window)
TILE = "1m"  # the SLI is measured per tile; every window is a whole number of tiles
DEFAULT_PERIOD = "30d"
# Labels obs sets on SLO series and alerts; an SLO's own labels must not reuse them.
RESERVED_LABELS = (labels.SLO_SERVICE, labels.SLO_NAME, labels.SLO_SEVERITY, labels.SEVERITY, labels.LONG_WINDOW,
                   labels.SHORT_WINDOW, labels.SLOTH_SERVICE, labels.SLOTH_SLO, labels.SLOTH_ID, labels.SLOTH_WINDOW,
                   labels.SLOTH_SEVERITY)
SEVERITY_OF = MappingProxyType({"page": "critical", "ticket": "warning"})
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")


def with_window(query: str, window: str) -> str:
    """`query` with its window placeholder replaced by `window`."""
    return _WINDOW_RE.sub(window, query)


def _check_query(what: str, field_name: str, query: object) -> str:
    if not isinstance(query, str) or not query.strip():
        raise DefinitionError(what, field_name, f"{query!r} is not a PromQL query",
                              f"give a query with a [{WINDOW}] range, e.g. sum by (cluster) (rate(x_total[{WINDOW}]))")
    if not _WINDOW_RE.search(query):
        raise DefinitionError(what, field_name, f"{query!r} has no {WINDOW} placeholder",
                              f"write the range as [{WINDOW}], e.g. rate(x_total[{WINDOW}]), "
                              "so obs can evaluate it over each window")
    return _WINDOW_RE.sub(WINDOW, query)


def counter_rate(metric: str, *matchers: str, by: Sequence[str] = ("cluster",)) -> str:
    """`sum by (cluster) (rate(metric{matchers}[{{window}}]))`: an events query for EventsSLI."""
    inner = ", ".join(m for m in matchers if m)
    sel = f"{metric}{{{inner}}}" if inner else metric
    return f"sum by ({', '.join(by)}) (rate({sel}[{WINDOW}]))"


def counter_rates(metrics: Sequence[str], *matchers: str, by: Sequence[str] = ("cluster",)) -> str:
    """The summed rate of several counters (missing ones count as 0), e.g. a collector's accepted,
    refused and failed spans. Not `{__name__=~"a|b"}`: rate() drops
    the names, and two series then share one label set, which PromQL rejects."""
    if len(metrics) == 1:
        return counter_rate(metrics[0], *matchers, by=by)
    terms = [f'label_replace({counter_rate(m, *matchers, by=by)}, "obs_term", "{i}", "", "")'
             for i, m in enumerate(metrics)]
    return f"sum by ({', '.join(by)}) (\n  " + "\n  or ".join(terms) + "\n)"


@dataclass(frozen=True)
class EventsSLI:
    """Bad events over total events: two counter-rate queries returning the same label sets.
    `denominator_corrected` divides a window's bad-event rate by the total rate over the whole
    period instead of over the window (Sloth's denominator_corrected_rules plugin): in quiet hours a
    few failures burn the budget in proportion to their share of the period's traffic."""

    bad: str
    total: str
    denominator_corrected: bool = False
    kind = "events"

    def __post_init__(self) -> None:
        object.__setattr__(self, "bad", _check_query("events SLI", "bad", self.bad))
        object.__setattr__(self, "total", _check_query("events SLI", "total", self.total))
        if not isinstance(self.denominator_corrected, bool):
            raise DefinitionError("events SLI", "denominator_corrected", f"{self.denominator_corrected!r} is not "
                                  "True or False", "True divides by the period's traffic (Sloth's plugin)")


def le_values(threshold: float) -> tuple[str, ...]:
    """The `le` label values a bucket boundary has in the wild: Prometheus 2.x keeps the client's
    text ('1' from Go clients, '1.0' from Python), 3.x normalises to a float with '.0' ('1.0')."""
    text = repr(float(threshold))
    forms = {text}
    if text.endswith(".0"):
        forms.add(text[:-2])
    if "e" in text:  # Go formats exponents with two digits: 1e-05
        mantissa, exp = text.split("e")
        forms.add(f"{mantissa}e{exp[0] if exp[0] in '+-' else '+'}{exp.lstrip('+-').zfill(2)}")
    return tuple(sorted(forms))


@dataclass(frozen=True)
class LatencySLI:
    """Requests slower than `threshold` seconds are bad, from a classic histogram `metric`
    (`<metric>_bucket{le}` and `<metric>_count`). `selector` holds label matchers without braces;
    `buckets`, when given, are the histogram's boundaries and the threshold must be one of them."""

    metric: str
    threshold: float
    selector: str = ""
    buckets: Sequence[float] = ()
    by: Sequence[str] = ("cluster",)
    kind = "latency"

    def __post_init__(self) -> None:
        what = f"latency SLI on {self.metric!r}"
        check_metric_name(what, "metric", self.metric)
        if self.metric.endswith(("_bucket", "_count", "_sum")):
            raise DefinitionError(what, "metric", "names a histogram series, not the histogram",
                                  f"drop the suffix: {self.metric.rsplit('_', 1)[0]!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) \
                or self.threshold <= 0:
            raise DefinitionError(what, "threshold", f"{self.threshold!r} is not a positive number of seconds",
                                  "give the latency bound in seconds, e.g. 0.5")
        object.__setattr__(self, "buckets", tuple(float(b) for b in self.buckets))
        object.__setattr__(self, "by", tuple(self.by))
        for index, name in enumerate(self.by):  # they group the SLI and label its series and alerts
            check_label_name(what, f"by[{index}]", name)
        if self.buckets and float(self.threshold) not in self.buckets:
            raise DefinitionError(what, "threshold", f"{self.threshold} is not one of the histogram's buckets "
                                  f"{list(self.buckets)}", "pick a bucket boundary: the SLI can only count "
                                  "requests at a boundary (or add the bucket to the instrumentation)")

    def _sum(self, series: str, extra: str = "") -> str:
        matchers = ", ".join(m for m in (self.selector, extra) if m)
        return f"sum by ({', '.join(self.by)}) (rate({self.metric}_{series}{{{matchers}}}[{WINDOW}]))"

    @property
    def total(self) -> str:
        return self._sum("count")

    @property
    def good(self) -> str:
        pattern = "|".join(v.replace(".", "\\\\.") for v in le_values(self.threshold))
        return self._sum("bucket", f'le=~"{pattern}"')

    @property
    def bad(self) -> str:
        return f"{self.total} - {self.good}"


@dataclass(frozen=True)
class RawSLI:
    """An error-ratio query (0..1) with a {{window}} placeholder, for SLIs with no event counts."""

    error_ratio: str
    kind = "raw"

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_ratio", _check_query("raw SLI", "error_ratio", self.error_ratio))


SLI = Union[EventsSLI, LatencySLI, RawSLI]


@dataclass(frozen=True)
class BurnRateWindow:
    """One multi-window condition: the error ratio over both `long` and `short` exceeds `factor`
    times the error budget. `factor` is designed for an SLO `period` (default 30d): over `long` it
    spends `factor * long / period` of the budget. `budget_share` builds one from that share, as
    Sloth's AlertWindows specs state it (`errorBudgetPercent`)."""

    long: str
    short: str
    factor: float
    period: str = DEFAULT_PERIOD

    def __post_init__(self) -> None:
        what = f"burn-rate window {self.long}/{self.short}"
        for name in ("long", "short", "period"):
            check_duration(what, name, getattr(self, name))
        for name in ("long", "short"):
            seconds = duration_seconds(getattr(self, name))
            if seconds < duration_seconds(TILE) or seconds % duration_seconds(TILE):
                raise DefinitionError(what, name, f"{getattr(self, name)} is not a whole number of minutes "
                                      f"of at least {TILE}", f"SLIs are measured per {TILE} tile: use e.g. "
                                      "2m, 5m or 1h")
        if duration_seconds(self.short) >= duration_seconds(self.long):
            raise DefinitionError(what, "short", "is not shorter than the long window",
                                  "the short window confirms the burn is still happening: make it ~1/12 of long")
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) or self.factor <= 0:
            raise DefinitionError(what, "factor", f"{self.factor!r} is not a positive burn rate", "e.g. 14.4")

    @classmethod
    def budget_share(cls, long: str, short: str, percent: float, period: str) -> "BurnRateWindow":
        """The window that fires after `percent` of a `period` budget is spent over `long`
        (Google's 2% in 1h of 30d -> factor 14.4)."""
        check_duration(f"burn-rate window {long}/{short}", "period", period)
        check_duration(f"burn-rate window {long}/{short}", "long", long)
        if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent <= 100:
            raise DefinitionError(f"burn-rate window {long}/{short}", "percent", f"{percent!r} is not a share "
                                  "of the budget in percent", "e.g. 2 (2% of the budget over the long window)")
        factor = percent / 100 * duration_seconds(period) / duration_seconds(long)
        return cls(long, short, round(factor, 9), period)

    def factor_for(self, period: str) -> float:
        """The burn rate for an SLO over `period`, spending the same budget share (14.4 -> 13.44 for
        28d); the factor itself for the period the window was designed for."""
        if duration_seconds(period) == duration_seconds(self.period):
            return self.factor
        return round(self.factor * duration_seconds(period) / duration_seconds(self.period), 6)

    def scaled_to(self, period: str) -> "BurnRateWindow":
        return BurnRateWindow(self.long, self.short, self.factor_for(period), period)


@functools.lru_cache(maxsize=64)  # immutable windows, asked for by every SLO of a period
def google_windows(period: str) -> tuple[tuple[BurnRateWindow, ...], tuple[BurnRateWindow, ...]] | None:
    """The SRE workbook's page and ticket windows for a 28d or 30d period (Sloth ships both),
    else None: page after 2% of the budget in 1h or 5% in 6h, ticket after 10% in 1d or in 3d."""
    if duration_seconds(period) not in (28 * 86400, 30 * 86400):
        return None
    share = BurnRateWindow.budget_share
    period = window_name(period)
    return ((share("1h", "5m", 2, period), share("6h", "30m", 5, period)),
            (share("1d", "2h", 10, period), share("3d", "6h", 10, period)))


PAGE_WINDOWS = (BurnRateWindow("1h", "5m", 14.4), BurnRateWindow("6h", "30m", 6))
TICKET_WINDOWS = (BurnRateWindow("1d", "2h", 3), BurnRateWindow("3d", "6h", 1))


@dataclass(frozen=True)
class SLOAlerting:
    """How an SLO alerts: page (severity critical) and ticket (warning) burn-rate windows.
    `name` is the alert name stem (default <Service><Name>ErrorBudgetBurn); alerts are
    `<name>Page` and `<name>Ticket`. Empty windows disable that alert. `dashboard` (a Dashboard
    object) becomes the alerts' dashboard_url; `summary` replaces obs's static summary. Windows designed for another period than the SLO's
    are refused unless `scale_windows` (then they spend the same budget shares over the SLO's
    period, Sloth's scaling)."""

    page_windows: Sequence[BurnRateWindow] = PAGE_WINDOWS
    ticket_windows: Sequence[BurnRateWindow] = TICKET_WINDOWS
    name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    page_labels: Mapping[str, str] = field(default_factory=dict)
    ticket_labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    runbook_url: str | None = None
    dashboard: Any = None
    scale_windows: bool = False
    summary: str | None = None
    # An SLO whose page windows all drop (none could ever fire at its objective) is an error
    # unless this says a ticket-only SLO is meant.
    allow_dropped_page: bool = False

    def __post_init__(self) -> None:
        what = "SLO alerting"
        if self.summary is not None and (not isinstance(self.summary, str) or not self.summary.strip()):
            raise DefinitionError(what, "summary", f"{self.summary!r} is not a text",
                                  "give a one-line summary, or leave it out for obs's own")
        if not isinstance(self.allow_dropped_page, bool):
            raise DefinitionError(what, "allow_dropped_page", f"{self.allow_dropped_page!r} is not True or False")
        if not isinstance(self.scale_windows, bool):
            raise DefinitionError(what, "scale_windows", f"{self.scale_windows!r} is not True or False",
                                  "scale_windows=True scales windows designed for another period")
        if self.dashboard is not None and not hasattr(self.dashboard, "uid"):
            raise DefinitionError(what, "dashboard", f"{self.dashboard!r} is not a dashboard",
                                  "pass the Dashboard object the burn-rate alerts link to")
        for name in ("page_windows", "ticket_windows"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
            for window in getattr(self, name):
                if not isinstance(window, BurnRateWindow):
                    raise DefinitionError(what, name, f"{window!r} is not a BurnRateWindow",
                                          "write BurnRateWindow(long='1h', short='5m', factor=14.4)")
        for name in ("labels", "page_labels", "ticket_labels", "annotations"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))
            check_labels(what, name, getattr(self, name))
        for name in ("labels", "page_labels", "ticket_labels"):
            clash = set(getattr(self, name)) & set(RESERVED_LABELS)
            if clash:
                raise DefinitionError(what, name, f"sets {sorted(clash)}, which obs sets itself",
                                      "severity follows page (critical) / ticket (warning); drop these labels")

    def windows(self) -> dict[str, Sequence[BurnRateWindow]]:
        """Severity ('page', 'ticket') -> its windows, for enabled severities."""
        return {s: w for s, w in (("page", self.page_windows), ("ticket", self.ticket_windows)) if w}


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^a-zA-Z0-9]+", text) if part)


@dataclass(frozen=True)
class SLO:
    """A service level objective: `objective` percent of `sli` events are good over `period`.
    `min_event_rate` (events/s over an alert's long window) holds alerts back on low traffic,
    where one failed request is a large error ratio; it needs an events or latency SLI.
    `scrape_interval` is the longest scrape interval of the SLI's series (at most the 1m tile): the
    SLI queries read a tile plus one scrape, so every tile sees two samples. `sloth_labels` also
    writes Sloth's labels and `sloth_slo_info` so Sloth's Grafana dashboards work unchanged;
    `info_labels` are extra labels on `sloth_slo_info` only (Sloth's info_labels plugin).
    `notes` says what the SLO changed (e.g. a window pair that could never fire, dropped).
    `suppress` silences lint rules on the rules generated from this SLO, each with a reason
    (obs.Suppress)."""

    service: str
    name: str
    objective: float
    sli: SLI
    period: str = "30d"
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    alerting: SLOAlerting = field(default_factory=SLOAlerting)
    min_event_rate: float = 0.0
    suppress: Mapping[str, str] | Sequence[Suppress] = ()
    scrape_interval: str = "30s"
    sloth_labels: bool = False
    info_labels: Mapping[str, str] = field(default_factory=dict)
    # Who asserts that the metrics the SLI selects exist (e.g. 'obs import getting-started.yml',
    # 'teams/search.yaml'): the coherence check then takes them, with the labels the queries use,
    # as a declared source (obs.catalog.asserted), shown in `obs list`. Empty: they must come from
    # a declared source like every other rule's.
    asserted_source: str = ""
    notes: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)

    @property
    def definition(self) -> str:
        return f"SLO '{self.service}/{self.name}'"

    def __post_init__(self) -> None:
        what = self.definition
        for name in ("service", "name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _NAME_RE.match(value):
                raise DefinitionError(what, name, f"{value!r} is not a valid name",
                                      "use letters, digits, '-', '_' and '.', e.g. 'checkout-api'")
        self._check_objective()
        if not isinstance(self.sli, (EventsSLI, LatencySLI, RawSLI)):
            raise DefinitionError(what, "sli", f"{self.sli!r} is not an SLI",
                                  "use EventsSLI, LatencySLI or RawSLI")
        check_duration(what, "period", self.period)
        object.__setattr__(self, "labels", frozen_mapping(self.labels))
        check_labels(what, "labels", self.labels)
        check_no_empty_values(what, "labels", self.labels)  # Prometheus would drop it from every series
        clash = set(self.labels) & set(RESERVED_LABELS)
        if clash:
            raise DefinitionError(what, "labels", f"sets {sorted(clash)}, which obs sets itself",
                                  "rename these labels")
        if not isinstance(self.alerting, SLOAlerting):
            raise DefinitionError(what, "alerting", f"{self.alerting!r} is not SLOAlerting",
                                  "pass SLOAlerting(...), e.g. SLOAlerting(ticket_windows=())")
        self._check_scrape_interval()
        if not isinstance(self.sloth_labels, bool):
            raise DefinitionError(what, "sloth_labels", f"{self.sloth_labels!r} is not True or False",
                                  "sloth_labels=True adds Sloth's labels and sloth_slo_info")
        if not isinstance(self.asserted_source, str):
            raise DefinitionError(what, "asserted_source", f"{self.asserted_source!r} is not a text",
                                  "say who asserts the SLI's metrics exist, e.g. 'teams/search.yaml'")
        object.__setattr__(self, "info_labels", frozen_mapping(self.info_labels))
        check_labels(what, "info_labels", self.info_labels)
        if self.info_labels and not self.sloth_labels:
            raise DefinitionError(what, "info_labels", "labels sloth_slo_info, which needs sloth_labels=True",
                                  "set sloth_labels=True or drop info_labels")
        self._resolve_windows()
        object.__setattr__(self, "suppress", suppressions(what, self.suppress))
        if isinstance(self.min_event_rate, bool) or not isinstance(self.min_event_rate, (int, float)) \
                or self.min_event_rate < 0:
            raise DefinitionError(what, "min_event_rate", f"{self.min_event_rate!r} is not a rate >= 0",
                                  "give events per second, e.g. 0.1 (one event every 10s)")
        if self.min_event_rate and isinstance(self.sli, RawSLI):
            raise DefinitionError(what, "min_event_rate", "needs event counts, a raw SLI has none",
                                  "use an events or latency SLI, or drop min_event_rate")

    def _check_objective(self) -> None:
        """A percentage in (50, 100): a fraction such as 0.999 is the usual slip (it would build
        an SLO of 0.999% whose alerts can never fire), so the error says which percentage it meant."""
        what = self.definition
        try:
            number = Decimal(str(self.objective)) if isinstance(self.objective, (int, float)) \
                and not isinstance(self.objective, bool) else None
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            raise DefinitionError(what, "objective", f"{self.objective!r} is not a percentage between 50 and 100",
                                  "give the target percentage of good events as a number, e.g. 99.9")
        if 0 < number < 1:
            meant = (number * 100).normalize()
            raise DefinitionError(what, "objective", f"{self.objective!r} is a fraction, not a percentage "
                                  f"between 50 and 100 (did you mean {meant:f}?)",
                                  f"write objective={meant:f} ({meant:f}% of events good)")
        if not 50 < number < 100:
            raise DefinitionError(what, "objective", f"{self.objective!r} is not a percentage between 50 and 100",
                                  "give the target percentage of good events, e.g. 99.9 "
                                  "(100 leaves no error budget; 50 or less is not an objective burn-rate "
                                  "alerts can serve)")

    def _check_scrape_interval(self) -> None:
        check_duration(self.definition, "scrape_interval", self.scrape_interval)
        seconds = duration_seconds(self.scrape_interval)
        if not 0 < seconds <= duration_seconds(TILE):
            raise DefinitionError(self.definition, "scrape_interval", f"{self.scrape_interval} is not between 1s "
                                  f"and the {TILE} tile", f"scrape the SLI's series every {TILE} or more often "
                                  "and give that interval (e.g. '30s')")

    @property
    def query_window(self) -> str:
        """The range the SLI queries read per tile: the tile plus one scrape interval, so the
        first and last samples in range are exactly one tile apart."""
        return format_duration(duration_seconds(TILE) + duration_seconds(self.scrape_interval))

    def _windows_for_period(self, severity: str, windows: tuple[BurnRateWindow, ...]) -> tuple[BurnRateWindow, ...]:
        """`windows` for this SLO's period: as designed, Google's for the period, or scaled on request."""
        period = duration_seconds(self.period)
        if all(duration_seconds(w.period) == period for w in windows):
            return windows
        designed = {window_name(w.period) for w in windows if duration_seconds(w.period) != period}
        google = google_windows(self.period)
        index = 0 if severity == "page" else 1
        if google and all((found := google_windows(p)) and found[index] == windows for p in designed):
            return google[index]
        if self.alerting.scale_windows:
            return tuple(w.scaled_to(self.period) for w in windows)
        raise DefinitionError(self.definition, "period", f"the {severity} windows are designed for a "
                              f"{', '.join(sorted(designed))} period, not {self.period}",
                              f"give windows designed for {self.period} (BurnRateWindow(..., period="
                              f"{self.period!r}) or BurnRateWindow.budget_share; `obs import --windows` reads "
                              "Sloth's AlertWindows specs), or set SLOAlerting(scale_windows=True) to spend the "
                              "same budget shares over the new period")

    def _resolve_windows(self) -> None:
        """Windows made concrete for the period; pairs that could never fire dropped with a note.
        Worked out once per period, objective (as written: its text is in the notes) and alerting
        windows, the same for most SLOs of a bundle: the result names no SLO (an error does, and
        is never remembered)."""
        alerting = self.alerting
        key = (self.period, str(self.objective), alerting.page_windows, alerting.ticket_windows,
               alerting.scale_windows, alerting.allow_dropped_page)
        found = _RESOLVED.get(key)
        if found is None:
            found = self._resolved_windows()
            if len(_RESOLVED) >= 1024:
                _RESOLVED.clear()
            _RESOLVED[key] = found
        page, ticket, notes = found
        if (page, ticket) != (alerting.page_windows, alerting.ticket_windows):
            object.__setattr__(self, "alerting", replace(alerting, page_windows=page, ticket_windows=ticket))
        object.__setattr__(self, "notes", notes)  # (as given when nothing changed: no new copy)

    def _resolved_windows(self) -> tuple[tuple[BurnRateWindow, ...], tuple[BurnRateWindow, ...], tuple[str, ...]]:
        """The page and ticket windows for the period, and notes on pairs dropped."""
        what = self.definition
        notes: list[str] = []
        chosen: dict[str, tuple[BurnRateWindow, ...]] = {}
        for severity in ("page", "ticket"):
            windows = getattr(self.alerting, f"{severity}_windows")
            if not windows:
                chosen[severity] = ()
                continue
            kept = []
            for window in self._windows_for_period(severity, windows):
                if duration_seconds(window.long) > duration_seconds(self.period):
                    raise DefinitionError(what, "period", f"{self.period} is shorter than the {severity} "
                                          f"alert's {window.long} window", "lengthen the period or shorten the "
                                          "window (SLOAlerting(page_windows=..., ticket_windows=...))")
                if window.factor * float(self.error_budget) >= 1:
                    notes.append(f"{severity} window {window.long}/{window.short} dropped: a {window.factor:g}x "
                                 f"burn of a {self.error_budget} budget needs an error ratio of 100% or more, so "
                                 "it could never fire")
                else:
                    kept.append(window)
            if not kept:
                if severity == "page" and not self.alerting.allow_dropped_page:
                    raise DefinitionError(what, "objective", f"at {self.objective}% none of the page windows "
                                          f"({', '.join(f'{w.long}/{w.short}' for w in windows)}) could ever fire, "
                                          "so the SLO would have no page alert",
                                          "raise the objective, give page windows with smaller factors, or set "
                                          "SLOAlerting(allow_dropped_page=True) to keep the SLO without a page")
                notes.append(f"the {severity} alert is dropped: none of its windows could ever fire")
            chosen[severity] = tuple(kept)
        return chosen["page"], chosen["ticket"], tuple(notes)

    @functools.cached_property  # the fields are frozen; rules and proofs ask thousands of times
    def objective_ratio(self) -> Decimal:
        """The objective as a ratio, exactly (99.9 -> 0.999)."""
        return Decimal(str(self.objective)) / 100

    @functools.cached_property
    def error_budget(self) -> Decimal:
        """1 - objective, exactly (99.9 -> 0.001)."""
        return 1 - self.objective_ratio

    @property
    def period_days(self) -> Decimal:
        return Decimal(int(duration_seconds(self.period))) / 86400

    @property
    def alert_stem(self) -> str:
        return self.alerting.name or f"{_camel(self.service)}{_camel(self.name)}ErrorBudgetBurn"

    @property
    def sloth_id(self) -> str:
        """Sloth's SLO id: `<service>-<name>`."""
        return f"{self.service}-{self.name}"

    def windows(self) -> tuple[str, ...]:
        """Every window a ratio is recorded for (alert windows, the 5m current-burn window, the
        period), sorted."""
        return _recorded_windows(self.period, self.alerting.page_windows, self.alerting.ticket_windows)


# (period, objective text, page and ticket windows, scale_windows, allow_dropped_page) -> SLO._resolved_windows
_RESOLVED: dict[tuple, tuple[tuple[BurnRateWindow, ...], tuple[BurnRateWindow, ...], tuple[str, ...]]] = {}


@functools.lru_cache(maxsize=1024)
def _recorded_windows(period: str, *severities: tuple[BurnRateWindow, ...]) -> tuple[str, ...]:
    """`SLO.windows` of an SLO with this period and these windows (the same for most SLOs)."""
    names = {BASE_WINDOW, period}
    for windows in severities:
        names.update(w for window in windows for w in (window.long, window.short))
    return tuple(sorted({window_name(n) for n in names}, key=duration_seconds))


@functools.lru_cache(maxsize=1024)
def window_name(duration: str) -> str:
    """A duration in one unit, as rule names use it: '30d' stays '30d' (not '4w2d'), '1h30m' -> '90m'."""
    seconds = int(duration_seconds(duration))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
