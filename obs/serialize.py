"""Deterministic serialisation of rendered data to bytes (YAML, JSON, text)."""
from __future__ import annotations

import json
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases, insertion order kept."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        text = "\n".join(line.rstrip() for line in value.splitlines()) + ("\n" if value.endswith("\n") else "")
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
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
