"""Strict YAML for `obs import` (obs.slo.yamlload): plain documents are built straight from libyaml's
nodes, everything else by the strict constructor; both must give the same values, and a document
the fast path cannot build exactly (aliases, merge keys, tags, duplicate keys) must go the strict
way, so its value or its error is unchanged."""
from __future__ import annotations

import random

import pytest
import yaml

from obs.errors import DefinitionError
from obs.slo import yamlload
from tests.sloth_examples import EXAMPLES

ODD = [
    "", "---\n---\n", "a: 1\nb: 1.5\nc: true\nd: null\ne: 2001-12-14\nf: !!binary aGVsbG8=\ng: ~\n",
    "- a\n- [1, 2]\n- {x: y}\n", "a: 0o17\nb: 0x1f\nc: .inf\nd: -.5\ne: +1\nf: 1_000\ng: 12:30:00\n",
    "a: yes\nb: on\nc: Null\nd: '1'\ne: \"2\"\nf: !!str 3\ng: !!float 4\nh: x y\ni: a-b\nj: -1\n",
    "x: 'it''s'\ny: |\n  multi\n  line\nz: >\n  folded\n  text\n", "1: a\n'1': b\nFalse: c\n",
]
NOT_PLAIN = ["a: &x 1\nb: *x\n", "<<: {a: 1}\nb: 2\n", "a: !!set {x, y}\n", "a: !!omap [{x: 1}]\n",
             "a: {b: 1, b: 2}\n", "1: a\n1.0: b\n", "1: a\nTrue: b\n", "? [1]\n: 2\n", "a: !custom x\n", "=: 1\n"]


def strict(text: str) -> list:
    """What the strict constructor alone builds (no fast path)."""
    return list(yaml.load_all(text, Loader=type("Loader", (yamlload._StrictLoader,), {"source": "f.yaml"})))


def loader_class() -> type:
    return type("Loader", (yamlload._StrictLoader,), {"source": "f.yaml"})


@pytest.mark.parametrize("text", [p.read_text() for p in sorted(EXAMPLES.iterdir())] + ODD)
def test_plain_documents_come_out_as_the_strict_constructor_builds_them(text):
    fast = yamlload._plain_documents(text, loader_class())
    assert fast is not None, "a plain document took the slow path"
    assert fast == strict(text)
    assert [type(value) for value in fast] == [type(value) for value in strict(text)]


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_other_documents_go_the_strict_way_with_the_same_value_or_error(text):
    assert yamlload._plain_documents(text, loader_class()) is None
    try:
        expected = strict(text)
    except yaml.YAMLError:
        with pytest.raises(DefinitionError, match="f.yaml"):
            yamlload.load_documents(text, "f.yaml")
    except DefinitionError as error:
        with pytest.raises(DefinitionError) as found:
            yamlload.load_documents(text, "f.yaml")
        assert str(found.value) == str(error)
    else:
        assert yamlload.load_documents(text, "f.yaml") == expected


def test_a_nested_duplicate_key_is_named_with_both_lines():
    with pytest.raises(DefinitionError, match=r"'b' is given twice in one mapping \(lines 2 and 3\)"):
        yamlload.load_documents("a:\n  b: 1\n  b: 2\n", "f.yaml")


def test_a_plain_document_past_the_node_bound_is_refused():
    items = yamlload.MAX_EXPANDED_NODES  # the list itself is one more node
    with pytest.raises(DefinitionError, match="past 100000 nodes"):
        yamlload.load_documents("".join(f"- {i}\n" for i in range(items)), "f.yaml")
    assert len(yamlload.load_documents("".join(f"- {i}\n" for i in range(items - 1)), "f.yaml")[0]) == items - 1


SPEC = """version: prometheus/v1
service: svc0000
labels:
  team: shop
slos:
- name: latency
  objective: 99.0
  sli:
    events:
      error_query: (sum(rate(x_count{job="shop/svc0000"}[{{.window}}]))
        - sum(rate(x_bucket{job="shop/svc0000",
        le="0.5"}[{{.window}}])))
      total_query: sum(rate(x_count{job="shop/svc0000"}[{{.window}}]))
  alerting:
    name: Svc0000LatencyErrorBudgetBurn
    page_alert: {}
    ticket_alert:
      disable: true
    labels: []
  plugins:
    chain:
    - id: a
    - -1
    - 0x1f
    - null
"""


def test_the_block_subset_reads_as_the_strict_loader_and_nothing_else():
    """`_block_documents` reads block mappings, sequences and folded plain scalars to the strict
    loader's values (types included), and leaves anything else to it."""
    fast = yamlload._block_documents(SPEC)
    assert fast is not None and fast == strict(SPEC) and repr(fast) == repr(strict(SPEC))
    assert fast[0]["slos"][0]["sli"]["events"]["error_query"].count(" - sum(") == 1
    for text in ODD + NOT_PLAIN + ["a: 'x'\n", "a: b # c\n", "a: 1\n\nb: 2\n", "a:\tb\n", "a: x: y\n", "- - a\n",
                                   "a:\n  b: 1\n c: 2\n", "---\na: 1\n", "a: [1]\n", "k: |\n  x\n", "a: 1 \n"]:
        found = yamlload._block_documents(text)
        assert found is None or found == strict(text), text


def test_the_block_subset_never_reads_what_the_strict_loader_reads_otherwise_or_refuses():
    """Mutated specs (characters inserted, removed, repeated): whatever the block reader reads
    the strict loader reads to the same value, never to an error."""
    rng = random.Random(19)
    pieces = list(" -:#{}[]'\"\n&*!|>?,%@`ab0.\t") + ["- ", ": ", "\n  ", "\n- ", "true", "null", "1e3", "-1"]
    read = 0
    for _ in range(3000):
        text = SPEC
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + (rng.choice(pieces) if rng.random() < 0.5 else "") + text[at + rng.randint(0, 2):]
        found = yamlload._block_documents(text)
        if found is not None:
            read += 1
            assert repr(found) == repr(strict(text)), text
    assert read > 300  # the test reaches the reader
