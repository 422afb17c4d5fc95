"""Find the external binaries obs validates with (promtool, otelcol, amtool) and run them."""
from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from obs.errors import ObsError, ToolMissingError
from obs.tools.env import cache_dir

# The command that installs every tool, in this repo and in a platform team's own repo alike.
INSTALL_COMMAND = "obs tools install"

# A Prometheus 3 promtool, built with `go install` (Debian ships 2.x): obs output must load on both.
# Where Debian's package cannot be installed, it is also the promtool obs validates with.
PROMTOOL3_MODULE = "github.com/prometheus/prometheus/cmd/promtool@v0.316.0"
AMTOOL_MODULE = "github.com/prometheus/alertmanager/cmd/amtool@v0.28.1"
# Jaeger v2 (built on the collector; the v1.x tags of the module carry the v2 binary), added with
# `go get -tool` to a small module: its go.mod replaces modules, which `go install mod@v` refuses.
JAEGER_MODULE = "github.com/jaegertracing/jaeger/cmd/jaeger@v1.75.0"
# A second rule engine for obs's own tests: every rule file loads in vmalert and the promtool unit
# tests pass under vmalert-tool too (v1.151.0 builds with Go 1.26; newer ones need a newer Go).
VMALERT_MODULE = "github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert@v1.151.0"
VMALERT_TOOL_MODULE = "github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert-tool@v1.151.0"
# Thanos (Receive, Query, Rule, Store, sidecar) for the end-to-end proof of a fleet's global tier.
# Its go.mod has replace directives, so it is built through a wrapper module (obs/tools/gowrapper.py);
# v0.42+ need a newer Go than Debian's.
THANOS_MODULE = "github.com/thanos-io/thanos@v0.41.0"
# `kustomize build` of every overlay obs writes (obs's own tests; kubectl's embedded kustomize is v5.5 too).
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"


def _executable(path: Path) -> bool:
    """An executable file; a path obs may not look at (an unreadable cache folder) is not one."""
    try:
        return path.is_file() and os.access(path, os.X_OK)
    except OSError:
        return False


def find_tool(name: str, env_var: str, hint: str, cached: Sequence[Path] = (),
              cache_first: bool = True) -> Path:
    """The binary named by `env_var` if set; else the first executable of `cached` and `name` on
    PATH (cache first unless `cache_first` is False). ToolMissingError says how to install it."""
    explicit = os.environ.get(env_var)
    if explicit:
        path = Path(explicit)
        if _executable(path):
            return path
        raise ToolMissingError(f"{env_var}={explicit} is not an executable file (fix: {hint})")
    on_path = [Path(found)] if (found := shutil.which(name)) else []
    candidates = [*cached, *on_path] if cache_first else [*on_path, *cached]
    for path in candidates:
        if _executable(path):
            return path
    raise ToolMissingError(f"{name} not found on PATH or in {cache_dir()} (fix: {hint})")


def go_cache_path(module: str, binary: str) -> Path:
    """Where `obs tools install` puts a `go install`ed binary: cache_dir()/<binary>-<version>/<binary>."""
    return cache_dir() / f"{binary}-{module.rsplit('@', 1)[1]}" / binary


def promtool3_path() -> Path:
    """Where `obs tools install --with-promtool3` installs the Prometheus 3 promtool."""
    return go_cache_path(PROMTOOL3_MODULE, "promtool")


def amtool_path() -> Path:
    """Where `obs tools install` puts amtool when Debian's package cannot be installed."""
    return go_cache_path(AMTOOL_MODULE, "amtool")


def jaeger_path() -> Path:
    """Where `obs tools install --with-jaeger` builds Jaeger (beside the module that pins it)."""
    return go_cache_path(JAEGER_MODULE, "jaeger")


def jaeger() -> Path:
    """OBS_JAEGER if set, else the cached build, else `jaeger` on PATH."""
    return find_tool("jaeger", "OBS_JAEGER", f"run `{INSTALL_COMMAND} --with-jaeger` "
                                             f"(go get -tool {JAEGER_MODULE}, ~10 min)", [jaeger_path()])


def thanos_path() -> Path:
    """Where `obs tools install thanos` builds Thanos: CACHE_DIR/thanos-<version>/thanos."""
    return go_cache_path(THANOS_MODULE, "thanos")


def thanos() -> Path:
    """OBS_THANOS if set, else the cached build, else `thanos` on PATH."""
    return find_tool("thanos", "OBS_THANOS", f"run `{INSTALL_COMMAND} thanos` (builds {THANOS_MODULE} through a "
                                             "wrapper module, ~5 CPU-minutes)", [thanos_path()])


def kustomize_path() -> Path:
    """Where `obs tools install kustomize` puts kustomize."""
    return go_cache_path(KUSTOMIZE_MODULE, "kustomize")


def kustomize() -> Path:
    """OBS_KUSTOMIZE if set, else the cached `go install` build, else `kustomize` on PATH."""
    return find_tool("kustomize", "OBS_KUSTOMIZE", f"run `{INSTALL_COMMAND} kustomize` (go install {KUSTOMIZE_MODULE})",
                     [kustomize_path()])


def promtool() -> Path:
    """OBS_PROMTOOL if set, else promtool on PATH (Debian's), else the cached `go install` build."""
    return find_tool("promtool", "OBS_PROMTOOL", f"run `{INSTALL_COMMAND}`", [promtool3_path()],
                     cache_first=False)


def promtool3() -> Path:
    """OBS_PROMTOOL3 if set, else the cached `go install` build, else `promtool3` on PATH."""
    return find_tool("promtool3", "OBS_PROMTOOL3", f"run `{INSTALL_COMMAND} --with-promtool3` "
                                                   f"(go install {PROMTOOL3_MODULE})", [promtool3_path()])


def amtool() -> Path:
    """OBS_AMTOOL if set, else amtool on PATH (Debian's prometheus-alertmanager), else the cached build."""
    return find_tool("amtool", "OBS_AMTOOL", f"run `{INSTALL_COMMAND}`", [amtool_path()], cache_first=False)


def vmalert_path() -> Path:
    """Where `obs tools install vmalert` puts vmalert."""
    return go_cache_path(VMALERT_MODULE, "vmalert")


def vmalert_tool_path() -> Path:
    """Where `obs tools install vmalert-tool` puts vmalert-tool."""
    return go_cache_path(VMALERT_TOOL_MODULE, "vmalert-tool")


def vmalert() -> Path:
    """OBS_VMALERT if set, else the cached `go install` build, else `vmalert` on PATH."""
    return find_tool("vmalert", "OBS_VMALERT", f"run `{INSTALL_COMMAND} vmalert` (go install {VMALERT_MODULE})",
                     [vmalert_path()])


def vmalert_tool() -> Path:
    """OBS_VMALERT_TOOL if set, else the cached `go install` build, else `vmalert-tool` on PATH."""
    return find_tool("vmalert-tool", "OBS_VMALERT_TOOL",
                     f"run `{INSTALL_COMMAND} vmalert-tool` (go install {VMALERT_TOOL_MODULE})", [vmalert_tool_path()])


def otelcol(manifest: dict[str, Any] | None = None) -> Path:
    """OBS_OTELCOL if set; else the cached build of `manifest` (default: the reference manifest of
    every registered component), or any cached build that has all of its components; else `otelcol`
    on PATH."""
    from obs.collector.builder import cached_binary, reference_manifest
    cached = cached_binary(manifest or reference_manifest(), cache_dir())
    hint = (f"run `{INSTALL_COMMAND}`, which builds otelcol from the bundle's own collector components "
            f"(~10 min the first time, then cached in {cache_dir()}); or pass --no-otelcol to skip validating "
            "collector configs")
    return find_tool("otelcol", "OBS_OTELCOL", hint, [cached] if cached else [])


_VERSION = re.compile(r"\bversion:?\s+v?(\d+\.\d+[^\s,)]*)", re.IGNORECASE)


def tool_version(path: Path) -> str:
    """The version `path --version` reports; for a `go install`ed build (which reports none) the
    module version in its cache folder's name; else '?'."""
    try:
        match = _VERSION.search(run_tool([path, "--version"], timeout=30).output)
    except (OSError, subprocess.TimeoutExpired):
        match = None
    if match:
        return match.group(1).lstrip("v")
    cached = re.fullmatch(rf"{re.escape(path.name)}-(v\d.*)", path.parent.name)
    return cached.group(1).lstrip("v") if cached and path.parent.parent == cache_dir() else "?"


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    output: str


_NO_SPACE = re.compile(r"(?i)no space left on device|disk quota exceeded")
_CRASH = re.compile(r"^(panic: |fatal error: |goroutine \d+ \[)", re.MULTILINE)


def _tool_tmpdir() -> str:
    """Where the tools keep temporary files: $TMPDIR, else /tmp (Go's os.TempDir)."""
    return os.environ.get("TMPDIR") or "/tmp"


def _tmpdir_is_full() -> bool:
    """Whether the tools' temporary folder cannot take a 1 MiB file (asked only after a tool crashed)."""
    try:
        with tempfile.TemporaryFile(dir=_tool_tmpdir()) as probe:
            probe.write(b"\0" * (1 << 20))
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return False


def run_tool(args: list[str | Path], cwd: Path | None = None, timeout: float = 300) -> ToolResult:
    """Run a tool, capturing stdout and stderr together. A tool that failed for want of disk space
    (promtool's test storage in a full $TMPDIR ends in a Go panic) is one ENOSPC line instead."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          errors="replace")
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 and (_NO_SPACE.search(output) or (_CRASH.search(output) and _tmpdir_is_full())):
        raise ObsError(f"{Path(str(args[0])).name}: no space left on device in {_tool_tmpdir()} (TMPDIR, "
                       f"where it keeps temporary files) or {cwd or Path.cwd()} [ENOSPC] (fix: free space there, "
                       "or set TMPDIR to a folder with room)")
    return ToolResult(proc.returncode, output)
