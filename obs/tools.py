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


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    output: str


def run_tool(args: list[str | Path], cwd: Path | None = None, timeout: float = 300) -> ToolResult:
    """Run a tool, capturing stdout and stderr together."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return ToolResult(proc.returncode, (proc.stdout + proc.stderr).strip())
