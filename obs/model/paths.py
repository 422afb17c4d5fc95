"""Paths a definition gives inside an environment's output folder."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from obs.errors import DefinitionError


def check_relative_path(definition: str, field: str, value: Any) -> None:
    """A relative path that stays inside the output folder: forward slashes, no '..', no '.' parts,
    not absolute, not a URL."""
    fix = "give a path relative to the environment's folder, e.g. 'kubernetes/sealed-secret.yaml'"
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(definition, field, f"{value!r} is not a path", fix)
    parts = PurePosixPath(value).parts
    if "\\" in value or "://" in value or value.startswith("/") or ".." in parts or \
            any(part in (".", "") for part in value.split("/")):
        raise DefinitionError(definition, field, f"{value!r} is not a plain relative path inside the output folder",
                              fix)
