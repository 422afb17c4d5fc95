"""The tools obs validates with: what each is for, how to find it, how `obs tools install` gets it."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from obs.errors import ToolMissingError
from obs.tools import find
from obs.tools.gowrapper import GoCommand, build_go_command
from obs.tools.install import Step, apt_install, can_use_apt, go_install, go_tool_build


@dataclass(frozen=True)
class Needs:
    """What validation of one bundle needs: the collector manifest otelcol must be built from
    (None when the bundle has no collectors) and where that manifest came from."""

    otelcol_manifest: dict[str, Any] | None
    source: str
    optional: frozenset[str] = frozenset()
    """Optional tools the bundle's validation needs too (jaeger, when it defines Jaeger)."""


@dataclass(frozen=True)
class Setup:
    """How to install: for which needs, reporting steps to `step`, with apt-get allowed or not."""

    needs: Needs
    step: Step
    apt: bool = True


@dataclass(frozen=True)
class Tool:
    """One external tool. `optional` tools are installed only when asked for by name."""

    name: str
    purpose: str
    by_hand: str
    locate: Callable[[Needs], Path]
    install: Callable[[Setup], Path]
    optional: bool = False

    def needed(self, needs: Needs) -> bool:
        if self.optional:
            return self.name in needs.optional
        return self.name != "otelcol" or needs.otelcol_manifest is not None


def _debian_or_go(package: str, binary: str, module: str, cached: Path) -> Callable[[Setup], Path]:
    """Install with Debian's `package` where apt-get runs as root (and is allowed), else `go install module`."""
    def install(setup: Setup) -> Path:
        if setup.apt and can_use_apt():
            apt_install(package, find.cache_dir() / "apt.log", setup.step)
            found = shutil.which(binary)
            if found:
                return Path(found)
            raise ToolMissingError(f"Debian package {package} installed no {binary} on PATH")
        return go_install(module, cached, setup.step)
    return install


def _build_otelcol(setup: Setup) -> Path:
    from obs.collector.builder import build, cached_binary
    manifest = setup.needs.otelcol_manifest
    assert manifest is not None  # only called when needed
    return cached_binary(manifest, find.cache_dir()) or build(manifest, find.cache_dir(), setup.step)


def _build_thanos(setup: Setup) -> Path:
    module, version = find.THANOS_MODULE.rsplit("@", 1)
    command = GoCommand(module, version, "cmd/thanos", tags="netgo,slicelabels",
                        ldflags=f"-X github.com/prometheus/common/version.Version={version.lstrip('v')}")
    return build_go_command(command, find.thanos_path(), setup.step)


TOOLS: tuple[Tool, ...] = (
    Tool("promtool", "checks and unit-tests Prometheus rules, parses dashboard queries",
         f"apt-get install prometheus, or go install {find.PROMTOOL3_MODULE}",
         lambda _: find.promtool(),
         _debian_or_go("prometheus", "promtool", find.PROMTOOL3_MODULE, find.promtool3_path())),
    Tool("otelcol", "validates every collector config with `otelcol validate`",
         "go install the collector builder and build the bundle's builder manifest (obs does this)",
         lambda needs: find.otelcol(needs.otelcol_manifest), _build_otelcol),
    Tool("amtool", "checks Alertmanager configs with `amtool check-config`",
         f"apt-get install prometheus-alertmanager, or go install {find.AMTOOL_MODULE}",
         lambda _: find.amtool(),
         _debian_or_go("prometheus-alertmanager", "amtool", find.AMTOOL_MODULE, find.amtool_path())),
    Tool("promtool3", "proves rules also load on Prometheus 3 (for obs's own tests)",
         f"go install {find.PROMTOOL3_MODULE}",
         lambda _: find.promtool3(), lambda setup: go_install(find.PROMTOOL3_MODULE, find.promtool3_path(), setup.step),
         optional=True),
    Tool("jaeger", "runs the generated Jaeger v2 configs (validation and obs's own end-to-end tests)",
         f"go get -tool {find.JAEGER_MODULE} in a module, then go build",
         lambda _: find.jaeger(), lambda setup: go_tool_build(find.JAEGER_MODULE, find.jaeger_path(), setup.step),
         optional=True),
    Tool("vmalert", "proves every rule file also loads in VictoriaMetrics' vmalert (for obs's own tests)",
         f"go install {find.VMALERT_MODULE}",
         lambda _: find.vmalert(), lambda setup: go_install(find.VMALERT_MODULE, find.vmalert_path(), setup.step),
         optional=True),
    Tool("vmalert-tool", "runs obs's rule unit tests on a second engine (for obs's own tests)",
         f"go install {find.VMALERT_TOOL_MODULE}",
         lambda _: find.vmalert_tool(),
         lambda setup: go_install(find.VMALERT_TOOL_MODULE, find.vmalert_tool_path(), setup.step),
         optional=True),
    Tool("thanos", "runs Receive, Query, Rule, Store and sidecar in the fleet end-to-end tests (for obs's own tests)",
         f"go build cmd/thanos of {find.THANOS_MODULE} in a module that copies its replace block "
         f"(`{find.INSTALL_COMMAND} thanos` does this)",
         lambda _: find.thanos(), _build_thanos, optional=True),
    Tool("kustomize", "builds every kustomization obs writes, fleet overlays included (for obs's own tests)",
         f"go install {find.KUSTOMIZE_MODULE}",
         lambda _: find.kustomize(), lambda setup: go_install(find.KUSTOMIZE_MODULE, find.kustomize_path(), setup.step),
         optional=True),
)


def tool(name: str) -> Tool:
    """The registered tool called `name`."""
    for candidate in TOOLS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


@dataclass(frozen=True)
class Status:
    """One line of `obs tools`: a tool found (path and version) or missing (and why)."""

    tool: Tool
    needed: bool
    path: Path | None
    version: str
    problem: str = ""


def status(needs: Needs) -> list[Status]:
    """Where each tool is and which version, without installing anything."""
    rows = []
    for item in TOOLS:
        needed = item.needed(needs)
        try:
            path = item.locate(needs)
        except ToolMissingError as exc:
            rows.append(Status(item, needed, None, "", str(exc)))
            continue
        rows.append(Status(item, needed, path, find.tool_version(path)))
    return rows
