"""Issue 18 "done means": the organisation bundle (tests/org_bundle: payments, storefront and
search, which exists only as teams/search.yaml, plus platform; 7 services; staging and prod).
Every alert carries `team`; routing is proven per team with the real amtool and a real
Alertmanager on loopback: one 5xx burst of payments/checkout gives one page, to payments' pager."""
from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from obs import Bundle
from obs.pipeline import render
from obs.validate import amtool
from tests.org_bundle.bundle import TEAM_FILES, bundle as org_bundle, define, python_teams
from tests.support import (
    alertmanager_api as _call, alertmanager_binary, post_alerts as _post, require_tool, running_alertmanager, wait_for,
    write_rendered,
)

TEAMS = {"payments", "storefront", "search", "platform"}
NAMESPACES = {"payments": {"payments", "billing"}, "storefront": {"storefront-eu", "storefront-us"},
              "search": {"search"}, "platform": {"monitoring", "kube-system"}}


@pytest.fixture(scope="module")
def org_folders(tmp_path_factory) -> list[Path]:
    results = render(org_bundle)
    assert [str(i) for r in results for i in r.errors] == []
    return write_rendered(results, tmp_path_factory.mktemp("org-build"))


def rule_alerts(folder: Path) -> list[dict]:
    return [rule for path in sorted((folder / "prometheus" / "rules").glob("*.yaml"))
            for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "alert" in rule]


def cases(folder: Path) -> list[dict]:
    return yaml.safe_load((folder / "alertmanager" / "routing-tests.yaml").read_text())["cases"]


def test_the_organisation_has_three_product_teams_seven_services_and_one_yaml_only_team():
    env = org_bundle.environments[1]
    defs = org_bundle.definitions(env)
    assert {t.name for t in defs.teams} == TEAMS and defs.platform_team == "platform"
    services = {s.split("/")[-1] for t in defs.teams for s in t.owns.services}
    assert len(services) == 7
    assert {t.name for t in python_teams(env)} == TEAMS - {"search"}  # search is YAML only
    assert [f.path.name for f in TEAM_FILES.files] == ["search.yaml"]
    assert {e.name for e in org_bundle.environments} == {"staging", "prod"}


def test_every_alert_carries_a_defined_team(org_folders):
    for folder in org_folders:
        alerts = rule_alerts(folder)
        teams = Counter(a.get("labels", {}).get("team") for a in alerts)
        assert None not in teams and set(teams) == TEAMS, teams
        print(folder.name, len(alerts), dict(teams))


def test_routing_cases_use_every_namespace_of_every_team(org_folders):
    for folder in org_folders:
        found = cases(folder)
        per_team = Counter(c["labels"]["team"] for c in found)
        assert set(per_team) == TEAMS
        for team, namespaces in NAMESPACES.items():
            assert {c["labels"].get("namespace") for c in found if c["labels"]["team"] == team} >= namespaces
        assert not [c for c in found if c["labels"].get("namespace") in ("namespace", "shop", "x")]
        assert not [c for c in found if c["labels"].get("job") in ("shop/checkout", "payments/x")]
        for case in found:  # every team's alert reaches its own receiver for its severity
            team = case["labels"]["team"]
            assert all(r.startswith((f"{team}-", "null")) for r in case["receivers"]), case
        print(folder.name, dict(per_team))


def test_routing_is_proven_with_amtool(org_folders, amtool_bin):
    assert "2 configs OK" in amtool.check_configs(org_folders)
    report = amtool.check_routes(org_folders)
    assert "reach their intended receivers" in report, report


class _Pages(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.path.strip("/"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_one_5xx_burst_pages_the_owning_team_once_and_inhibits_the_rest(tmp_path):
    binary = require_tool(alertmanager_binary)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prod = org_bundle.environments[1]
    env = replace(prod, overrides={**prod.overrides, "Paging.base_url": f"http://127.0.0.1:{server.server_port}"})
    folder = write_rendered(render(Bundle("acme", [env], define)), tmp_path / "build")[0]
    burst = {c["alert"]: c["labels"] for c in cases(folder)
             if c["labels"].get("job") == "payments/checkout" and c["labels"].get("namespace", "payments") == "payments"
             and c["alert"] in ("CheckoutAvailabilityErrorBudgetBurnPage", "HighErrorRate", "WebHighErrorRate")}
    assert set(burst) == {"CheckoutAvailabilityErrorBudgetBurnPage", "HighErrorRate", "WebHighErrorRate"}
    try:
        with running_alertmanager(binary, folder / "alertmanager" / "alertmanager.yaml", tmp_path / "am") as url:
            _post(url, *burst.values())

            def settled() -> dict[str, dict] | None:
                """The alerts' states once the page went out (group_wait 10s) and the rest are muted."""
                state = {a["labels"]["alertname"]: a["status"] for a in _call(f"{url}/alerts")}
                muted = all(state.get(name, {}).get("state") == "suppressed" for name in ("HighErrorRate", "WebHighErrorRate"))
                return state if _Pages.received and muted else None
            state = wait_for("the page and the inhibitions", settled, attempts=120, pause=0.25)
            pages = [(path, [a["labels"]["alertname"] for a in body["alerts"]]) for path, body in _Pages.received]
    finally:
        server.shutdown()
    assert pages == [("payments-page", ["CheckoutAvailabilityErrorBudgetBurnPage"])], pages
    assert state["CheckoutAvailabilityErrorBudgetBurnPage"]["state"] == "active"
    for name in ("HighErrorRate", "WebHighErrorRate"):
        assert state[name]["state"] == "suppressed" and state[name]["inhibitedBy"], state[name]
