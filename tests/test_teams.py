"""Teams and ownership (obs.model.team), routing generated from teams and its lints
(obs.alertmanager.teams, obs.alertmanager.lint), and YAML team files (obs.teamfiles)."""
from __future__ import annotations

from pathlib import Path

import pytest

from obs import Bundle, Definitions, DefinitionError, Environment, Ownership, Owners, Team, TeamReceivers
from obs.alertmanager import Alertmanager, Intent, Receiver, Route
from obs.alertmanager.cases import routing_cases
from obs.model.slo import SLO, EventsSLI
from obs.packs import web
from obs.teamfiles import TeamFolder, schema_text
from tests.org_bundle.bundle import bundle as org_bundle

ENV = Environment("prod", cluster="prod-eu1")
REPO = Path(__file__).resolve().parent.parent


def team(name: str, *namespaces: str) -> Team:
    return Team(name, owns=Ownership(namespaces=namespaces),
                receivers=TeamReceivers(page=Receiver(f"{name}-page"), ticket=Receiver(f"{name}-tickets"),
                                        chat=Receiver(f"{name}-chat")))


def fails(make) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        make()
    assert caught.value.fix, str(caught.value)
    return caught.value


def test_teams_need_an_explicit_platform_team_among_them():
    assert fails(lambda: Definitions(teams=[team("a", "a")])).field == "platform_team"
    error = fails(lambda: Definitions(teams=[team("a", "a")], platform_team="platform"))
    assert "'platform' is not one of the teams ['a']" in error.problem


def test_a_namespace_owned_twice_is_an_error():
    error = fails(lambda: Owners([team("a", "pay-.+"), team("b", "pay-eu"), team("platform")], "platform"))
    assert error.problem == "namespace 'pay-eu' is also owned by team 'a'"


def test_packs_are_built_per_owner_with_their_namespaces_and_a_static_team():
    owners = Owners([team("payments", "payments", "billing"), team("platform", "monitoring")], "platform")
    packs = owners.packs(ENV, web.pack)
    assert [p.name for p in packs] == ["web-payments", "web-platform"]
    payments, platform = packs
    assert all(a.labels["team"] == "payments" and 'namespace=~"payments|billing"' in a.expr for a in payments.alerts)
    assert all(a.labels["team"] == "platform" and 'namespace!~"payments|billing"' in a.expr for a in platform.alerts)
    fired = [f.labels for a in payments.alerts for t in a.tests for f in t.fires]
    assert fired and all(f["namespace"] == "payments" and f["job"] == "payments/payments" for f in fired)


def test_an_alert_naming_an_undefined_team_is_an_error():
    from obs import AlertRule
    from obs.model.rules import RuleGroup, RulePack
    alert = AlertRule("X", "up == 0", "critical", "s", "d", labels={"team": "paymnets"})
    defs = Definitions(rule_packs=[RulePack("p", [RuleGroup("g", [alert])])],
                       teams=[team("payments", "payments"), team("platform")], platform_team="platform")
    error = fails(defs.all_rule_packs)
    assert error.problem == "names team 'paymnets', which is not defined"


def test_unowned_alerts_and_slos_go_to_the_platform_team():
    from obs import AlertRule
    from obs.model.rules import RuleGroup, RulePack
    sli = EventsSLI(bad='sum by (cluster) (rate(x_total{code="500"}[{{window}}]))',
                    total="sum by (cluster) (rate(x_total[{{window}}]))")
    defs = Definitions(rule_packs=[RulePack("p", [RuleGroup("g", [AlertRule("X", "up == 0", "warning", "s", "d")])])],
                       slos=[SLO("unknown", "a", 99.9, sli)], teams=[team("payments", "payments"), team("platform")],
                       platform_team="platform", environment=ENV)
    assert {a.labels["team"] for p in defs.all_rule_packs() for a in p.alerts} == {"platform"}


def _org(env_index: int = 1):
    env = org_bundle.environments[env_index]
    return org_bundle.definitions(env)


def _lint(config: Alertmanager) -> str:
    defs = _org()
    return str(fails(lambda: routing_cases(config, defs.all_rule_packs(), defs.owners)))


def _receivers():
    defs = _org()
    return [Receiver("fallback"), *defs.owners.receivers(), Receiver("null")]


def _config(routes, intents) -> Alertmanager:
    return Alertmanager("hand", route=Route("fallback", group_wait="30s", group_interval="5m", repeat_interval="4h",
                                            routes=routes), receivers=_receivers(), intents=intents)


def _all_receivers_routes():
    return [Route(r.name, match={"team": "unused-" + r.name}) for r in _receivers() if r.name != "fallback"]


def test_a_catch_all_intent_hiding_team_routes_is_reported():
    config = _config([Route("payments-page", match={"severity": "critical"}), Route("null"),
                      *_all_receivers_routes()], [Intent({"severity": "critical"}, "payments-page", why="critical"),
                                                  Intent({}, "null", why="everything else")])
    text = _lint(config)
    assert "[intent-broader-than-team] intent 'critical' covers alerts of teams payments, platform, search, " \
           "storefront: a catch-all hides each team's own route" in text
    assert ("[team-receiver] alert 'HighErrorRate' of team 'search' (severity critical) must reach the team's page "
            "receiver 'search-page', but intent 'critical' sends it to ['payments-page']") in text


def test_a_route_on_a_label_no_alert_carries_and_an_unreachable_route_are_reported():
    config = _config([Route("null", match={"customer": "gold"}), Route("payments-page", match={"severity": "critical"}),
                      Route("storefront-page", match={"severity": "critical", "team": "storefront"}),
                      Route("null"), *_all_receivers_routes()],
                     [Intent({"severity": "critical"}, "payments-page", why="critical"), Intent({}, "null")])
    text = _lint(config)
    assert ("[route-label-unknown] route to 'null' matches on customer=\"gold\", but no alert carries the label "
            "'customer'") in text
    assert ("[route-unreachable] route to 'storefront-page' (severity=\"critical\", team=\"storefront\") is never "
            "reached: the earlier route to 'payments-page' (severity=\"critical\") takes every alert it would") in text


def test_a_team_page_routed_to_its_chat_is_reported():
    """The issue's case: payments' error-rate alert went to a chat channel instead of the pager."""
    from obs.alertmanager import team_routing
    defs = _org()
    wrong = Intent({"team": "payments", "severity": "critical"}, "payments-chat", why="payments critical -> chat")
    config = team_routing(org_bundle.environments[1], defs.teams, "platform", Receiver("fallback"),
                          routes=[Route("payments-chat", match={"team": "payments", "severity": "critical"})],
                          receivers=[Receiver("payments-chat")], intents=[wrong])
    text = _lint(config)
    assert ("[team-receiver] alert 'CheckoutAvailabilityErrorBudgetBurnPage' of team 'payments' (severity critical) "
            "must reach the team's page receiver 'payments-page', but intent 'payments critical -> chat' sends it "
            "to ['payments-chat']") in text


def test_the_generated_routing_passes_every_lint():
    defs = _org()
    found = routing_cases(defs.alertmanager, defs.all_rule_packs(), defs.owners)
    assert {c["labels"]["team"] for c in found} == {"payments", "storefront", "search", "platform"}


# YAML team files

GOOD = (REPO / "tests" / "org_bundle" / "teams" / "search.yaml").read_text()


def folder_with(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


def test_the_published_schema_is_current(capsys):
    from obs.cli import main
    assert (REPO / "docs" / "team.schema.json").read_text() == schema_text()
    assert main(["team-schema"]) == 0 and capsys.readouterr().out == schema_text()


def test_a_yaml_team_builds_the_same_model(tmp_path):
    folder = TeamFolder(folder_with(tmp_path, search=GOOD))
    (search,) = folder.teams(ENV)
    assert search.owns.namespaces == ("search",) and search.receivers.page.name == "search-page"
    assert search.overrides == {"HighErrorRate.threshold": 0.02}
    assert folder.teams(Environment("staging", cluster="s"))[0].overrides == {"HighErrorRate.threshold": 0.1}
    slos = folder.slos(ENV)
    assert [(s.service, s.name, s.labels["team"]) for s in slos] == [
        ("search-api", "availability", "search"), ("indexer", "index-freshness", "search")]
    assert all(s.asserted_source.endswith("search.yaml") or "search.yaml" in s.asserted_source for s in slos)


def test_errors_name_file_line_and_column_and_every_bad_file_is_reported(tmp_path):
    typo = GOOD.replace("receivers:", "recievers:")
    fraction = GOOD.replace("objective: 99.9", "objective: 0.999")
    folder = folder_with(tmp_path, search=typo, broken="team: broken\nowns: [\n")
    text = str(fails(lambda: TeamFolder(folder)))
    line = typo.splitlines().index("recievers:") + 1
    assert (f"search.yaml:{line}:1: recievers: Additional properties are not allowed ('recievers' was "
            "unexpected)") in text
    assert "broken.yaml:3:1: field 'yaml': is not valid YAML (expected the node content" in text
    (tmp_path / "broken.yaml").unlink()
    (tmp_path / "search.yaml").write_text(fraction)
    error = fails(lambda: TeamFolder(tmp_path).slos(ENV))
    line = fraction.splitlines().index("  - service: search-api") + 1
    assert str(error).startswith(f"{tmp_path / 'search.yaml'}:{line}:5 (SLO 'search-api/availability')")
    assert "0.999 is a fraction, not a percentage between 50 and 100 (did you mean 99.9?)" in str(error)


def test_a_team_override_no_pack_reads_names_the_nearest_key(tmp_path):
    from obs.packs.opentelemetry import services_pack
    from obs.pipeline import render
    text = GOOD.replace("HighErrorRate.threshold: 0.02", "HighErorRate.threshold: 0.02")
    folder = TeamFolder(folder_with(tmp_path, search=text))
    env = Environment("prod", cluster="prod-eu1")  # its own: parameters read elsewhere do not count
    bundle = Bundle("b", [env], lambda env: Definitions(
        rule_packs=Owners([*folder.teams(env), team("platform")], "platform").packs(env, services_pack),
        teams=[*folder.teams(env), team("platform")], platform_team="platform"))
    error = fails(lambda: render(bundle))
    assert error.problem == "no definition of the team's packs reads it (did you mean 'HighErrorRate.threshold'?)"


# obs params and obs list

def _cli(capsys, *args: str) -> str:
    from obs.cli import main
    assert main([*args, "--bundle", "tests.org_bundle.bundle:bundle"]) == 0
    return capsys.readouterr().out


def test_obs_params_lists_every_key_with_its_reader_default_range_and_values(capsys):
    import json
    data = json.loads(_cli(capsys, "params", "--format", "json"))
    found = {p["key"]: p for p in data["parameters"]}
    assert found["HighErrorRate.threshold"] == {
        "key": "HighErrorRate.threshold", "definition": "HighErrorRate", "default": 0.05, "range": "(0, 1]",
        "meaning": "a ratio: 0.05 is 5%", "values": {"staging": 0.05, "prod": 0.05}}
    assert found["HighLatency.threshold"]["values"] == {"staging": 1.0, "prod": 0.5}
    assert "| `WebHighErrorRate.threshold` | WebHighErrorRate | 0.05 | (0, 1] a ratio: 0.05 is 5% | 0.1 | 0.05 |" \
        in _cli(capsys, "params", "--format", "markdown")
    assert "HighErrorRate.threshold: default 0.05 in (0, 1] (a ratio: 0.05 is 5%); staging=0.05, prod=0.05" \
        in _cli(capsys, "params")


def test_obs_list_shows_threshold_team_and_receivers(capsys):
    text = _cli(capsys, "list", "--env", "prod")
    assert "  team search: namespaces search, services search/search-api search/indexer; receivers page " \
           "search-page, ticket search-tickets" in text
    assert "      alert HighErrorRate [critical, threshold 0.02, for 5m, team search, 2 tests] -> search-page" in text
    assert "    metrics asserted by " in text and "teams/search.yaml (SLO indexer/index-freshness)" not in text
    assert "org_bundle/teams/search.yaml: indexer_jobs_total" in text


def test_every_alert_of_the_reference_bundle_carries_team(reference_folders):
    import yaml
    for folder in reference_folders:
        files = [*sorted((folder / "prometheus" / "rules").glob("*.yaml")),
                 *sorted((folder / "loki").rglob("rules/**/*.yaml"))]
        alerts = [r for f in files for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if "alert" in r]
        teams = {a["alert"]: a.get("labels", {}).get("team") for a in alerts}
        assert alerts and None not in teams.values(), [name for name, t in teams.items() if t is None]
        assert teams["HighErrorLogRate"] == "platform"  # Loki's log alerts: the platform team's
        print(folder.name, len(alerts), "alerts with team")
