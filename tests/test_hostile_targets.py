"""Issue 21, hostile input round 3: every value is checked against what its target system
(Alertmanager, Kubernetes, Go templates, promtool, YAML) accepts. One section per defect class;
each test failed before the fix."""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import obs
from obs import AlertRule, Environment, RulePack
from obs.model.service import Service
from obs.alertmanager import Email, PagerDuty, Receiver, SecretRef, Slack, Webhook
from obs.alertmanager import matchers
from obs.alertmanager.matchers import Matcher, parse_matchers
from obs.collector import Exporter
from obs.errors import DefinitionError, ObsError, ValidationError
from obs.model import checks
from obs.model.service import Scrape
from tests.gotemplate_support import amtool_is_025, go_refuses
from tests.support import REPO

TOKEN = "T0AAAAAAA/B0BBBBBBB/XyZ12abCDef34GHij56KLmno"


def rejected(make: Callable[[], Any], *words: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        make()
    for word in words:
        assert word in str(info.value), str(info.value)
    return info.value


# --- class 1: Alertmanager matchers with non-ASCII values ------------------------------------------

@pytest.mark.parametrize("value", ["café", "Zürich-東京", 'say "hi"', "back\\slash", "two\nlines", "tab\there",
                                   "a,b}", "\\", "x=y", "emoji 🚨", ""])
def test_matchers_are_written_as_alertmanager_reads_them(value):
    text = Matcher("team", value).text()
    assert "\\u" not in text  # Alertmanager 0.25 would read a JSON \u escape as six characters
    assert matchers.unquote(text.split("=", 1)[1]) == value
    assert parse_matchers("d", "f", [text]) == (Matcher("team", value),)


def test_non_ascii_is_written_raw_and_alertmanager_escapes_keep_their_meaning():
    assert Matcher("team", "café").text() == 'team="café"'
    assert matchers.quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    # Alertmanager keeps the backslash of an escape it does not know (a regex's \.), as obs does.
    assert parse_matchers("d", "f", ['host=~"api\\.example"'])[0].value == "api\\.example"
    rejected(lambda: Matcher("team", "bad \ud800 surrogate"), "UTF-8")


def test_amtool_routes_a_non_ascii_value_by_the_written_matcher(amtool_bin, tmp_path):
    """amtool (the routing proof) and the config obs writes agree on `café`; a JSON escape did not."""
    from obs.alertmanager import Alertmanager, Intent, Route
    from obs.alertmanager.config_file import render_config
    from obs.serialize import to_yaml
    from obs.validate import amtool
    config = Alertmanager("m", Route("default", group_wait="30s", group_interval="5m", repeat_interval="4h",
                                     routes=[Route("cafe", match={"team": "café"})]),
                          [Receiver("default"), Receiver("cafe")], [Intent({}, "default")])
    path = tmp_path / "alertmanager.yaml"
    path.write_bytes(to_yaml(render_config(config)))
    assert amtool.resolve(path, {"team": "café"}) == ["cafe"]
    assert amtool.resolve(path, {"team": "caf\\u00e9"}) == ["default"]


# --- class 2: receiver templates ---------------------------------------------------------------------

KEY = SecretRef("slack", "url")


@pytest.mark.parametrize("make, field", [
    (lambda: Slack(KEY, "#{{ .CommonLabels.team "), "slack.channel"),
    (lambda: Slack(KEY, "#a", title="{{ .CommonLabels.alertname "), "slack.title"),
    (lambda: Slack(KEY, "#a", text="{{ range .Alerts }}{{ .Annotations.summary }}"), "slack.text"),
    (lambda: Email("{{ .CommonLabels.team }@x.com", "am@x.com", "smtp:25"), "email.to"),
    (lambda: Email("a@x.com", "am@x.com", "smtp:25", subject="{{ template \"x\" . "), "email.subject"),
    (lambda: Email("a@x.com", "am@x.com", "smtp:25", html="{{ if .X }}<p>"), "email.html"),
    (lambda: PagerDuty(SecretRef("pd", "key"), description="{{ nosuchfunction .X }}"), "pagerduty.description"),
])
def test_receiver_templates_alertmanager_cannot_parse_are_refused(make, field):
    error = rejected(make, "Alertmanager can parse")
    assert error.field == field


def test_alert_templates_are_parsed_as_go_templates():
    for bad in ("{{ if $value }}high", "{{ end }}", "{{ $labels.job ", "{{ humanize }}{{ nope $value }}",
                "{{/* unclosed comment }}"):
        rejected(lambda bad=bad: AlertRule("A", "up == 0", "warning", "s", bad), "Prometheus can parse")
    AlertRule("A", "up == 0", "warning", "s", "{{ if gt $value 1.0 }}{{ $value | humanize }}{{ else }}ok{{ end }}")


GO_TEMPLATES = [
    "{{ .CommonLabels.team }}", "{{ .X ", "{{ nope }}", "{{ if 1 }}{{ else with 2 }}{{ end }}", "{{ date }}",
    "{{ break }}", "{{ range $i, $e := .Alerts }}{{ continue }}{{ end }}", "{{ $y }}", "{{  /* c */ }}",
    "{{- /* c */ -}}", '{{ "\\q" }}', "{{ (len .Alerts }}", "{{ len .Alerts) }}", "{{ }}", "{{ | toUpper }}",
    "{{ define \"x\" }}{{ end }}", "{{ if .X }}{{ define \"x\" }}{{ end }}{{ end }}", "{{ 3x }}", "{{ 'ab' }}",
    "{{ printf \"%d\" 0x1F }}", "{{ `raw\nline` }}", "{{ .X | join \",\" }}", "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
    "{{ with $x := .X }}{{ $x }}{{ end }}{{ $x }}", "{{ template \"x\" }}", "{{ block \"b\" . }}{{ $ }}{{ end }}",
    "{{ .Labels.é }}", "{{ else }}", "{{ end }}", "}}{{", "{{ -1 }}", "{{ - 1 }}", "{{ nil }}", "{{ true | not }}",
]


def test_the_template_check_agrees_with_amtool_template_render(amtool_bin, tmp_path):
    """Go's own parser (amtool template render) refuses exactly what obs refuses."""
    from obs.model.gotemplate import ALERTMANAGER_FUNCTIONS, template_problem
    exact = amtool_is_025(amtool_bin)
    for text in GO_TEMPLATES:
        obs_refuses = template_problem(text, ALERTMANAGER_FUNCTIONS) is not None
        refused = go_refuses(amtool_bin, tmp_path, text)
        assert obs_refuses == refused if exact else refused <= obs_refuses, text


# --- class 3: capability URLs and credential headers -----------------------------------------------

@pytest.mark.parametrize("url", [
    f"https://hooks.slack.com/services/{TOKEN}",
    "https://discord.com/api/webhooks/123456789/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue",
    "https://endpoint4.collection.us2.sumologic.com/receiver/v1/http/ZaVnC4dhaV2ZBLmxOnAnTOkT",
    "https://alerts.example.com/hooks/aB3dE5gH7jK9mN1pQ3sT5vW7yZ",
])
def test_capability_urls_are_refused_and_never_echoed(url):
    error = rejected(lambda: Webhook(url), "webhook.url", "SecretRef")
    assert url.rsplit("/", 1)[-1] not in str(error)
    error = rejected(lambda: Exporter("otlp_http", {"endpoint": url}), "config.endpoint")
    assert url.rsplit("/", 1)[-1] not in str(error)
    assert url.rsplit("/", 1)[-1] not in obs.secrets.redact(f"posting to {url} failed")


@pytest.mark.parametrize("header", ["X-Insert-Key", "Ocp-Apim-Subscription-Key", "x-instana-key", "Cookie",
                                    "X-Auth", "X-License", "X-Partner-Token", "My-Session"])
def test_credential_headers_outside_the_known_list_must_be_references(header):
    secret = "c0ffee-Secret-4242"
    error = rejected(lambda: Exporter("otlp_http", {"endpoint": "https://otlp.example.com",
                                                    "headers": {header: secret}}), header, "${env:NAME}")
    assert secret not in str(error)
    Exporter("otlp_http", {"endpoint": "https://otlp.example.com", "headers": {header: "${env:VENDOR_KEY}"}})
    Exporter("otlp_http", {"endpoint": "https://otlp.example.com", "headers": {"X-Scope-OrgID": "tenant-a"}})


# --- class 4: whole-string matches ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda v: checks.check_slug("d", "f", v), lambda v: checks.check_k8s_name("d", "f", v),
    lambda v: checks.check_cluster("d", "f", v), lambda v: checks.check_label_name("d", "f", v),
    lambda v: checks.check_metric_name("d", "f", v), lambda v: checks.check_http_url("d", "f", "https://x.example" + v),
    lambda v: checks.check_duration("d", "f", "5m" + v), lambda v: RulePack("api" + v, []),
    lambda v: obs.backends.storage.check_tenant("d", "f", "team-a" + v), lambda v: Service("api" + v, "shop"),
    lambda v: checks.check_port_name("d", "f", "http" + v),
], ids=["slug", "k8s-name", "cluster", "label", "metric", "url", "duration", "pack", "tenant", "service", "port"])
@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\x00", "\t"])
def test_a_trailing_newline_or_control_character_is_refused(make, suffix):
    with pytest.raises((DefinitionError, ObsError)):
        make("api" + suffix)


@pytest.mark.parametrize("make", [
    lambda v: checks.check_slug("d", "f", v), lambda v: checks.check_k8s_name("d", "f", v),
    lambda v: RulePack(v, []), lambda v: Service(v, "shop"), lambda v: Service("api", v),
    lambda v: checks.check_port_name("d", "f", v), lambda v: Receiver(v),
], ids=["slug", "k8s-name", "pack", "service", "namespace", "port", "receiver"])
def test_a_trailing_dash_is_refused_where_kubernetes_refuses_it(make):
    with pytest.raises(DefinitionError):
        make("api-")


def test_obs_new_refuses_a_name_with_a_newline(tmp_path):
    from obs.scaffold import new_project
    with pytest.raises(ObsError, match="slug"):
        new_project(tmp_path / "x", name="acme\n")


# Patterns matched line by line (their `$` is the end of a line) or searched in free text.
_LINE_PATTERNS = {"obs.validate.promtool._FILE_HEADER", "obs.secrets._KEY_VALUE", "obs.secrets._REDACTIONS",
                  "obs.serialize._NOT_IN_BLOCK"}


def _module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for info in pkgutil.walk_packages(obs.__path__, "obs."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            values = value.values() if isinstance(value, dict) else [value]
            for item in values:
                if isinstance(item, re.Pattern) and f"{info.name}.{name}" not in _LINE_PATTERNS:
                    found.append((f"{info.name}.{name}", item))
    return found


def test_no_validating_pattern_ends_with_a_dollar():
    """`$` also matches before a final newline: every anchored pattern in obs ends with \\Z."""
    offenders = [name for name, pattern in _module_patterns()
                 if re.search(r"(?<!\\)\$(?:\)|\||\Z)", pattern.pattern) and not pattern.flags & re.MULTILINE]
    assert offenders == []


# --- class 5: names Kubernetes rejects ----------------------------------------------------------------

def test_names_ending_in_a_dash_are_refused():
    rejected(lambda: Receiver("pager-"), "'pager-'")
    rejected(lambda: RulePack("api-", []), "'api-'")


def test_long_monitor_names_stay_unique_and_merging_ones_are_an_error(tmp_path):
    from obs.render.monitors import check_unique_names, monitor_name
    long_a = Service("b" * 30 + "-one", "a" * 40, scrape=Scrape("http-metrics"))
    long_b = Service("b" * 30 + "-two", "a" * 40, scrape=Scrape("http-metrics"))
    names = {monitor_name(long_a), monitor_name(long_b)}
    assert len(names) == 2 and all(len(n) <= 63 and checks.K8S_NAME_RE.match(n) for n in names)
    check_unique_names([long_a, long_b])
    merged = [Service("c", "a-b", scrape=Scrape("http-metrics")), Service("b-c", "a", scrape=Scrape("http-metrics"))]
    rejected(lambda: check_unique_names(merged), "service 'a/b-c'", "service 'a-b/c'")


def test_slo_services_that_merge_after_slugging_are_an_error():
    from obs.slo.rules import pack_name, slo_rule_packs
    from tests.slo_support import AVAILABILITY, DEV as ENV
    from dataclasses import replace
    assert pack_name("API.v2") == pack_name("api_v2") == "slo-api-v2"
    assert len(pack_name("x" * 100)) <= 63 and not pack_name("x" * 61 + "-y").endswith("-")
    slos = [replace(AVAILABILITY, service="api.v2"), replace(AVAILABILITY, service="api_v2")]
    rejected(lambda: slo_rule_packs(slos, ENV, with_tests=False), "'api.v2'", "'api_v2'")


@pytest.mark.parametrize("port", ["HTTP", "http-metrics-port", "-http", "http-", "a--b", "8080", "métrics"])
def test_port_names_follow_iana_svc_name(port):
    rejected(lambda: Service("api", "shop", scrape=Scrape(port)), "port name")
    rejected(lambda: obs.collector.Collector("c", "deployment", [], ports={port: 4317}), "port name")


def test_rule_labels_are_kubernetes_labels():
    Environment("prod", cluster="c", rule_labels={"app.kubernetes.io/part-of": "obs", "release": "kps"})
    rejected(lambda: Environment("prod", cluster="c", rule_labels={"release": "kube prometheus"}),
             "Kubernetes label value")
    rejected(lambda: Environment("prod", cluster="c", rule_labels={"team": "a/b"}), "Kubernetes label value")
    rejected(lambda: Environment("prod", cluster="c", rule_labels={"bad key": "x"}), "Kubernetes label key")


def test_a_dashboard_over_the_configmap_limit_is_an_error(reference_bundle, monkeypatch):
    from obs.render import RenderContext
    from obs.validate import dashboards
    from rules.environments import staging
    ctx = RenderContext(reference_bundle, staging, reference_bundle.definitions(staging))
    monkeypatch.setattr(dashboards, "dashboard_bytes", lambda ctx, board: b"x" * (1024 * 1024 + 1))
    issues = [i for i in dashboards.lint_dashboards(ctx) if i.check == "configmap-size"]
    assert issues and all(i.level == "error" and "1 MiB" in str(i) for i in issues)


# --- class 6: the check cache and test files ---------------------------------------------------------

RULES = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n"
TEST = ("rule_files:\n  - ../rules/a.yaml   # the pack's rules\nevaluation_interval: 1m\ntests:\n- interval: 1m\n"
        "  input_series: []\n  alert_rule_test:\n  - eval_time: 1m\n    alertname: A\n    exp_alerts:\n"
        "    - exp_labels: {}\n")


def test_a_comment_after_a_rule_file_keeps_it_in_the_cache_key(promtool_bin, tmp_path, monkeypatch):
    from obs.validate import promtool
    monkeypatch.setenv("OBS_CHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OBS_NO_CHECK_CACHE", raising=False)
    (tmp_path / "env/prometheus/rules").mkdir(parents=True)
    (tmp_path / "env/prometheus/tests").mkdir()
    rules, test = tmp_path / "env/prometheus/rules/a.yaml", tmp_path / "env/prometheus/tests/a.yaml"
    rules.write_text(RULES)
    test.write_text(TEST)
    assert promtool.referenced_rule_files(test, tmp_path) == [rules]
    assert promtool.test_rules([test], tmp_path) == 1
    rules.write_text(RULES.replace("vector(1)", "vector(1) and on() vector(0) == 1"))  # never fires now
    with pytest.raises(ValidationError):
        promtool.test_rules([test], tmp_path)


@pytest.mark.parametrize("entry", ["/dev/zero", "../../../../etc/passwd", "/etc/*"])
def test_a_test_file_may_not_name_files_outside_the_folder(tmp_path, entry):
    from obs.validate import promtool
    (tmp_path / "env/prometheus/tests").mkdir(parents=True)
    test = tmp_path / "env/prometheus/tests/a.yaml"
    test.write_text(f"rule_files: [{json.dumps(entry)}]\ntests: []\n")
    started = time.monotonic()
    with pytest.raises(ValidationError, match="outside the folder"):
        promtool.run_checks("test", [test], tmp_path)
    assert time.monotonic() - started < 5


def test_tool_errors_are_redacted():
    error = ValidationError(f"promtool: cannot read https://hooks.slack.com/services/{TOKEN} and "
                            "https://user:hunter2@example.com/x")
    assert TOKEN.rsplit("/", 1)[-1] not in str(error) and "hunter2" not in str(error)


# --- class 7: obs import -----------------------------------------------------------------------------

BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    from obs.slo.formats import ImportOptions, read_file
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    assert len(BOMB) < 1500
    started = time.monotonic()
    error = rejected(lambda: read_file(path, ImportOptions()), "bomb.yaml", "alias")
    assert time.monotonic() - started < 2 and "lol" not in str(error)


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    from obs.slo.formats import ImportOptions, read_file
    path = tmp_path / "latin1.yaml"
    path.write_bytes('version: "prometheus/v1"\nservice: caf\xe9\n'.encode("latin-1"))
    rejected(lambda: read_file(path, ImportOptions()), "latin1.yaml", "not UTF-8", "0xe9")


def test_duplicate_keys_are_an_error_with_their_lines(tmp_path):
    from obs.slo.formats import ImportOptions, read_file
    path = tmp_path / "dup.yaml"
    path.write_text('version: "prometheus/v1"\nservice: a\nslos: []\nservice: b\n')
    rejected(lambda: read_file(path, ImportOptions()), "dup.yaml", "'service'", "lines 2 and 4")


# --- class 8: small ones ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "abc", "inf", "-1"])
def test_a_bad_lock_timeout_is_a_clear_error(monkeypatch, value):
    from obs.safefs import lock_timeout
    monkeypatch.setenv("OBS_LOCK_TIMEOUT", value)
    with pytest.raises(ObsError, match="OBS_LOCK_TIMEOUT"):
        lock_timeout()


def test_an_unusable_check_cache_warns_and_checks_afresh(promtool_bin, tmp_path, monkeypatch, capsys):
    from obs.validate import promtool
    monkeypatch.setenv("OBS_CHECK_CACHE_DIR", str(tmp_path / ("x" * 300)))  # every lookup fails: ENAMETOOLONG
    monkeypatch.delenv("OBS_NO_CHECK_CACHE", raising=False)
    (tmp_path / "rules.yaml").write_text(RULES)
    assert promtool.check_rules([tmp_path / "rules.yaml"], tmp_path) == 1
    assert "check cache" in capsys.readouterr().err


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    """SIGINT to the whole process group (as a terminal sends it) once the build is validating."""
    import threading
    env = {**os.environ, "PYTHONPATH": str(REPO), "OBS_NO_CHECK_CACHE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "obs", "build", "--bundle", "rules.bundle:bundle", "--out",
                             str(tmp_path / "out")], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            started.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert started.wait(120), "the build printed no progress"
    assert proc.poll() is None, "the build finished before Ctrl-C"
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err = "".join(lines)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "obs: interrupted (obs build stopped)", err


def test_a_full_tmpdir_is_one_enospc_line(promtool_bin, tmp_path, monkeypatch):
    from tests.support import mount
    from obs.validate import promtool
    point = tmp_path / "tmp"
    point.mkdir()
    mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point))
    try:
        (point / "fill").write_bytes(b"\0" * 60_000)
        with pytest.raises(OSError):
            (point / "more").write_bytes(b"\0" * 8192)
        monkeypatch.setenv("TMPDIR", str(point))
        monkeypatch.setenv("OBS_NO_CHECK_CACHE", "1")
        (tmp_path / "env/prometheus/rules").mkdir(parents=True)
        (tmp_path / "env/prometheus/tests").mkdir()
        (tmp_path / "env/prometheus/rules/a.yaml").write_text(RULES)
        (tmp_path / "env/prometheus/tests/a.yaml").write_text(TEST)
        with pytest.raises(ObsError) as info:
            promtool.test_rules([tmp_path / "env/prometheus/tests/a.yaml"], tmp_path)
        message = str(info.value)
        assert "ENOSPC" in message and "TMPDIR" in message and "goroutine" not in message
        assert len(message.splitlines()) == 1
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


# --- class 9: dashboards as Grafana's dashboard-linter checks them ----------------------------------

def test_the_lint_requires_descriptions_table_units_datasource_variables_and_used_variables():
    from obs.grafana import Dashboard, logs, table, timeseries, variables
    from obs.validate.dashboards import lint_board
    env = Environment("prod", cluster="c")
    board = Dashboard("d", "D", "b", [
        timeseries("T", 'sum(up{cluster=~"$cluster", namespace=~"$namespace"})', unit="none"),
        table("Tab", 'up{cluster=~"$cluster"}', description="x"),
        logs("L", '{app="a"}', description="x"),
    ], variables=[*variables.standard(env, "up"), variables.label_values("unused", "up", "job")])
    data = board.to_json()
    next(p for p in data["panels"] if p["type"] == "logs")["datasource"] = {"type": "loki", "uid": "loki"}
    found = {(i.check, str(i).split("] ", 1)[1].split(":")[0]) for i in lint_board(data, "d", {"loki": "loki",
                                                                                                "prometheus": "prometheus"})}
    assert ("panel-description", "panel 'T'") in found
    assert ("panel-units", "panel 'Tab'") in found
    assert ("datasource-variable", "panel 'L'") in found
    assert ("unused-variable", "variable 'unused'") in found
    assert ("undefined-variable", "panel 'L'") not in found


def test_the_standard_dashboards_comply(reference_bundle):
    from obs.render import RenderContext
    from obs.validate.dashboards import lint_dashboards
    from rules.environments import staging
    assert list(lint_dashboards(RenderContext(reference_bundle, staging, reference_bundle.definitions(staging)))) == []


# --- cases beyond the report ------------------------------------------------------------------------

@pytest.mark.parametrize("make, words", [
    (lambda: AlertRule("A", "up == 0", "warning", "s \ud800", "d"), ("summary", "UTF-8")),
    (lambda: AlertRule("A", "up == 0", "warning", "s", "d", labels={"team": "x\udfff"}), ("team", "UTF-8")),
    (lambda: Slack(KEY, "#a", title="caf\ud800"), ("slack.title", "UTF-8")),
    (lambda: Webhook("http://incident-bot.ops.svc/alerts\n"), ("webhook.url",)),  # urlsplit drops the newline
    (lambda: Webhook("http://incident\tbot.ops.svc/alerts"), ("webhook.url",)),
    (lambda: SecretRef("slack", ".."), ("Secret key",)),
])
def test_text_no_target_can_carry_is_refused(make, words):
    rejected(make, *words)


def test_service_selectors_are_kubernetes_labels():
    Service("api", "shop", selector={"app.kubernetes.io/name": "api", "tier": "web_1.x"})
    rejected(lambda: Service("api", "shop", selector={"app": "a b"}), "Kubernetes label value")
    rejected(lambda: Service("api", "shop", selector={"app/x/y": "v"}), "Kubernetes label key")


CANDIDATE_FUNCTIONS = ("trimSpace", "date", "tz", "since", "join", "toJson", "stringSlice", "humanizeBytes")


def _promtool_refuses_function(binary: Path, name: str, folder: Path) -> bool:
    rules = folder / "fn.yaml"
    rules.write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    annotations:\n"
                     f"      d: '{{{{ {name} }}}}'\n")
    result = subprocess.run([str(binary), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    return "not defined" in result.stdout + result.stderr


def test_prometheus_template_functions_are_those_promtool_knows(promtool_bin, tmp_path):
    """No function promtool defines is refused by obs's template check (obs's list spans Prometheus
    2.x and 3.x, so a function only the newer release has passes here and promtool 2 checks it)."""
    from obs.model.gotemplate import PROMETHEUS_FUNCTIONS
    binaries = [promtool_bin]
    try:
        from obs.tools import promtool3
        binaries.append(promtool3())
    except ObsError:
        pass
    for name in sorted(PROMETHEUS_FUNCTIONS | set(CANDIDATE_FUNCTIONS)):
        known = any(not _promtool_refuses_function(binary, name, tmp_path) for binary in binaries)
        if known:
            assert name in PROMETHEUS_FUNCTIONS, f"promtool defines {name}, obs refuses it"
        elif len(binaries) == 2:
            assert name not in PROMETHEUS_FUNCTIONS, f"no promtool defines {name}, obs accepts it"
