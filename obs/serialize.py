"""Deterministic serialisation of rendered data to bytes (YAML, JSON, text)."""
from __future__ import annotations

import json
import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases, insertion order kept."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# A literal block cannot hold these exactly (a reader folds or strips them): such strings are
# written double-quoted with escapes, so every string reads back unchanged.
_NOT_IN_BLOCK = re.compile("[\r\x85\u2028\u2029]|[ \t]\n|[ \t]$")


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value or _NOT_IN_BLOCK.search(value):
        style = '"' if _NOT_IN_BLOCK.search(value) else "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def to_yaml(data: Any) -> bytes:
    """One YAML document. Dict order is the renderer's (renderers build dicts in a fixed order)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000,
                     default_flow_style=False).encode()


def to_yaml_documents(documents: list[Any]) -> bytes:
    """Several YAML documents separated by '---'."""
    return b"---\n".join(to_yaml(doc) for doc in documents)


def to_json(data: Any) -> bytes:
    """Pretty JSON with sorted keys and a trailing newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
