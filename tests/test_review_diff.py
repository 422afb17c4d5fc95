"""`obs diff`: what a change means for the people on call, from two real builds of the reference bundle
(and from git refs of a scaffolded repo), with receivers from the real amtool."""
from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from obs import pipeline
from obs.model.bundle import Bundle
from obs.review.compare import compare
from obs.review.semantics import load
from tests.support import obs


def _build(bundle: Bundle, out: Path, **overrides: object) -> Path:
    environments = [dataclasses.replace(env, overrides={**env.overrides, **overrides}) if env.name == "staging"
                    else env for env in bundle.environments]
    changed = Bundle(name=bundle.name, environments=environments, define=bundle.define)
    pipeline.build(changed, out, check_with_tools=False)
    return out


@pytest.fixture(scope="module")
def builds(reference_bundle, tmp_path_factory) -> tuple[Path, Path]:
    base = _build(reference_bundle, tmp_path_factory.mktemp("base"))
    head = _build(reference_bundle, tmp_path_factory.mktemp("head"), **{"WebHighErrorRate.threshold": 0.2})
    return base, head


def test_one_threshold_change_is_a_few_lines(builds, amtool_bin):
    base, head = builds
    result = obs("diff", str(base), str(head))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1:] == [
        "prod: no change",  # the reference prod spans two clusters: each overlay is a scope of its own
        "prod/clusters/prod-eu1: no change",
        "prod/clusters/prod-us1: no change",
        "staging:",  # the web pack is built once per owning team (platform, shop): two copies of the alert
        "  ~ alert WebHighErrorRate (team platform)",
        "      threshold: > 0.1 -> > 0.2",
        "      receivers: incident-bot, platform-pager (unchanged)",
        "  ~ alert WebHighErrorRate (team shop)",
        "      threshold: > 0.1 -> > 0.2",
        "      receivers: incident-bot, shop-pager (unchanged)",
        "  * kubernetes: PrometheusRule monitoring/web-platform, PrometheusRule monitoring/web-shop: carry the changes "
        "above",
        "  * generated: manifest: 6 file hashes updated; not shown",
        "  * generated: promtool tests: 2 regenerated (web-platform.test.yaml, web-shop.test.yaml); not shown",
    ], result.stdout
    # The raw difference of the same change, for scale: every regenerated test value and hash.
    raw = subprocess.run(["diff", "-r", str(base), str(head)], capture_output=True, text=True, check=False).stdout
    assert len(raw.splitlines()) > 10 * len(lines)


def test_markdown_and_json_say_the_same(builds, amtool_bin):
    base, head = builds
    markdown = obs("diff", str(base), str(head), "--format", "markdown").stdout
    assert "### staging" in markdown and "`threshold: > 0.1 -> > 0.2`" in markdown
    assert "No change in prod, prod/clusters/prod-eu1, prod/clusters/prod-us1." in markdown
    assert "### prod" not in markdown
    report = json.loads(obs("diff", str(base), str(head), "--format", "json").stdout)
    staging = next(s for s in report["scopes"] if s["name"] == "staging")
    alert = next(c for c in staging["changes"] if c["section"] == "alerts")
    assert (alert["data"]["before"]["thresholds"], alert["data"]["after"]["thresholds"]) == (["> 0.1", "> 0.5"],
                                                                                             ["> 0.2", "> 0.5"])
    assert alert["data"]["after"]["receivers"] == ["incident-bot", "platform-pager"]
    assert obs("diff", str(base), str(head), "--exit-code").returncode == 1
    assert obs("diff", str(base), str(base), "--exit-code").returncode == 0


def test_a_routing_change_shows_every_alert_it_moves(builds, tmp_path, amtool_bin):
    base, _ = builds
    head = tmp_path / "head"
    shutil.copytree(base, head)
    config = head / "prod" / "alertmanager" / "alertmanager.yaml"
    text = config.read_text()
    assert "        - receiver: platform-pager\n" in text  # the platform team's page route
    config.write_text(text.replace("        - receiver: platform-pager\n", "        - receiver: platform-tickets\n", 1))
    report = compare(load(base), load(head), "base", "head")
    prod = next(s for s in report.scopes if s.name == "prod")
    moved = {c.name: c.details for c in prod.changes if c.section == "alerts"}
    (detail,) = moved["ClusterDown"]  # a platform page
    before, after = detail.removeprefix("receivers: ").split(" -> ")
    assert "platform-pager" in before and "platform-tickets" in after and "platform-pager" not in after
    assert "WebHighResponseTime" not in moved  # a warning: its route did not change
    routing = next(c for c in prod.changes if c.section == "routing")
    assert any(d.endswith(".receiver: platform-pager -> platform-tickets") for d in routing.details), routing.details
    assert next(s for s in report.scopes if s.name == "staging").status == "unchanged"


def test_git_refs_of_a_scaffolded_repo(tmp_path):
    repo = tmp_path / "acme"
    assert obs("new", str(repo)).returncode == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=repo, check=True)
    bundle = next(repo.glob("*_obs/bundle.py"))
    bundle.write_text(bundle.read_text().replace('"HighErrorRate.threshold": 0.1', '"HighErrorRate.threshold": 0.15'))
    result = obs("diff", cwd=repo)  # HEAD against the working tree
    assert result.returncode == 0, result.stderr
    assert "threshold: > 0.1 -> > 0.15" in result.stdout and "prod: no change" in result.stdout
    subprocess.run([*git, "commit", "-qam", "raise"], cwd=repo, check=True)
    between = obs("diff", "HEAD~1", "HEAD", cwd=repo)
    assert between.stdout.splitlines()[0].startswith("obs diff HEAD~1 (")
    assert "threshold: > 0.1 -> > 0.15" in between.stdout
    assert obs("diff", cwd=repo).stdout.splitlines()[1:] == ["prod: no change", "staging: no change"]
    wrong = obs("diff", "no-such-ref", cwd=repo)
    assert wrong.returncode == 2 and "neither a folder nor a git ref" in wrong.stderr


def test_scaffold_posts_the_diff_and_folds_generated_files(tmp_path):
    repo = tmp_path / "acme"
    assert obs("new", str(repo)).returncode == 0
    workflow = yaml.safe_load((repo / ".github/workflows/obs.yml").read_text())
    steps = workflow["jobs"]["obs"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    comment = next(s for s in steps if "obs diff" in s.get("run", ""))
    assert comment["if"] == "github.event_name == 'pull_request'" and "gh pr comment" in comment["run"]
    assert "--format markdown" in comment["run"] and workflow["permissions"]["pull-requests"] == "write"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert obs("build", "--no-validate", "--out", "gitops", cwd=repo).returncode == 0
    files = [p.relative_to(repo).as_posix() for p in (repo / "gitops").rglob("*") if p.is_file()]
    attrs = subprocess.run(["git", "check-attr", "linguist-generated", "--stdin"], cwd=repo, check=True, text=True,
                           input="\n".join(files), capture_output=True).stdout
    generated = {line.split(":")[0] for line in attrs.splitlines() if line.endswith(": true")}
    assert {f for f in files if "/prometheus/tests/" in f or f.endswith(".obs-manifest")} <= generated
    assert not {f for f in files if "/prometheus/rules/" in f or f.endswith("alertmanager.yaml")} & generated


def test_clusters_of_an_environment_are_scopes_of_their_own(builds, tmp_path):
    """The fleet layout: environment-wide files in <env>/, one folder per cluster in <env>/clusters/<c>/."""
    base, _ = builds
    trees = []
    for side, threshold in (("base", "0.1"), ("head", "0.2")):
        root = tmp_path / side / "prod"
        shutil.copytree(base / "staging", root)
        for cluster in ("prod-eu1", "prod-us1"):
            rules = root / "clusters" / cluster / "prometheus" / "rules"
            rules.mkdir(parents=True)
            text = (base / "staging" / "prometheus" / "rules" / "web-shop.yaml").read_text()
            if cluster == "prod-us1":
                text = text.replace(") > 0.1\n", f") > {threshold}\n")
            (rules / "web.yaml").write_text(text)
        trees.append(tmp_path / side)
    report = compare(load(trees[0]), load(trees[1]), "base", "head")
    assert [(s.name, s.status) for s in report.scopes] == [
        ("prod", "unchanged"), ("prod/clusters/prod-eu1", "unchanged"), ("prod/clusters/prod-us1", "changed")]
    changed = report.scopes[2].changes
    assert [(c.name, c.details[0]) for c in changed] == [("WebHighErrorRate", "threshold: > 0.1 -> > 0.2")]


def test_dashboards_collectors_and_slos(builds, tmp_path):
    base, _ = builds
    head = tmp_path / "head"
    shutil.copytree(base, head)
    staging = head / "staging"
    board = staging / "grafana" / "dashboards" / "slo.json"
    doc = json.loads(board.read_text())
    panel = next(p for p in doc["panels"] if p.get("type") != "row" and p.get("targets"))
    panel["fieldConfig"]["defaults"]["unit"] = "percent"
    panel["targets"][0]["expr"] = "vector(1)"
    doc["panels"].append({"type": "stat", "title": "New panel", "targets": [{"expr": "up"}]})
    board.write_text(json.dumps(doc))
    gateway = staging / "collector" / "otel-collector-gateway.yaml"
    config = yaml.safe_load(gateway.read_text())
    pipeline = next(iter(config["service"]["pipelines"]))
    config["service"]["pipelines"][pipeline]["processors"] = config["service"]["pipelines"][pipeline]["processors"][:-1]
    config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = "0.0.0.0:4317"
    gateway.write_text(yaml.safe_dump(config))
    rules = staging / "prometheus" / "rules" / "slo-checkout.yaml"
    rules.write_text(rules.read_text().replace("+ 0.999\n", "+ 0.9995\n"))
    report = compare(load(base), load(head), "base", "head")
    changes = {(c.section, c.name): c.details for s in report.scopes for c in s.changes}
    dashboard = changes[("dashboards", doc["title"])]
    assert f"panel {panel['title']!r}: unit {'percentunit'} -> percent" in dashboard
    assert any(line.startswith(f"panel {panel['title']!r} query 1: ") and line.endswith("-> vector(1)")
               for line in dashboard)
    assert "+ panel 'New panel' (stat, unit (none))" in dashboard
    collector = changes[("collectors", "collector/otel-collector-gateway.yaml")]
    assert any(line.startswith(f"pipeline {pipeline}: ") for line in collector)
    assert "receivers/otlp protocols.grpc.endpoint: ${env:MY_POD_IP}:4317 -> 0.0.0.0:4317" in collector
    slo = changes[("slos", "checkout/availability")]
    assert slo[:2] == ("objective: 99.9% -> 99.95%", "error budget: 43.2 -> 21.6 minutes per 30d")


def test_alerts_of_one_name_in_one_group_are_all_kept(tmp_path):
    """A warning and a critical rule of one name in one group (a common pattern) are two alerts,
    numbered in file order; a pack's per-team copies are named by team."""
    root = _rules_tree(tmp_path, {
        "web": [{"alert": "Errors", "expr": "errors > 1", "labels": {"severity": "warning"}},
                {"alert": "Errors", "expr": "errors > 5", "labels": {"severity": "critical"}},
                {"alert": "Slow", "expr": "latency > 1", "labels": {"team": "a"}}],
        "web-b": [{"alert": "Slow", "expr": "latency > 1", "labels": {"team": "b"}}]})
    alerts = load(root)["staging"].alerts
    assert {key: alert.expr for key, alert in alerts.items()} == {
        "Errors (prometheus/rules/web.yaml, web) #1": "errors > 1",
        "Errors (prometheus/rules/web.yaml, web) #2": "errors > 5",
        "Slow (team a)": "latency > 1", "Slow (team b)": "latency > 1"}


def _rules_tree(root: Path, files: dict[str, list[dict]]) -> Path:
    """An environment folder obs could have written, holding these rule files (name -> rules)."""
    from obs.output import MANIFEST
    env = root / "staging"
    (env / "prometheus/rules").mkdir(parents=True)
    (env / MANIFEST).write_text("")
    for name, rules in files.items():
        (env / f"prometheus/rules/{name}.yaml").write_text(yaml.safe_dump({"groups": [{"name": "web", "rules": rules}]}))
    return root


def test_a_pack_gaining_an_owner_is_one_change_not_a_removal_and_two_additions(tmp_path):
    one = _rules_tree(tmp_path / "one", {"web": [{"alert": "Slow", "expr": "latency > 1", "labels": {"team": "a"}}]})
    two = _rules_tree(tmp_path / "two", {
        "web-a": [{"alert": "Slow", "expr": "latency > 1", "labels": {"team": "a"}}],
        "web-b": [{"alert": "Slow", "expr": "latency > 2", "labels": {"team": "b"}}]})
    split = [c for s in compare(load(one), load(two), "one", "two").scopes for c in s.changes if c.section == "alerts"]
    assert [(c.kind, c.name) for c in split] == [("changed", "Slow")], split
    assert split[0].details == (
        "now one copy per owning team: a, b",
        "(team a): rule group: prometheus/rules/web.yaml: web -> prometheus/rules/web-a.yaml: web",
        "(team b): threshold: > 1 -> > 2",
        "(team b): rule group: prometheus/rules/web.yaml: web -> prometheus/rules/web-b.yaml: web",
        "(team b): label team: a -> b")
    assert set(split[0].data["after"]) == {"Slow (team a)", "Slow (team b)"}
    merged = [c for s in compare(load(two), load(one), "two", "one").scopes for c in s.changes if c.section == "alerts"]
    assert [(c.kind, c.name, c.details[0]) for c in merged] == [
        ("changed", "Slow", "now one alert (was one copy per team: a, b)")], merged


def _archive(*members: tuple[str, bytes | None, str]) -> tarfile.TarFile:
    """A tar in memory: (name, content or None for a symlink, link target)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name, content, link in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    data.seek(0)
    return tarfile.open(fileobj=data)


@pytest.mark.parametrize("filters", [True, False], ids=["with tar filters", "without (Python < 3.11.4)"])
def test_an_exported_tree_extracts_inside_its_folder_only(tmp_path, monkeypatch, filters):
    """A git ref's tree is extracted where obs says, on every Python 3.11: a member named or linking
    outside the folder is refused (Python's 'data' filter, or obs's own check where it is missing)."""
    from obs.errors import ObsError
    from obs.review.trees import extract
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    into = tmp_path / "tree"
    into.mkdir()
    extract(_archive(("repo/bundle.py", b"x = 1\n", ""), ("repo/link.py", None, "bundle.py")), into)
    assert (into / "repo" / "bundle.py").read_text() == "x = 1\n" and (into / "repo" / "link.py").read_text() == "x = 1\n"
    for index, bad in enumerate((("../escape.py", b"x", ""), ("repo/out", None, "../../outside"))):
        (tmp_path / f"bad{index}").mkdir()
        with pytest.raises((ObsError, tarfile.TarError)):
            extract(_archive(bad), tmp_path / f"bad{index}")
    assert not (tmp_path / "escape.py").exists() and not (tmp_path / "bad1" / "repo" / "out").is_symlink()
    try:  # an absolute name: refused, or (Python's filter) made relative; never written at the root
        extract(_archive(("/obs-absolute-member.py", b"x", "")), into)
    except ObsError:
        pass
    assert not Path("/obs-absolute-member.py").exists()
