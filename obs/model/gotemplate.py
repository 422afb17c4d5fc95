"""A parse check of Go text/template source, as strict as Go's own parser: what Prometheus (alert
annotations and labels) and Alertmanager (receiver fields such as a Slack title or an e-mail
subject) do with a template before they run it. A template they cannot parse fails every alert
or notification at run time, so obs refuses it when the definition is built (issue 21).

Checked: `{{ }}` delimiters and trim markers (`{{- `, ` -}}`), comments, strings (quoted with
valid escapes, raw, characters), numbers, pipelines and parenthesised pipelines, declarations
and assignments (`$x := ...`, `$i, $e := ...` in range), variables defined before use and
scoped to their block, functions the target defines, and the balance of if / else / range /
with / define / block / end, `break` and `continue` only in range, `define` only at the top.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Go's text/template builtins.
BUILTINS = frozenset((
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
    "eq", "ge", "gt", "le", "lt", "ne",
))
# Alertmanager 0.25's template functions (template/template.go DefaultFuncs).
ALERTMANAGER_FUNCTIONS = BUILTINS | frozenset((
    "toUpper", "toLower", "title", "join", "match", "safeHtml", "reReplaceAll", "stringSlice",
))
# Prometheus' alert template functions (template/template.go), across 2.x and 3.x.
PROMETHEUS_FUNCTIONS = BUILTINS | frozenset((
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
    "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024",
    "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "now", "pathPrefix",
    "externalURL", "parseDuration", "stripPort", "stripDomain", "urlQueryEscape",
))

_SPACE = " \t\r\n"
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|"
                     r"(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?)i?")
_WORD = re.compile(r"[^\W\d]\w*")
_ESCAPE = re.compile(r"\\(?:[abfnrtv\\]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3})")
_KEYWORDS = frozenset(("if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"))


class TemplateError(ValueError):
    """The template does not parse; the message says what and where, as Go's parser would."""


@dataclass
class _Token:
    kind: str  # word, field, var, string, number, char, dot, pipe, lparen, rparen, comma, declare, assign, end
    text: str
    line: int


@dataclass
class _Action:
    tokens: list[_Token]
    line: int


def _lex(source: str) -> list[_Action]:
    """The actions of `source` (text between them is free-form), comments dropped."""
    actions: list[_Action] = []
    pos = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            return actions
        line = source.count("\n", 0, start) + 1
        pos = start + 2
        if source.startswith("-", pos) and source[pos + 1:pos + 2] in tuple(_SPACE):
            pos += 2
        if source.startswith("/*", pos):
            end = source.find("*/", pos + 2)
            if end < 0:
                raise TemplateError(f"line {line}: unclosed comment")
            pos = end + 2
            close = re.compile(r"(?: -)?\}\}").match(source, pos)
            if not close:
                raise TemplateError(f"line {line}: comment ends before closing delimiter")
            pos = close.end()
            continue
        tokens, pos = _lex_action(source, pos, line)
        actions.append(_Action(tokens, line))


def _lex_action(source: str, pos: int, line: int) -> tuple[list[_Token], int]:
    tokens: list[_Token] = []
    depth = 0
    while True:
        if pos >= len(source):
            raise TemplateError(f"line {line}: unclosed action (a '{{{{' without '}}}}')")
        char = source[pos]
        if source.startswith("}}", pos) or (char in _SPACE and source.startswith("-}}", pos + 1)):
            if depth:
                raise TemplateError(f"line {line}: unclosed left paren")
            return tokens, source.index("}}", pos) + 2
        if char in _SPACE:
            pos += 1
            continue
        if char == "|":
            tokens.append(_Token("pipe", char, line))
            pos += 1
        elif char == "(":
            depth += 1
            tokens.append(_Token("lparen", char, line))
            pos += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise TemplateError(f"line {line}: unexpected right paren")
            tokens.append(_Token("rparen", char, line))
            pos += 1
        elif char == ",":
            tokens.append(_Token("comma", char, line))
            pos += 1
        elif char == "=":
            tokens.append(_Token("assign", char, line))
            pos += 1
        elif char == ":":
            if not source.startswith(":=", pos):
                raise TemplateError(f"line {line}: expected :=")
            tokens.append(_Token("declare", ":=", line))
            pos += 2
        elif char == '"':
            match = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"').match(source, pos)
            if not match:
                raise TemplateError(f"line {line}: unterminated quoted string")
            bad = _ESCAPE.sub("", match[0][1:-1].replace("\\\"", ""))
            if "\\" in bad:
                raise TemplateError(f"line {line}: invalid escape in string {match[0]}")
            tokens.append(_Token("string", match[0], line))
            pos = match.end()
        elif char == "`":
            end = source.find("`", pos + 1)
            if end < 0:
                raise TemplateError(f"line {line}: unterminated raw quoted string")
            tokens.append(_Token("string", source[pos:end + 1], line))
            pos = end + 1
        elif char == "'":
            match = re.compile(r"'(?:[^'\\\n]|\\(?:[abfnrtv\\']|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}))'"
                               ).match(source, pos)
            if not match:
                raise TemplateError(f"line {line}: malformed character constant")
            tokens.append(_Token("char", match[0], line))
            pos = match.end()
        elif char == "$":
            match = re.compile(r"\$\w*").match(source, pos)
            assert match
            tokens.append(_Token("var", match[0], line))
            pos = match.end()
        elif char == "." and not source[pos + 1:pos + 2].isdigit():
            match = re.compile(r"\.\w*").match(source, pos)
            assert match
            tokens.append(_Token("dot" if match[0] == "." else "field", match[0], line))
            pos = match.end()
        elif "0" <= char <= "9" or char in "+-.":
            match = _NUMBER.match(source, pos)
            if not match or (match.end() < len(source) and (source[match.end()].isalnum() or source[match.end()] == "_")):
                raise TemplateError(f"line {line}: bad number syntax near {source[pos:pos + 10]!r}")
            tokens.append(_Token("number", match[0], line))
            pos = match.end()
        elif char.isalnum() or char == "_":
            match = _WORD.match(source, pos)
            assert match
            tokens.append(_Token("word", match[0], line))
            pos = match.end()
        else:
            raise TemplateError(f"line {line}: unrecognized character in action: {char!r}")


@dataclass
class _Block:
    kind: str
    line: int
    scope: int  # variables defined when the block opened
    has_else: bool = False
    saved: list[str] | None = None  # the variables outside a define/block body


@dataclass
class _Parser:
    functions: frozenset[str]
    variables: list[str] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)

    def parse(self, source: str, predeclared: tuple[str, ...]) -> None:
        self.variables = ["$", *predeclared]
        for action in _lex(source):
            self.action(action.tokens, action.line)
        if self.blocks:
            block = self.blocks[-1]
            raise TemplateError(f"line {block.line}: {{{{{block.kind}}}}} has no matching {{{{end}}}}")

    def action(self, tokens: list[_Token], line: int) -> None:
        if not tokens:
            raise TemplateError(f"line {line}: missing value for command (an empty {{{{ }}}})")
        head = tokens[0].text if tokens[0].kind == "word" else ""
        rest = tokens[1:]
        if head in ("if", "range", "with"):
            self.blocks.append(_Block(head, line, len(self.variables)))
            self.pipeline(rest, line, head, declare=True, range_=head == "range")
        elif head == "else":
            if not self.blocks or self.blocks[-1].kind not in ("if", "range", "with") or self.blocks[-1].has_else:
                raise TemplateError(f"line {line}: unexpected {{{{else}}}}")
            block = self.blocks[-1]
            if rest and rest[0].kind == "word" and rest[0].text == "if" and block.kind == "if":
                self.pipeline(rest[1:], line, rest[0].text, declare=True)
            elif rest:
                raise TemplateError(f"line {line}: unexpected {rest[0].text!r} after else")
            else:
                block.has_else = True
        elif head == "end":
            if rest:
                raise TemplateError(f"line {line}: unexpected {rest[0].text!r} in end")
            if not self.blocks:
                raise TemplateError(f"line {line}: unexpected {{{{end}}}}")
            block = self.blocks.pop()
            if block.saved is not None:
                self.variables = block.saved
            else:
                del self.variables[block.scope:]
        elif head in ("define", "block"):
            if head == "define" and self.blocks:
                raise TemplateError(f"line {line}: unexpected <define> in command (define only at the top)")
            if not rest or rest[0].kind != "string":
                raise TemplateError(f"line {line}: {head} needs a template name in quotes")
            if head == "block":
                self.pipeline(rest[1:], line, "block")
            elif len(rest) > 1:
                raise TemplateError(f"line {line}: unexpected {rest[1].text!r} in define clause")
            self.blocks.append(_Block(head, line, len(self.variables), saved=self.variables))
            self.variables = ["$"]  # a definition's body sees only its own dot
        elif head == "template":
            if not rest or rest[0].kind != "string":
                raise TemplateError(f"line {line}: template needs a template name in quotes")
            if len(rest) > 1:
                self.pipeline(rest[1:], line, "template")
        elif head in ("break", "continue"):
            if rest:
                raise TemplateError(f"line {line}: unexpected {rest[0].text!r} in {head}")
            if not any(b.kind == "range" for b in self.blocks):
                raise TemplateError(f"line {line}: {{{{{head}}}}} outside {{{{range}}}}")
        else:
            self.pipeline(tokens, line, "command", declare=True)

    def pipeline(self, tokens: list[_Token], line: int, context: str, declare: bool = False,
                 range_: bool = False) -> None:
        """A pipeline: an optional declaration, then commands joined by '|'."""
        declared: list[str] = []
        kinds = [t.kind for t in tokens]
        if declare and kinds[:2] in (["var", "declare"], ["var", "assign"]):
            if kinds[1] == "assign" and tokens[0].text not in self.variables:
                raise TemplateError(f"line {line}: undefined variable {tokens[0].text!r}")
            declared, tokens = ([tokens[0].text] if kinds[1] == "declare" else []), tokens[2:]
        elif range_ and kinds[:4] == ["var", "comma", "var", "declare"]:
            declared, tokens = [tokens[0].text, tokens[2].text], tokens[4:]
        else:
            stray = next((t for t in tokens if t.kind in ("declare", "assign", "comma")), None)
            if stray is not None:
                raise TemplateError(f"line {line}: unexpected {stray.text!r} in {context}")
        end = self.commands(tokens, 0, line, context)
        if end != len(tokens):
            raise TemplateError(f"line {line}: unexpected {tokens[end].text!r} in {context}")
        self.variables += declared

    def commands(self, tokens: list[_Token], pos: int, line: int, context: str) -> int:
        """Commands joined by '|' from `pos` to a ')' or the end; returns where they stop."""
        while True:
            start = pos
            while pos < len(tokens) and tokens[pos].kind not in ("pipe", "rparen"):
                pos = self.operand(tokens, pos, line)
            if pos == start:
                raise TemplateError(f"line {line}: missing value for {context}")
            if pos < len(tokens) and tokens[pos].kind == "pipe":
                pos += 1
                context = "command"
                continue
            return pos

    def operand(self, tokens: list[_Token], pos: int, line: int) -> int:
        token = tokens[pos]
        if token.kind == "word":
            if token.text in _KEYWORDS:
                raise TemplateError(f"line {line}: unexpected <{token.text}> in command")
            if token.text not in ("true", "false", "nil") and token.text not in self.functions:
                raise TemplateError(f"line {line}: function {token.text!r} not defined")
        elif token.kind == "var":
            if token.text not in self.variables:
                raise TemplateError(f"line {line}: undefined variable {token.text!r}")
        elif token.kind == "lparen":
            pos = self.commands(tokens, pos + 1, line, "parenthesized pipeline")
            if pos >= len(tokens) or tokens[pos].kind != "rparen":
                raise TemplateError(f"line {line}: unclosed left paren")
        elif token.kind not in ("field", "dot", "string", "number", "char"):
            raise TemplateError(f"line {line}: unexpected {token.text!r} in operand")
        pos += 1
        while pos < len(tokens) and tokens[pos].kind == "field" and token.kind in ("var", "rparen", "field", "lparen"):
            pos += 1
        return pos


def template_problem(source: str, functions: frozenset[str], predeclared: tuple[str, ...] = ()) -> str | None:
    """Why Go's text/template parser (with these functions and variables) refuses `source`, or None."""
    if "{{" not in source:
        return None
    try:
        _Parser(functions).parse(source, tuple(f"${name}" for name in predeclared))
    except TemplateError as exc:
        return str(exc)
    return None
