"""What a PromQL expression selects: metric names with the labels their matchers name, the label
lists of by/without/on/ignoring/group_left/group_right, and labels label_replace/label_join/
count_values create. A focused tokenizer, not a parser: enough to check names against a
catalogue. Grafana template variables ($var, ${var}, [[var]], [$__rate_interval]) are tolerated:
a variable never counts as a metric or label name.

Speed: expressions that differ only in their string literals (the SLO rules of a thousand
services, one dashboard per service) share a shape. `select` parses each shape once (a small
bounded cache) and puts the expression's own strings into the result, so the tokenizer runs per
shape, not per expression.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Hashable, NamedTuple, TypeVar

from obs.model.checks import METRIC_NAME, PROMQL_STRING, split_plain_strings

_K = TypeVar("_K", bound=Hashable)
_T = TypeVar("_T")

_TOKEN = re.compile(r"""
    (?P<string>""" + PROMQL_STRING + r""")
  | (?P<comment>\#[^\n]*)
  | (?P<range>\[[^\]]*\])
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<number>(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)(?:[a-zA-Z]+\d*)*)
  | (?P<ident>""" + METRIC_NAME + r""")
  | (?P<op>=~|!~|!=|==|>=|<=|=|[-+*/%^<>])
  | (?P<punct>[(){},@])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.X)
# [[var]] is Grafana's old variable syntax: one token, like $var.
_OLD_VARIABLE = re.compile(r"\[\[\w+(?::[^\]]*)?\]\]")
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_AGGREGATORS = frozenset({"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk",
                          "quantile", "count_values", "limitk", "limit_ratio"})
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "start", "end"}) | GROUPING
# Functions whose string arguments at these positions name labels they create (dst) or read (src).
_LABEL_ARGS = {"label_replace": ({1}, {3}), "label_join": ({1}, "rest3"), "count_values": ({0}, set())}


class Selector(NamedTuple):
    """One vector selector: its metric name (None for `{__name__=~...}` and friends) and the labels
    its matchers name, with equality/regex values for value checks."""

    metric: str | None
    labels: tuple[str, ...]
    matchers: tuple[tuple[str, str, str], ...] = ()


@dataclass
class Selection:
    """Everything one expression selects, groups by and creates."""

    selectors: list[Selector] = field(default_factory=list)
    grouping: dict[str, set[str]] = field(default_factory=dict)  # keyword -> label names
    created: set[str] = field(default_factory=set)               # label_replace/label_join/count_values dst
    read: set[str] = field(default_factory=set)                  # label_replace/label_join src

    @property
    def grouping_labels(self) -> set[str]:
        return {label for labels in self.grouping.values() for label in labels}

    @property
    def aggregates_by(self) -> set[str] | None:
        """The labels the result keeps when the expression aggregates `by` (None: it does not)."""
        return self.grouping.get("by")


_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class _Literal:
    """The `index`-th string literal of an expression, in a shape shared by expressions that
    differ only in their strings."""

    index: int


Text = str | _Literal


def _tokens(expr: str, shape: bool = False) -> list[tuple[str, Text]]:
    """The tokens of `expr`; with `shape`, each string token is its `_Literal` ordinal."""
    expr = _OLD_VARIABLE.sub("$obs_variable", expr) if "[[" in expr else expr
    out: list[tuple[str, Text]] = []
    strings = 0
    for match in _TOKEN.finditer(expr):
        kind = match.lastgroup or "other"
        if kind == "string" and shape:
            out.append((kind, _Literal(strings)))
            strings += 1
        elif kind not in ("space", "comment"):
            out.append((kind, match.group()))
    return out


def _unquote(text: Text) -> Text:
    if isinstance(text, _Literal):
        return text
    body = text[1:-1]
    return body if text[0] == "`" or "\\" not in body else _ESCAPE.sub(r"\1", body)


def _matchers(tokens: list[tuple[str, str]], start: int) -> tuple[list[tuple[str, str, str]], int]:
    """Matchers from the token after `{` up to the matching `}`; returns them and the index after."""
    found, index = [], start
    while index < len(tokens) and tokens[index] != ("punct", "}"):
        kind, text = tokens[index]
        if kind in ("ident", "string") and index + 2 < len(tokens) and tokens[index + 1][0] == "op":
            name = _unquote(text) if kind == "string" else text
            value_kind, value = tokens[index + 2]
            found.append((name, tokens[index + 1][1], _unquote(value) if value_kind == "string" else value))
            index += 3
            continue
        index += 1
    return found, index + 1


def _label_list(tokens: list[tuple[str, str]], start: int) -> tuple[set[str], int]:
    """Label names from the token after `(` up to `)`; variables are skipped."""
    names, index = set(), start
    while index < len(tokens) and tokens[index] != ("punct", ")"):
        if tokens[index][0] == "ident":
            names.add(tokens[index][1])
        index += 1
    return names, index + 1


def select(expr: str) -> Selection:
    """The selectors, grouping labels and created labels of `expr` (the caller owns the result)."""
    found = shaped(expr)
    if found is None:
        return _parse(_tokens(expr))
    return found.shape.fill(list(found.strings))


class Shaped(NamedTuple):
    """An expression as its shape (its text with string literals blanked: `key`) and its unquoted
    string literals. What a check of the expression concludes depends only on the shape and the
    literals at the positions `Shape.uses` names for it, so callers may reuse a conclusion. (A
    named tuple, not a dataclass: one is made per rule, tens of thousands per build.)"""

    key: str
    strings: tuple[str, ...]
    shape: "Shape"

    def deciding(self, decides: Callable[[tuple[str, ...] | None], bool],
                 positions: dict[str, tuple[int, ...]] | None = None) -> tuple[str, tuple[str, ...]]:
        """The shape and the literals whose use (`Shape.uses`, None: unused) `decides` a check:
        expressions with the same answer share that check's conclusion. `positions` (shape key ->
        the deciding literals' indices) lets a caller whose `decides` does not change work each
        shape's positions out once."""
        found = positions.get(self.key) if positions is not None else None
        if found is None:
            uses = self.shape.uses
            found = tuple(index for index in range(len(self.strings)) if decides(uses.get(index)))
            if positions is not None:
                positions[self.key] = found
        return self.key, tuple(map(self.strings.__getitem__, found)) if found else ()


# An expression's string literals and the text between them, in one pass (the pattern captures).
_STRING_SPLIT = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def shaped(expr: str) -> Shaped | None:
    """`shape_of(expr)`, cached: placement, dashboards and asserted sources read the same
    expressions more than once."""
    found = _SHAPED.get(expr, _UNSEEN)
    if found is _UNSEEN:
        found = shape_of(expr)
        if len(_SHAPED) >= 65536:
            _SHAPED.clear()
        _SHAPED[expr] = found
    return found  # type: ignore[return-value]


_UNSEEN = object()
_SHAPED: dict[str, object] = {}


def forget_shapes() -> None:
    """Drop the expressions `shaped` remembers (a check over every rule calls this when done: the
    cache holds each expression's literals, ~25 MB for 36,000 SLO rules)."""
    _SHAPED.clear()


def remembered(cache: dict[_K, _T], positions: dict[str, tuple[int, ...]], key: _K,
               make: Callable[[], _T], limit: int) -> _T:
    """`cache[key]`, made once by `make()`. The cache and the `positions` that keyed it (see
    `Shaped.deciding`) are emptied together past `limit` entries: they only save work, and a
    long-lived process (`obs import` of many files) must not grow them without end."""
    known = cache.get(key)
    if known is None:
        known = make()
        if len(cache) >= limit:
            cache.clear()
            positions.clear()
        cache[key] = known
    return known


def shape_of(expr: str) -> Shaped | None:
    """`expr` as a shape and its literals; None when literals may hide in comments or variables,
    or the text is not PromQL the tokenizer reads alike with and without its literals."""
    if "#" in expr or "`" in expr or "${" in expr:
        return None
    plain = split_plain_strings(expr)  # the common case, several times faster than _STRING_SPLIT
    if plain is not None:
        parts = plain
        strings = tuple(parts[1::2])
    else:
        parts = _STRING_SPLIT.split(expr)
        strings = tuple(s[1:-1] if "\\" not in s else _unquote(s) for s in parts[1::2])
    key = '""'.join(parts[::2]) if strings else expr
    template = _shape(key)
    if template.strings != len(strings):  # e.g. a quote inside a range
        return None
    return Shaped(template.key, strings, template)  # one key string per shape


class Shape:
    """A parsed expression whose string values are `_Literal` ordinals, with what `fill` needs
    worked out once: selectors without literals are shared as they are."""

    __slots__ = ("selection", "strings", "_selectors", "_created", "_read", "uses", "key")

    def __init__(self, selection: Selection, strings: int, key: str = "") -> None:
        self.selection, self.strings, self.key = selection, strings, key
        # (selector as it is, or None and then its metric (None: from the matchers), its
        # matchers' templates, and its labels when no label name is a literal)
        self._selectors = [(found, None, None, None) if not _has_literal(found.metric, found.matchers) else
                           (None, found.metric if isinstance(found.metric, str) else None, found.matchers,
                            found.labels if not any(isinstance(n, _Literal) for n, _, _ in found.matchers) else None)
                           for found in selection.selectors]
        self._created, self._read = tuple(selection.created), tuple(selection.read)
        self.uses = self._uses()

    def _uses(self) -> dict[int, tuple[str, ...]]:
        """What each string literal is: ("metric",) for a literal that names or may name a metric,
        ("label",) a matcher's label name, ("value", metric, label) a matcher value, ("created",)
        and ("read",) label_replace/label_join/count_values label arguments."""
        uses: dict[int, tuple[str, ...]] = {}
        for found in self.selection.selectors:
            named = isinstance(found.metric, str)
            for name, _, value in found.matchers:
                if isinstance(name, _Literal):
                    uses[name.index] = ("label",)
                if isinstance(value, _Literal):  # with no metric of its own, a value may be __name__'s
                    uses[value.index] = ("value", found.metric, name) if named and isinstance(name, str) \
                        else ("metric",)
            if isinstance(found.metric, _Literal):
                uses[found.metric.index] = ("metric",)
        uses.update({v.index: ("created",) for v in self._created if isinstance(v, _Literal)})
        uses.update({v.index: ("read",) for v in self._read if isinstance(v, _Literal)})
        return uses

    def fill(self, strings: list[str]) -> Selection:
        """The selection of one expression of this shape, given its unquoted string literals."""
        def text(value: Text) -> str:
            return strings[value.index] if value.__class__ is _Literal else value  # type: ignore[union-attr]

        selectors = []
        for static, metric, templates, labels in self._selectors:
            if static is not None:
                selectors.append(static)
                continue
            matchers = tuple((text(n), op, text(v)) for n, op, v in templates)
            if metric is None:
                metric = next((v for n, op, v in matchers if n == "__name__" and op == "="), None)
            if labels is None:
                labels = tuple(dict.fromkeys(n for n, _, _ in matchers if n != "__name__"))
            selectors.append(Selector(metric, labels, matchers))
        return Selection(selectors, {k: set(v) for k, v in self.selection.grouping.items()},
                         {text(v) for v in self._created}, {v for v in map(text, self._read) if v})


def _has_literal(metric: Text | None, matchers: tuple[tuple[Text, str, Text], ...]) -> bool:
    return metric is None or isinstance(metric, _Literal) or \
        any(isinstance(n, _Literal) or isinstance(v, _Literal) for n, _, v in matchers)


@functools.lru_cache(maxsize=4096)
def _shape(key: str) -> Shape:
    tokens = _tokens(key, shape=True)
    return Shape(_parse(tokens), sum(1 for kind, _ in tokens if kind == "string"), key)


def _parse(tokens: list[tuple[str, Text]]) -> Selection:
    result = Selection()
    calls: list[tuple[str | None, int]] = []  # open parens: (function name, argument index)
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        if kind == "ident" and text in GROUPING:
            if after == ("punct", "("):
                names, index = _label_list(tokens, index + 2)
                result.grouping.setdefault(text, set()).update(names)
                continue
        elif kind == "ident" and text in _AGGREGATORS and after[0] == "ident" and after[1] in GROUPING:
            index += 1  # `sum by (...) (...)`: the operator, then its clause
            continue
        elif kind == "ident" and after == ("punct", "(") and text not in _KEYWORDS:
            calls.append((text, 0))
            index += 2
            continue
        elif kind == "ident" and text.lower() not in _KEYWORDS:
            matchers: list[tuple[str, str, str]] = []
            index += 1
            if after == ("punct", "{"):
                matchers, index = _matchers(tokens, index + 1)
            _add_selector(result, text, matchers)
            continue
        elif (kind, text) == ("punct", "{"):
            matchers, index = _matchers(tokens, index + 1)
            name = next((v for n, op, v in matchers if n == "__name__" and op == "="), None)
            _add_selector(result, name, matchers)
            continue
        elif (kind, text) == ("punct", "("):
            calls.append((None, 0))
        elif (kind, text) == ("punct", ")") and calls:
            calls.pop()
        elif (kind, text) == ("punct", ",") and calls:
            calls[-1] = (calls[-1][0], calls[-1][1] + 1)
        elif kind == "string" and calls and calls[-1][0] in _LABEL_ARGS:
            _label_argument(result, calls[-1][0], calls[-1][1], _unquote(text))
        index += 1
    return result


def _add_selector(result: Selection, metric: str | None, matchers: list[tuple[str, str, str]]) -> None:
    labels = tuple(dict.fromkeys(name for name, _, _ in matchers if name != "__name__"))
    result.selectors.append(Selector(metric, labels, tuple(matchers)))


def _label_argument(result: Selection, function: str, position: int, value: str) -> None:
    created, read = _LABEL_ARGS[function]
    if position in created:
        result.created.add(value)
    elif (read == "rest3" and position >= 3) or (isinstance(read, set) and position in read):
        if value:
            result.read.add(value)
