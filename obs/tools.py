"""Find the external binaries obs validates with (promtool, otelcol)."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from obs.errors import ToolMissingError

CACHE_DIR = Path(os.environ.get("OBS_CACHE_DIR", Path.home() / ".cache" / "obs"))


def find_tool(name: str, env_var: str, hint: str) -> Path:
    """The binary from `env_var` if set, else from PATH; ToolMissingError names how to install it."""
    explicit = os.environ.get(env_var)
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolMissingError(f"{env_var}={explicit} is not an executable file (fix: {hint})")
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolMissingError(f"{name} not found on PATH (fix: {hint})")


def promtool() -> Path:
    return find_tool("promtool", "OBS_PROMTOOL", "run `make tools`, or apt-get install prometheus")


def amtool() -> Path:
    return find_tool("amtool", "OBS_AMTOOL", "run `make tools`, or apt-get install prometheus-alertmanager")


# A Prometheus 3 promtool, built with `go install` (Debian ships 2.x): obs output must load on both.
PROMTOOL3_MODULE = "github.com/prometheus/prometheus/cmd/promtool@v0.316.0"


def promtool3_path() -> Path:
    """Where `make tools` installs the Prometheus 3 promtool."""
    return CACHE_DIR / f"promtool-{PROMTOOL3_MODULE.rsplit('@', 1)[1]}" / "promtool"


def promtool3() -> Path:
    """OBS_PROMTOOL3 if set, else the cached `go install` build."""
    if not os.environ.get("OBS_PROMTOOL3") and promtool3_path().is_file():
        return promtool3_path()
    return find_tool("promtool3", "OBS_PROMTOOL3", f"run `make tools` (go install {PROMTOOL3_MODULE})")


def otelcol() -> Path:
    """OBS_OTELCOL if set, else the cached build of the reference manifest, else `otelcol` on PATH."""
    from obs.collector.builder import binary_path, reference_manifest
    hint = "run `make tools` (builds it with the collector builder, cached in ~/.cache/obs)"
    cached = binary_path(reference_manifest())
    if not os.environ.get("OBS_OTELCOL") and cached.is_file():
        return cached
    return find_tool("otelcol", "OBS_OTELCOL", hint)


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    output: str


def run_tool(args: list[str | Path], cwd: Path | None = None, timeout: float = 300) -> ToolResult:
    """Run a tool, capturing stdout and stderr together."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return ToolResult(proc.returncode, (proc.stdout + proc.stderr).strip())
