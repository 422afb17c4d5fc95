"""Field checks shared by the model classes; each raises DefinitionError naming the field."""
from __future__ import annotations

import functools
import hashlib
import math
import re
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from obs.errors import DefinitionError
from obs.model.gotemplate import (
    ALERTMANAGER_FUNCTIONS,
    PROMETHEUS_FUNCTIONS,
    template_problem,
)

# Exactly what Prometheus' model.ParseDuration (promtool, rule files) accepts: "0", or whole numbers
# with units in descending order, each at most once ('1h30m'; not '1.5h', not '30m1h').
DURATION_RE = re.compile(r"^(?:0|(?=[0-9])(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?"
                         r"(?:[0-9]+ms)?)\Z")
_MAX_DURATION_MS = 2**63 - 1
# A Kubernetes object name (RFC 1123 label): what Services, ConfigMaps and most objects need.
K8S_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
# A DNS subdomain (ConfigMaps, Secrets): up to 253 characters, dots allowed.
K8S_SUBDOMAIN_RE = re.compile(r"^(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\Z")
# A cluster name safe in PromQL selectors and promtool series notation without escaping.
CLUSTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}\Z")
HTTP_URL_RE = re.compile(r"^https?://[^\s\x00-\x1f\x7f/?#@]+[^\s\x00-\x1f\x7f]*\Z")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
# A metric name, and a PromQL string literal: the pieces every PromQL scanner in obs picks out of
# an expression (obs.catalog.promql, obs.validate.lint, obs.validate.dashboard_queries).
METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
METRIC_NAME_RE = re.compile(rf"^{METRIC_NAME}\Z")
PROMQL_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
PROMQL_STRING_RE = re.compile(PROMQL_STRING)


def split_plain_strings(expr: str) -> list[str] | None:
    """`expr` split at its double quotes (string literals at the odd indices) when its only
    literals are double-quoted without escapes, the common case, where this is what
    PROMQL_STRING_RE finds at several times the speed; None otherwise."""
    if "'" in expr or "\\" in expr or "`" in expr or expr.count('"') % 2:
        return None
    return expr.split('"')


def blank_strings(expr: str, keep_length: bool = False) -> str:
    """`expr` with every string literal emptied (`PROMQL_STRING_RE.sub('""', expr)`), or with
    `keep_length` written as `"` and spaces of the same length (indices into `expr` hold)."""
    parts = split_plain_strings(expr)
    if parts is not None:
        if not keep_length:
            return '""'.join(parts[::2])
        parts[1::2] = [" " * len(inside) for inside in parts[1::2]]
        return '"'.join(parts)
    return PROMQL_STRING_RE.sub((lambda m: '"' + " " * (len(m[0]) - 2) + '"') if keep_length else '""', expr)


SLUG_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
# A port name (IANA_SVC_NAME, Kubernetes' IsValidPortName): 1-15 of a-z 0-9 '-', a letter among
# them, no '-' at either end or twice in a row.
PORT_NAME_RE = re.compile(r"^(?=.{1,15}\Z)(?=[a-z0-9-]*[a-z])[a-z0-9](?:-?[a-z0-9])*\Z")
# A Kubernetes label key (optional DNS-subdomain prefix, '/', a name of at most 63) and value.
K8S_LABEL_KEY_RE = re.compile(r"^(?:(?=[^/]{1,253}/)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*/)?"
                              r"(?=[^/]{1,63}\Z)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
K8S_LABEL_VALUE_RE = re.compile(r"^(?:(?=.{1,63}\Z)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?\Z")

_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION_PART_RE = re.compile(r"([0-9]+)(ms|y|w|d|h|m|s)")


@functools.lru_cache(maxsize=1024)  # a bundle uses a handful of durations, a thousand times each
def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as '1h30m' (the value must already be valid)."""
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART_RE.findall(value))


@functools.lru_cache(maxsize=1024)
def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for a whole number of seconds (e.g. 3600 -> '1h')."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    out = ""
    for unit in ("w", "d", "h", "m", "s"):
        size = int(_UNIT_SECONDS[unit])
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


def check_duration(definition: str, field: str, value: Any) -> None:
    """A Prometheus duration: digits and units, e.g. 30s, 5m, 1h30m."""
    if value.__class__ is str and value in _VALID_DURATIONS:
        return
    if not isinstance(value, str) or not DURATION_RE.match(value):
        raise DefinitionError(
            definition, field, f"{value!r} is not a Prometheus duration",
            "write whole numbers with units in the order y, w, d, h, m, s, ms, each once, e.g. '5m' or "
            "'1h30m' (no fractions: '90m', not '1.5h')")
    if duration_seconds(value) * 1000 > _MAX_DURATION_MS:
        raise DefinitionError(definition, field, f"{value!r} is longer than Prometheus can represent",
                              "use a shorter duration")
    if len(_VALID_DURATIONS) < 4096:
        _VALID_DURATIONS.add(value)


# Values that passed a check, so the thousandth rule with the same value is not checked again
# (bounded: past the bound, values are checked every time).
_VALID_DURATIONS: set[str] = set()
_VALID_LABEL_NAMES: set[str] = set()
_VALID_TEMPLATES: set[str] = set()
_VALID_METRIC_NAMES: set[str] = set()  # metric names check_metric_name accepted
_VALID_LABEL_SETS: set[tuple[str, ...]] = set()  # label-name tuples check_labels accepted


def check_number(definition: str, field: str, value: Any, minimum: float | None = None,
                 maximum: float | None = None, integer: bool = False) -> None:
    """A real number (never a bool, NaN or infinity), whole when `integer`, within the bounds."""
    kinds = (int,) if integer else (int, float)
    what = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise DefinitionError(definition, field, f"{value!r} is not {what}",
                              f"give {what}" + (f" of at least {minimum:g}" if minimum is not None else ""))
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        bounds = f"between {minimum:g} and {maximum:g}" if minimum is not None and maximum is not None \
            else f"at least {minimum:g}" if minimum is not None else f"at most {maximum:g}"
        raise DefinitionError(definition, field, f"{value!r} is out of range", f"give a value {bounds}")


def check_port(definition: str, field: str, value: Any) -> None:
    """A TCP port number, 1 to 65535."""
    check_number(definition, field, value, 1, 65535, integer=True)


def check_k8s_name(definition: str, field: str, value: str, what: str = "Kubernetes object",
                   subdomain: bool = False) -> None:
    """A Kubernetes object name: an RFC 1123 label (at most 63 lower-case letters, digits and '-'),
    or with `subdomain` a DNS subdomain (dots allowed, at most 253), as ConfigMap names are."""
    if not (K8S_SUBDOMAIN_RE if subdomain else K8S_NAME_RE).match(value):
        raise DefinitionError(definition, field, f"gives the {what} name {value!r} ({len(value)} characters), "
                              "which Kubernetes refuses",
                              f"use at most {253 if subdomain else 63} lower-case letters, digits and '-'"
                              f"{' and dots' if subdomain else ''} in total")


def fit_k8s_name(name: str, limit: int = 63) -> str:
    """`name` if it fits in `limit` characters, else cut and made unique by a hash of the whole
    name (`<first 54>-<8 hex>`), so two long names never collide after truncation."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:limit - 9].rstrip('-.')}-{digest}"


def check_port_name(definition: str, field: str, value: Any) -> None:
    """A Kubernetes port name (IANA_SVC_NAME): what a container port, Service port and a
    ServiceMonitor's `port` may be called."""
    if not isinstance(value, str) or not PORT_NAME_RE.match(value):
        raise DefinitionError(definition, field, f"{value!r} is not a port name Kubernetes accepts",
                              "use at most 15 lower-case letters, digits and single '-' (not at either end), "
                              "with at least one letter, e.g. 'http-metrics'")


def check_k8s_labels(definition: str, field: str, labels: Mapping[str, Any]) -> None:
    """Kubernetes metadata labels: keys such as 'app.kubernetes.io/name' or 'release', values of at
    most 63 letters, digits, '-', '_' and '.' (alphanumeric at both ends) or empty."""
    for key, value in labels.items():
        if not isinstance(key, str) or not K8S_LABEL_KEY_RE.match(key):
            raise DefinitionError(definition, f"{field}[{key!r}]", "is not a Kubernetes label key",
                                  "write name or prefix/name: a DNS subdomain prefix (at most 253), '/', and a "
                                  "name of at most 63 letters, digits, '-', '_' and '.', e.g. 'app.kubernetes.io/x'")
        if not isinstance(value, str) or not K8S_LABEL_VALUE_RE.match(value):
            raise DefinitionError(definition, f"{field}[{key!r}]", f"value {value!r} is not a Kubernetes label value",
                                  "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a "
                                  "letter or digit (no spaces or '/')")


def check_http_url(definition: str, field: str, value: Any) -> None:
    """An absolute http(s) URL (never javascript:, data: or another scheme), without credentials."""
    if not isinstance(value, str) or not HTTP_URL_RE.match(value):
        raise DefinitionError(definition, field, f"{value!r} is not an http(s) URL" if isinstance(value, str)
                              and "@" not in value else "is not an http(s) URL without credentials",
                              "write a full URL such as 'https://runbooks.example.com/page'")
    from obs.secrets import check_value
    check_value(definition, field, value)


def check_cluster(definition: str, field: str, value: Any) -> None:
    """A cluster name: the value of the cluster label in every rule, selector and generated test."""
    if not isinstance(value, str) or not CLUSTER_RE.match(value):
        raise DefinitionError(definition, field, f"{value!r} is not a usable cluster name",
                              "use letters, digits and . _ : / - (starting with a letter or digit), "
                              "e.g. 'prod-eu-1'")


def check_label_name(definition: str, field: str, name: Any) -> None:
    """A Prometheus label name, not reserved (no leading '__')."""
    if name.__class__ is str and name in _VALID_LABEL_NAMES:
        return
    if not isinstance(name, str) or not LABEL_NAME_RE.match(name) or name.startswith("__"):
        raise DefinitionError(
            definition, field, f"{name!r} is not a valid label name",
            "use letters, digits and '_' (not starting with a digit or '__')")
    if len(_VALID_LABEL_NAMES) < 4096:
        _VALID_LABEL_NAMES.add(name)


def check_utf8(definition: str, field: str, value: str) -> None:
    """Text Prometheus, Alertmanager and YAML can carry: valid UTF-8 (no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DefinitionError(definition, field, "is not valid UTF-8 (it holds a lone surrogate)",
                              "write the text as Unicode characters") from None


def check_labels(definition: str, field: str, labels: Mapping[str, Any]) -> None:
    """Every key is a label name and every value a string of valid UTF-8."""
    names = tuple(labels)
    if names in _VALID_LABEL_SETS:  # these names passed before (generated rules repeat a few label sets)
        try:
            if "".join(labels.values()).isascii():
                return  # every value is text, and ASCII is valid UTF-8
        except TypeError:
            pass  # a value that is not a string: said below
    for name, value in labels.items():
        check_label_name(definition, f"{field}[{name!r}]", name)
        if not isinstance(value, str):
            raise DefinitionError(definition, f"{field}[{name!r}]",
                                  f"value {value!r} is a {type(value).__name__}", "label values are strings")
        check_utf8(definition, f"{field}[{name!r}]", value)
    if len(_VALID_LABEL_SETS) < 4096:
        _VALID_LABEL_SETS.add(names)


# The variables Prometheus defines for alert templates.
TEMPLATE_VARIABLES = ("labels", "value", "externalLabels", "externalURL")


def check_template(definition: str, field: str, value: str) -> None:
    """An alert template Prometheus can parse (Go's text/template grammar, Prometheus' functions
    and variables), so no alert loses its annotations at run time."""
    if value.__class__ is str and value in _VALID_TEMPLATES:
        return
    check_utf8(definition, field, value)
    problem = template_problem(value, PROMETHEUS_FUNCTIONS, TEMPLATE_VARIABLES)
    if problem:
        raise DefinitionError(definition, field, f"is not a template Prometheus can parse ({problem})",
                              "close every {{ with }} (a literal brace is {{ \"{{\" }}) and use only "
                              f"${', $'.join(TEMPLATE_VARIABLES)}, variables the template assigns and Prometheus' "
                              "template functions, e.g. {{ $labels.job }}")
    if len(_VALID_TEMPLATES) < 4096:
        _VALID_TEMPLATES.add(value)


def check_alertmanager_template(definition: str, field: str, value: Any) -> None:
    """A receiver field Alertmanager renders as a Go template (Slack channel, title and text; e-mail
    to, from, subject and html; ...): a non-empty string its template parser accepts."""
    check_nonempty(definition, field, value)
    check_utf8(definition, field, value)
    problem = template_problem(value, ALERTMANAGER_FUNCTIONS)
    if problem:
        raise DefinitionError(definition, field, f"is not a template Alertmanager can parse ({problem}), so "
                              "every notification through it would fail",
                              "close every {{ with }} (a literal brace is {{ \"{{\" }}), balance if/range/with with "
                              "end and use Alertmanager's functions (toUpper, toLower, title, join, match, "
                              "safeHtml, reReplaceAll, stringSlice and Go's builtins)")


def check_no_empty_values(definition: str, field: str, labels: Mapping[str, Any]) -> None:
    """No empty label value: Prometheus drops such a label, so alerts and tests would not match."""
    if "" not in labels.values():
        return  # the usual case, tested at C speed
    for name, value in labels.items():
        if value == "":
            raise DefinitionError(definition, f"{field}[{name!r}]", "is empty, and Prometheus drops labels with "
                                  "empty values", "leave the label out, or give it a value")


def check_metric_name(definition: str, field: str, name: Any) -> None:
    """A Prometheus metric name (recording rules may use ':')."""
    if name.__class__ is str and name in _VALID_METRIC_NAMES:
        return
    if not isinstance(name, str) or not METRIC_NAME_RE.match(name):
        raise DefinitionError(
            definition, field, f"{name!r} is not a valid metric name",
            "use letters, digits, '_' and ':' (not starting with a digit), e.g. 'job:http_requests:rate5m'")
    if len(_VALID_METRIC_NAMES) < 4096:
        _VALID_METRIC_NAMES.add(name)


def check_nonempty(definition: str, field: str, value: Any) -> None:
    """A non-blank string."""
    if not isinstance(value, str) or not value or value.isspace():
        raise DefinitionError(definition, field, "must be a non-empty string")


def check_slug(definition: str, field: str, value: Any) -> None:
    """A lower-case file-name-safe identifier (used in file names and Kubernetes object names)."""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 63:
        raise DefinitionError(
            definition, field, f"{value!r} is not a valid name",
            "use at most 63 lower-case letters, digits and '-', starting with a letter or digit")


def check_unique(definition: str, field: str, names: Iterable[Any], what: str) -> None:
    """No name occurs twice."""
    seen: set[Any] = set()
    for name in names:
        if name in seen:
            raise DefinitionError(definition, field, f"duplicate {what} {name!r}",
                                  f"give each {what} a unique name")
        seen.add(name)


def frozen_mapping(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy, for mapping fields of frozen definitions."""
    return MappingProxyType(dict(mapping or {}))


def check_items(definition: str, field: str, items: Iterable[Any], kind: type, fix: str = "") -> None:
    """Every item is a `kind` (e.g. every rule pack a RulePack)."""
    for item in items:
        if not isinstance(item, kind):
            article = "an" if kind.__name__[0] in "AEIOU" else "a"
            raise DefinitionError(definition, field, f"{item!r} is not {article} {kind.__name__}", fix)
