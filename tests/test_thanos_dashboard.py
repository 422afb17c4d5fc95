"""The Thanos dashboard (obs.dashboards.thanos): every environment with a global store renders it
(Receive's row only in topology `receive`), lint-clean, with the global ruler's alerts linking to
it; and every metric and label its queries read is on the /metrics page of the real component it
selects: Receive (every replica of the hashring), the store gateway and Query started with the
args of their rendered manifests, Thanos Rule with the ThanosRuler's (obs.render.thanos.ruler_args),
after a remote write into Receive and with an Alertmanager stand-in that accepts every other send
(so both the sent and the failed-send counters appear). A renamed metric or label fails here."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterator

import pytest
import yaml

import obs
from obs import Bundle, Cluster, Definitions, Environment, Thanos
from obs.catalog.cluster import SCRAPE
from obs.catalog.promql import select
from obs.catalog.thanos import THANOS_QUERY, THANOS_RECEIVE, THANOS_RULER, THANOS_STORE
from obs.dashboards import thanos as board
from obs.packs import thanos as ruler_pack
from obs.render import render_environment
from obs.render import thanos as generated
from obs.tools.find import thanos
from obs.validate.dashboard_queries import prometheus_queries
from tests.remote_write import push
from tests.support import loopback_http, require_tool
from tests.thanos_harness import exposed_values, query_api, wait_until
from tests.thanos_local import KUBE, Components, LocalThanos, manifest_args

DASHBOARD = f"grafana/dashboards/{board.NAME}.json"
# The dashboard's job variable -> the catalogue of the component it selects.
CATALOGUES = {"query_job": THANOS_QUERY, "store_job": THANOS_STORE, "receive_job": THANOS_RECEIVE,
              "ruler_job": THANOS_RULER}


def fleet(topology: str, define: Any = None, name: str = "fleet") -> tuple[Environment, Bundle]:
    env = Environment(f"fleet-{topology}", clusters=[Cluster("eu1"), Cluster("us1")], global_store=Thanos(topology))
    return env, Bundle(name, [env], define or (lambda e: Definitions()))


def rendered_board(files: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(files[DASHBOARD])


def reads(data: dict[str, Any]) -> dict[str, dict[str, dict[str, set[str]]]]:
    """Job variable -> metric -> label -> the values the dashboard's panel queries require of it:
    every label they match or group by (the scrape and cluster labels Prometheus adds left out),
    with the value of each equality matcher (a regex or negative matcher requires none)."""
    found: dict[str, dict[str, dict[str, set[str]]]] = {}
    for query in prometheus_queries(data, DASHBOARD):
        if query.where.startswith("variable "):
            continue
        selection = select(query.expr)
        jobs = {value.strip("$") for s in selection.selectors for label, _, value in s.matchers if label == "job"}
        assert len(jobs) == 1, f"{query.where} selects no single component's job: {query.expr}"
        (job,) = jobs
        for selector in selection.selectors:
            assert selector.metric, query.expr
            labels = found.setdefault(job, {}).setdefault(selector.metric, {})
            for label in selection.grouping_labels:
                labels.setdefault(label, set())
            for label, op, value in selector.matchers:
                labels.setdefault(label, set()).update({value} if op == "=" else set())
            for label in (*SCRAPE, "cluster"):
                labels.pop(label, None)
    return found


def test_every_environment_with_a_global_store_renders_the_thanos_dashboard():
    for topology in ("sidecar", "receive"):
        env, bundle = fleet(topology)
        files = render_environment(bundle, env)
        data = rendered_board(files)
        assert data["uid"] == "fleet-thanos"
        assert f"{KUBE}/grafana-dashboard-{board.NAME}.yaml" in files
        assert f"- {KUBE}/grafana-dashboard-{board.NAME}.yaml".encode() in files["kustomization.yaml"]
        rows = [p["title"] for p in data["panels"] if p["type"] == "row"]
        assert rows == ["Overview", "Query", *(["Receive"] if topology == "receive" else []), "Store gateway", "Rule"]
        assert set(reads(data)) == {"query_job", "store_job", "ruler_job", *(["receive_job"] * (topology == "receive"))}
        assert all(p.get("description") for p in data["panels"] if p["type"] != "row")
        # the global ruler's alerts link to it (dashboard_url) and its links list their runbooks
        rules = yaml.safe_load(files[f"prometheus/rules/{ruler_pack.NAME}.yaml"])
        alerts = [r for g in rules["groups"] for r in g["rules"]]
        assert alerts and all("/d/fleet-thanos" in r["annotations"]["dashboard_url"] for r in alerts)
        assert {f"Runbook: {r['alert']}" for r in alerts} <= {link["title"] for link in data["links"]}
    one = Environment("dev", cluster="dev-1")
    assert not any(board.NAME in path for path in render_environment(Bundle("fleet", [one], lambda e: Definitions()), one))


def test_the_fleet_environments_lint_clean_with_the_dashboard(reference_bundle):
    for topology in ("sidecar", "receive"):
        env, bundle = fleet(topology, reference_bundle.define, reference_bundle.name)
        (result,) = obs.render(bundle)
        assert DASHBOARD in result.files
        assert [str(i) for i in result.issues] == [], topology


def test_a_dashboard_named_like_the_thanos_dashboard_is_refused():
    env, _ = fleet("sidecar")
    clash = replace(board.dashboard(env, "fleet"), title="Mine")
    defs = Bundle("fleet", [env], lambda e: Definitions(dashboards=[clash])).definitions(env)
    with pytest.raises(obs.DefinitionError) as raised:
        defs.all_dashboards()
    assert "'thanos' dashboard" in str(raised.value)
    with pytest.raises(obs.DefinitionError) as raised:
        board.dashboard(Environment("dev", cluster="dev-1"), "fleet")
    assert raised.value.field == "global_store"


def test_every_metric_the_dashboard_reads_is_in_the_catalogue():
    env, bundle = fleet("receive")
    for job, metrics in reads(rendered_board(render_environment(bundle, env))).items():
        catalogue = CATALOGUES[job]
        assert {m: set(labels) - set(catalogue.get(m, {"<missing>"})) for m, labels in metrics.items()} == \
            {m: set() for m in metrics}, f"{job}: the dashboard reads names obs.catalog.thanos does not declare"


# ---- the names on real thanos components ------------------------------------------------------------

class _Alertmanager(BaseHTTPRequestHandler):
    """An Alertmanager refusing every other send: the ruler counts both sent and failed sends."""

    sends = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).sends += 1
        self.send_response(500 if self.sends % 2 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def alertmanager() -> Iterator[str]:
    with loopback_http(_Alertmanager) as address:
        yield address


def page(http: str) -> dict[str, dict[str, set[str]]] | str:
    """The metrics on a component's /metrics page, or why it failed to answer: Query's answers 500
    while two Receive replicas it is connected to have no external labels yet (no tenant has written
    to them), its per-endpoint gauge then repeating one label set."""
    try:
        with urllib.request.urlopen(f"http://{http}/metrics", timeout=5) as response:
            return exposed_values(response.read().decode())
    except urllib.error.HTTPError as error:
        return f"{http}/metrics: {error}: {error.read().decode()[:1000]}"


@pytest.mark.tools
def test_every_metric_and_label_the_dashboard_reads_is_on_the_real_components(tmp_path, started, alertmanager):
    binary = require_tool(thanos)
    began = time.monotonic()
    env, bundle = fleet("receive")
    files = render_environment(bundle, env)
    local = LocalThanos(env, tmp_path / "thanos", alertmanager=alertmanager)
    components = Components(started, binary, local, files)
    components.start_receives()
    components.start(local.store, manifest_args(files, f"{KUBE}/thanos-store.yaml", "StatefulSet"))
    components.start(local.query, manifest_args(files, f"{KUBE}/thanos-query.yaml", "Deployment"))
    # An alert with a new label set every second evaluation: each is sent at once, not after the resend delay.
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "fleet", "interval": "1s", "rules": [
        {"alert": "EverySecond", "expr": 'count_values("second", floor(vector(time())))'}]}]}))
    components.start(local.ruler, generated.ruler_args(env, [str(rules)]), pod="thanos-ruler-obs-global-0")
    components.wait_ready([*local.receives, local.store, local.query, local.ruler], began)
    # enough series that the hashring gives every replica some
    now = int(time.time() * 1000)
    push(f"http://{local.receives[0].write}/api/v1/receive",
         [([("__name__", "up"), ("job", "prometheus"), ("cluster", c.name), ("instance", str(i))], [(now, 1.0)])
          for c in env.clusters for i in range(20)])
    # a query reading the stores (the ruler's reads none), as Grafana's would: Query's Store API client series
    wait_until("Query to answer what was written", lambda: query_api(local.query.http, "query",
                                                                     query='up{job="prometheus"}')["result"], 30)

    read = reads(rendered_board(files))
    pages = {"query_job": local.query, "store_job": local.store, "receive_job": local.receives[0],
             "ruler_job": local.ruler}

    def missing() -> dict[str, dict[str, set[str]]]:
        """Job -> metric -> the labels (label=value for a value) the dashboard or the catalogue names
        that the component does not expose (or the page's error)."""
        gaps: dict[str, dict[str, set[str]]] = {}
        for job, component in pages.items():
            real = page(component.http)
            if isinstance(real, str):
                gaps.setdefault(job, {})[real] = set()
                continue
            wanted = {m: {label: set() for label in labels} for m, labels in CATALOGUES[job].items()}
            for metric, labels in read[job].items():
                for label, values in labels.items():
                    wanted.setdefault(metric, {}).setdefault(label, set()).update(values)
            for metric, labels in wanted.items():
                exposes = real.get(metric)
                gap = {"<metric>"} if exposes is None else \
                    {label for label in labels if label not in exposes} | \
                    {f"{label}={v}" for label, values in labels.items() for v in values - exposes.get(label, set())}
                if gap:
                    gaps.setdefault(job, {})[metric] = gap
        return gaps

    deadline = time.monotonic() + 60
    while (gaps := missing()) and time.monotonic() < deadline:
        assert not components.exited(), components.exited()
        time.sleep(1)
    assert gaps == {}, "the dashboard or obs.catalog.thanos names series the v0.41 components do not expose"
