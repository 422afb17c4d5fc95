"""The real otelcol, built from obs's own manifest: it validates every generated config, its components
match the registry, and it exports every self-monitoring metric name rules and dashboards use."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from obs.render.layout import parts

from obs.collector import selfmetrics
from obs.collector.registry import COLLECTOR_VERSION, KINDS, specs
from obs.errors import ValidationError
from obs.pipeline import render
from obs.render import RenderContext
from obs.collector.kubernetes import operator_resource
from obs.validate import otelcol
from tests.collector_harness import (
    exported_names, free_port, local_collector, running_collector, scrape, send_otlp, silent_listener, wait_for,
)

pytestmark = pytest.mark.tools
_STABILITY_ORDER = ["development", "alpha", "beta", "stable"]


def _write(results, root: Path) -> list[Path]:
    folders = []
    for result in results:
        for path, content in result.files.items():
            target = root / result.env.name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        folders.append(root / result.env.name)
    return folders


def test_every_generated_config_of_every_environment_validates(otelcol_bin, reference_bundle, tmp_path):
    folders = _write(render(reference_bundle), tmp_path)
    files = otelcol.config_files(parts(folders))  # a fleet's collectors are in its cluster folders
    assert len(files) == 2 * sum(len(env.clusters) for env in reference_bundle.environments)
    assert otelcol.validate_files(files, tmp_path) == len(files)


def test_operator_resources_carry_valid_configs(otelcol_bin, reference_bundle, tmp_path):
    for env in reference_bundle.environments:
        ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
        for collector in ctx.defs.collectors:
            path = tmp_path / f"{env.name}-{collector.name}.yaml"
            path.write_text(yaml.safe_dump(operator_resource(ctx, collector)["spec"]["config"]))
            assert otelcol.validate_file(path, otelcol_bin) == "", path


def test_validate_reports_what_otelcol_rejects(otelcol_bin, tmp_path):
    """A config obs would never write (an unknown setting) fails with otelcol's own message and the file."""
    bad = tmp_path / "collector" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text(yaml.safe_dump({
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "exporters": {"debug": {"verbosity": "basic", "no_such_setting": 1}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}}}))
    with pytest.raises(ValidationError, match=r"(?s)collector/bad\.yaml.*no_such_setting"):
        otelcol.validate_files([bad], tmp_path)


def test_in_pod_overrides_do_not_mask_a_misspelt_setting(otelcol_bin, tmp_path):
    """validate swaps kubelet_stats' serviceAccount auth (it reads the pod's token) for none, but only
    that exact value: a misspelt auth_type must still reach otelcol and fail."""
    path = tmp_path / "collector" / "kubelet.yaml"
    path.parent.mkdir()

    def write(auth_type: str) -> None:
        path.write_text(yaml.safe_dump({
            "receivers": {"kubelet_stats": {"auth_type": auth_type, "endpoint": "https://${env:K8S_NODE_NAME}:10250"}},
            "exporters": {"debug": {}},
            "service": {"pipelines": {"metrics": {"receivers": ["kubelet_stats"], "exporters": ["debug"]}}}}))

    write("serviceAccount")
    assert otelcol.validate_file(path, otelcol_bin) == ""
    write("serviceaccount")
    assert "invalid authType" in otelcol.validate_file(path, otelcol_bin)


def test_registry_matches_otelcol_components(otelcol_bin):
    listed = otelcol.components(otelcol_bin)
    binary = {(kind, entry["name"]): entry for kind in KINDS for entry in listed.get(f"{kind}s") or ()}
    registry = {(s.kind, s.type): s for s in specs()}
    assert set(binary) == set(registry), "the binary is built from the registry: same components"
    for key, spec in registry.items():
        entry = binary[key]
        assert entry["module"] == spec.gomod, key
        stability = {k: str(v).lower() for k, v in entry["stability"].items()}
        if spec.kind == "extension":
            levels = [stability["extension"]]
        elif spec.kind == "connector":
            levels = [stability[f"{a}-to-{b}"] for a, b in spec.connects]
        else:
            levels = [stability[signal] for signal in spec.signals]
            unregistered = {s for s in ("traces", "metrics", "logs") if s not in spec.signals}
            assert all(stability[s] in ("undefined", "development") for s in unregistered), (key, stability)
        assert "undefined" not in levels, (key, stability)
        assert min(levels, key=_STABILITY_ORDER.index) == spec.stability, (key, stability)


def test_binary_is_the_pinned_version(otelcol_bin):
    from obs.tools import run_tool
    assert COLLECTOR_VERSION.lstrip("v") in run_tool([otelcol_bin, "--version"]).output


_NAME_REGEX = re.compile(r'__name__\s*=~\s*\\?"(otelcol_[^"\\]+)\\?"')
_GROUP = re.compile(r"\(([a-z0-9_|]+)\)(\?)?")


def expand(pattern: str) -> set[str]:
    """The names a simple metric-name regex stands for: groups of alternatives expanded, an optional
    group (e.g. `(_total)?`) taken as absent and present."""
    names = {""}
    pos = 0
    for match in _GROUP.finditer(pattern):
        options = match.group(1).split("|") + ([""] if match.group(2) else [])
        names = {n + pattern[pos:match.start()] + o for n in names for o in options}
        pos = match.end()
    names = {n + pattern[pos:] for n in names}
    if any(re.search(r"[^a-z0-9_]", n) for n in names):
        raise AssertionError(f"metric-name regex too complex to check: {pattern!r}")
    return names


def _names_used_by(bundle) -> tuple[set[str], list[set[str]]]:
    """otelcol_* names in the rendered rules, rule tests and dashboards of every environment: plain
    names, and for each `__name__=~` regex the set of names it stands for (one of them must exist)."""
    plain: set[str] = set()
    regexes: list[set[str]] = []
    for result in render(bundle):
        for path, content in result.files.items():
            if path.startswith(("prometheus/", "grafana/dashboards/")):
                text = content.decode()
                regexes += [expand(p) for p in _NAME_REGEX.findall(text)]
                plain |= set(re.findall(r"\botelcol_[a-z0-9_]+", _NAME_REGEX.sub("", text)))
    return plain, regexes


def test_expand_metric_name_regexes():
    assert expand("otelcol_receiver_(accepted|refused)_spans(_total)?") == {
        "otelcol_receiver_accepted_spans", "otelcol_receiver_refused_spans",
        "otelcol_receiver_accepted_spans_total", "otelcol_receiver_refused_spans_total"}


def test_self_monitoring_metric_names_are_really_exported(otelcol_bin, reference_bundle, tmp_path):
    """Run the collector on 127.0.0.1 with the telemetry settings obs renders, send OTLP (some to a dead
    and an overloaded exporter), scrape its own metrics, and check every name rules/dashboards use."""
    from collector.topologies import collectors
    from rules.environments import ENVIRONMENTS
    level = collectors(ENVIRONMENTS[0])[0].telemetry.metrics_level
    otlp_port, metrics_port, dead_port = free_port(), free_port(), free_port()
    with silent_listener() as stuck_port, running_collector(
            otelcol_bin, local_collector(otlp_port, metrics_port, dead_port, stuck_port, level), tmp_path):

        def serving() -> bool:
            try:
                return bool(scrape(metrics_port))
            except OSError:
                return False

        wait_for(serving, f"otelcol's metrics endpoint (log: {tmp_path / 'otelcol.log'})")
        send_otlp(otlp_port)
        used, regexes = _names_used_by(reference_bundle)
        assert {selfmetrics.EXPORTER_SENT["traces"], selfmetrics.PROCESS_UPTIME} <= used  # rules/dashboards exist
        wanted = selfmetrics.names() | used
        wait_for(lambda: selfmetrics.EXPORTER_ENQUEUE_FAILED["logs"] in scrape(metrics_port), "queue overflow")
        exported = exported_names(scrape(metrics_port))
    # A regex such as otelcol_receiver_(accepted|refused)_spans(_total)? must match an exported name
    # for each alternative; the `_total` variants are for other versions and may be absent.
    for names in regexes:
        wanted |= {n for n in names if not n.endswith("_total")}
    missing = sorted(wanted - exported)
    assert not missing, f"not exported by otelcol {COLLECTOR_VERSION} at level {level}: {missing}"
    assert not any(n.startswith("otelcol_") and n.endswith("_total") for n in exported)  # no type suffix
