"""Label values test data should prefer while a pack is built for one owner: the owner's real
namespaces and jobs instead of the packs' placeholders (`shop`, `shop/checkout`)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Iterator, Mapping, Sequence

try:  # the stdlib's regex parser, to write examples a matcher selects
    import re._constants as _c
    import re._parser as _regex_parser
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c
    import sre_parse as _regex_parser

_PREFERRED: ContextVar[Mapping[str, Sequence[str]]] = ContextVar("obs_preferred_label_values",
                                                                 default=MappingProxyType({}))


def preferred(label: str) -> tuple[str, ...]:
    """Values of `label` to try first in test series (empty outside `preferring`)."""
    return tuple(_PREFERRED.get().get(label, ()))


@contextmanager
def preferring(values: Mapping[str, Sequence[str]]) -> Iterator[None]:
    """Within the block, test data prefers these label values (label -> candidates, in order)."""
    token = _PREFERRED.set(values)
    try:
        yield
    finally:
        _PREFERRED.reset(token)


def regex_examples(pattern: str, bound: int = 16) -> list[str]:
    """Short strings `pattern` matches, one per alternative (nested alternatives expanded),
    at most `bound`; empty when the pattern is beyond this small generator (e.g. RE2-only syntax).
    'team-(a|b)/.+' -> ['team-a/x', 'team-b/x']."""
    try:
        tree = _regex_parser.parse(pattern)
    except Exception:
        return []
    try:
        found = _examples(list(tree), bound)
    except ValueError:
        return []
    return [text for text in dict.fromkeys(found) if re.fullmatch(pattern, text)][:bound]


def _examples(items: list, bound: int) -> list[str]:
    """Examples of a parsed sequence: the product of each item's examples, at most `bound`."""
    out = [""]
    for op, arg in items:
        if op == _c.AT:
            continue
        options = _item_examples(op, arg, bound)
        out = [head + tail for head in out for tail in options][:bound]
    return out


def _item_examples(op: object, arg: object, bound: int) -> list[str]:
    if op == _c.LITERAL:
        return [chr(arg)]  # type: ignore[arg-type]
    if op == _c.ANY:
        return ["x"]
    if op == _c.IN:
        return _in_examples(arg)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low: int = arg[0]  # type: ignore[index]
        return [text * low for text in _examples(list(arg[2]), bound)]  # type: ignore[index]
    if op == _c.SUBPATTERN:
        return _examples(list(arg[-1]), bound)  # type: ignore[index]
    if op == _c.BRANCH:
        return [text for branch in arg[1] for text in _examples(list(branch), bound)][:bound]  # type: ignore[index]
    raise ValueError(f"no example for {op}")


def _in_examples(items: object) -> list[str]:
    """One character per member of a class: each literal (the parser folds '(a|b)' into a class),
    the first of a range, a letter or digit for a category."""
    out: list[str] = []
    for op, arg in items:  # type: ignore[attr-defined]
        if op == _c.NEGATE:
            raise ValueError("negated class")
        if op == _c.LITERAL:
            out.append(chr(arg))
        elif op == _c.RANGE:
            out.append(chr(arg[0]))
        elif op == _c.CATEGORY:
            out.append("0" if "DIGIT" in str(arg) and "NOT" not in str(arg) else "a")
    if not out:
        raise ValueError("empty class")
    return out
