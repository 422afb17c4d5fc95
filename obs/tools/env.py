"""What the process environment says about tools: where the obs cache is and whether this is CI.
Read on every call, so a process (or a test session) points the cache elsewhere through the
environment instead of patching a module global. Imports nothing from obs: the collector builder
and the tool finder both read it."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "OBS_CACHE_DIR"


def cache_dir() -> Path:
    """Where `obs tools install` puts tools and obs keeps its check cache: $OBS_CACHE_DIR, else
    ~/.cache/obs."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "obs")


def in_ci() -> bool:
    """Whether this runs in CI: `CI` set to anything but '', 'false' or '0' (any case). In CI a
    missing tool is an error, never a skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "false", "0")
