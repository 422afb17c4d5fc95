"""`obs list --format text|json|markdown`: the catalogue of alerts, SLOs and dashboards for review
and docs, with every suppression and its reason; the same bytes on every run."""
from __future__ import annotations

import json
import textwrap

from tests.support import obs

TEAM = '''
from obs import SLO, Bundle, Definitions, Environment, EventsSLI, RuleGroup, RulePack, Urls, counter_rate
from obs.grafana import Dashboard, timeseries, variables
from tests.sample_bundle import up_alert

def define(env):
    board = Dashboard("api", "API | overview", "team",
                      [timeseries("Pods", "sum by (cluster) (kube_pod_info)", unit="")],
                      variables=variables.standard(env, "kube_pod_info"),
                      suppress={"panel-units": "a count of pods has no unit"})
    alert = up_alert()
    from dataclasses import replace
    alert = replace(alert, dashboard=board, runbook_url="https://wiki.example.com/api-down")
    slo = SLO("api", "availability", 99.5, EventsSLI(
        bad=counter_rate("http_requests_total", 'code=~"5.."'), total=counter_rate("http_requests_total")),
        description="Requests that do not fail")
    return Definitions(rule_packs=[RulePack("api", [RuleGroup("api.rules", [alert])])], slos=[slo],
                       dashboards=[board])

bundle = Bundle("team", [Environment("prod", cluster="prod-1", urls=Urls(grafana="https://g.example.com"))],
                define)
'''


def listing(tmp_path, *args):
    (tmp_path / "team.py").write_text(textwrap.dedent(TEAM))
    result = obs("list", "--bundle", "team:bundle", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_json_has_every_alert_field_and_the_suppressions(tmp_path):
    data = json.loads(listing(tmp_path, "--format", "json"))
    env = data["environments"][0]
    api_down = next(a for a in env["alerts"] if a["name"] == "ApiDown")
    assert api_down == {
        "name": "ApiDown", "pack": "api", "group": "api.rules", "severity": "critical", "for": "5m",
        "summary": "API targets are down", "runbook_url": "https://wiki.example.com/api-down",
        "dashboard": {"name": "api", "url": "https://g.example.com/d/team-api"}, "tests": 2, "suppressed": [],
        "threshold": None, "team": None, "receivers": []}
    assert {a["pack"] for a in env["alerts"]} == {"api", "slo-api"}  # SLO alerts are listed too
    assert env["slos"] == [{"service": "api", "name": "availability", "objective": 99.5, "period": "30d",
                            "sli": "events", "description": "Requests that do not fail", "suppressed": []}]
    assert env["dashboards"] == [{"name": "api", "title": "API | overview", "uid": "team-api",
                                  "url": "https://g.example.com/d/team-api",
                                  "suppressed": [{"rule": "panel-units", "reason": "a count of pods has no unit"}]}]


def test_every_format_is_byte_identical_across_runs(tmp_path):
    for fmt in ("text", "json", "markdown"):
        assert listing(tmp_path, "--format", fmt) == listing(tmp_path, "--format", fmt)


def test_markdown_is_a_reviewable_table(tmp_path):
    text = listing(tmp_path, "--format", "markdown")
    assert text.startswith("# Bundle team\n\n## Environment prod\n")
    assert ("| ApiDown | critical | 5m | API targets are down | [runbook](https://wiki.example.com/api-down) | "
            "[api](https://g.example.com/d/team-api) |") in text
    assert "| api | [API \\| overview](https://g.example.com/d/team-api) | panel-units: a count of pods has no unit |" \
        in text
    assert "| api | availability | 99.5% | 30d | events | Requests that do not fail |" in text


def test_text_shows_suppressions_under_their_definition(tmp_path):
    lines = listing(tmp_path).splitlines()
    index = lines.index("  dashboard api (API | overview)")
    assert lines[index + 1] == "    suppressed [panel-units]: a count of pods has no unit"
    assert "      alert ApiDown [critical, for 5m, 2 tests]" in lines
