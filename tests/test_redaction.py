"""Issue 22: the redaction net (obs.secret_patterns.redact, docs/safety.md 9) is tested by planting
secrets in every error path that carries user values: the parts of a DefinitionError, errors built
by the model checks that quote a value, errors that come back from a worker process, tool and OS
errors, an exception from the user's own definitions, lint findings, and the CLI's one-line
error. Each test asserts the secret reached the message (it shows `<redacted>` in its place) and
that its text did not: a net that let everything through fails all of them."""
from __future__ import annotations

import errno
import pickle
import textwrap
from pathlib import Path

import pytest

from obs import AlertRule, Bundle, Definitions, Environment, RuleGroup, RulePack
from obs.alertmanager import Alertmanager, Receiver, Route, intents_by_label
from obs.alertmanager.matchers import parse_matchers
from obs.errors import DefinitionError, ObsError, ToolMissingError, ValidationError, os_error
from obs.loader import user_code_error
from obs.pipeline import render
from obs.secrets import redact
from obs.tools import find_tool
from obs.validate.lint import LintIssue
from tests.support import obs

# One secret of every kind the net knows; each planted where a user value ends up in a message.
SECRETS = {
    "github": "ghp_" + "Q7x" * 12,
    "gitlab": "glpat-" + "k9Z" * 7,
    "slack": "xoxb-" + "1234567890-abcdef",
    "aws": "AKIA" + "Z5Y4X3W2V1U0T9S8",
    "google": "AIza" + "S" * 35,
    "stripe": "sk_live_" + "9" * 20,
    "jwt": "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.c2lnbmF0dXJlX3Zh",
    "url password": "https://admin:hunter2-pw@db.example.com/x",
    "url token": "https://ghtoken123456@git.example.com/x",
    "query token": "https://hooks.example.com/x?token=s3cr3tvalue99",
    "query sig": "https://store.example.com/blob?sv=2024&sig=AbCdEf0123456789",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
}
# The part of each that must never be printed.
HIDDEN = {"github": "Q7xQ7x", "gitlab": "k9Zk9Z", "slack": "1234567890-abcdef", "aws": "Z5Y4X3W2V1U0T9S8",
          "google": "SSSSSSSSSS", "stripe": "99999999", "jwt": "c2lnbmF0dXJl", "url password": "hunter2-pw",
          "url token": "ghtoken123456", "query token": "s3cr3tvalue99", "query sig": "AbCdEf0123456789",
          "pem": "MIIEowIBAAKCAQEA7"}
KINDS = sorted(SECRETS)


def assert_redacted(text: str, *kinds: str) -> None:
    """The secrets' text is gone and their place is marked (so they did reach the message)."""
    for kind in kinds:
        assert HIDDEN[kind] not in text, f"{kind} secret echoed: {text!r}"
    assert "redacted>" in text, f"nothing was redacted (did the secret reach the message?): {text!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_redact_hides_every_kind_and_keeps_the_rest(kind):
    text = f"before {SECRETS[kind]} after"
    out = redact(text)
    assert_redacted(out, kind)
    assert out.startswith("before ") and out.endswith(" after")


def test_redact_leaves_harmless_text_alone():
    text = "https://grafana.example.com/d/abc?orgId=1&var-job=api ${env:TOKEN} team=\"shop\""
    assert redact(text) == text


# Secrets glued to word characters on both sides: letters, underscores, digits (`key_ghp_...`,
# `9AKIA...9`, `foo_https://user:pw@...Zz`), where a `\b` boundary does not hold.
GLUE = [("x", "x"), ("_", "_"), ("7", "7"), ("key_", "_9"), ("foo_", "Zz"), ("ab", ""), ("", "ab")]
SLACK_WEBHOOK = "https://hooks.slack.com/services/T0000/B0000/" + "Xy9" * 8


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("before,after", GLUE)
def test_redact_hides_every_kind_glued_to_word_characters(kind, before, after):
    assert_redacted(redact(f"{before}{SECRETS[kind]}{after}"), kind)


@pytest.mark.parametrize("before,after", GLUE)
def test_redact_hides_a_capability_url_glued_to_word_characters(before, after):
    out = redact(f"{before}{SLACK_WEBHOOK}{after}")
    assert "Xy9Xy9" not in out and "<redacted>" in out


# Ordinary words and identifiers that contain a token's prefix: no vendor token, nothing redacted.
ORDINARY = [
    "disk_live_migrationinprogress", "task_live_0", "risk_live_assessmentdashboards", "EASTASIAPRODUCTIONCLUSTER",
    "SOUTHEASTASIA_REGION_CLUSTERS", "laughs_and_highs", "weighs_nothing", "OpenAIza", "https://grafana.example.com",
    "xoxo-kisses", "glpat", "keyJ.eyJ", "user@example.com", "http_server_request_duration_seconds_bucket",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_redact_leaves_words_holding_a_token_prefix_alone(text):
    assert redact(f"x{text}_1 {text}") == f"x{text}_1 {text}"


# --- DefinitionError and every ObsError ------------------------------------------------------------

@pytest.mark.parametrize("part", ["definition", "field", "problem", "fix"])
def test_every_part_of_a_definition_error_is_redacted(part):
    parts = {"definition": "alert 'A'", "field": "expr", "problem": "is bad", "fix": "fix it"}
    parts[part] += " " + SECRETS["github"]
    err = DefinitionError(**parts)
    assert_redacted(str(err), "github")
    assert_redacted(getattr(err, part), "github")


def test_a_definition_error_from_a_worker_process_stays_redacted():
    """Errors come back from forked workers by pickling their parts (obs.workers)."""
    err = pickle.loads(pickle.dumps(DefinitionError("alert 'A'", "expr", f"quotes {SECRETS['slack']}")))
    assert isinstance(err, DefinitionError)
    assert_redacted(str(err), "slack")


@pytest.mark.parametrize("cls", [ObsError, ValidationError, ToolMissingError])
@pytest.mark.parametrize("kind", ["url password", "pem", "query sig"])
def test_every_obs_error_text_is_redacted(cls, kind):
    assert_redacted(str(cls(f"promtool check rules failed:\n  {SECRETS[kind]}\n")), kind)


# --- errors the model checks build from a user's value ---------------------------------------------

def _alertmanager(receiver: str) -> Alertmanager:
    return Alertmanager("m", Route(receiver, group_wait="1m", group_interval="1m", repeat_interval="1h"),
                        [Receiver("a")], intents_by_label("severity", {"critical": "a"}))


QUOTING = {
    "alert name": lambda s: AlertRule(f"Down {s}", "up == 0", "warning", "s", "d"),
    "duration": lambda s: AlertRule("Down", "up == 0", "warning", "s", "d", for_=f"5m {s}"),
    "label name": lambda s: AlertRule("Down", "up == 0", "warning", "s", "d", labels={f"x {s}": "1"}),
    "matcher": lambda s: parse_matchers("route", "match", [f"team {s}"]),
    "receiver name": lambda s: _alertmanager(f"rcv {s}"),
    "environment name": lambda s: Environment(f"dev {s}", cluster="c1"),
}


@pytest.mark.parametrize("path", sorted(QUOTING))
@pytest.mark.parametrize("kind", ["github", "url token", "aws"])
def test_a_check_quoting_a_bad_value_never_echoes_a_secret_in_it(path, kind):
    with pytest.raises(DefinitionError) as err:
        QUOTING[path](SECRETS[kind])
    assert_redacted(str(err.value), kind)


# --- tools, the file system, the user's code, lint ---------------------------------------------------

def test_a_tool_path_with_credentials_is_not_echoed(monkeypatch):
    monkeypatch.setenv("OBS_PROMTOOL", SECRETS["url password"])
    with pytest.raises(ToolMissingError) as err:
        find_tool("promtool", "OBS_PROMTOOL", "install it")
    assert_redacted(str(err.value), "url password")


def test_an_os_error_naming_a_path_with_a_token_is_redacted():
    exc = OSError(errno.ENOSPC, "No space left on device", f"/out/{SECRETS['gitlab']}/rules.yaml")
    assert_redacted(str(os_error(exc, "writing")), "gitlab")


def test_an_exception_from_the_users_definitions_is_redacted():
    try:
        raise ValueError(f"cannot reach {SECRETS['url password']}")
    except ValueError as exc:
        assert_redacted(str(user_code_error(exc, "while building the definitions")), "url password")


def test_a_lint_finding_quoting_an_expression_is_redacted():
    issue = LintIssue("warning", "alert 'A'", "aggregation", f"expression quotes {SECRETS['jwt']}")
    assert_redacted(str(issue), "jwt")


def test_a_render_error_from_a_worker_process_is_redacted():
    """A definition error raised inside a forked worker (two environments, two jobs) comes back
    redacted."""
    def define(env: Environment) -> Definitions:
        rule = AlertRule("Down", "up == 0", "warning", "s", "d", for_=f"5m {SECRETS['stripe']}")
        return Definitions(rule_packs=[RulePack("p", [RuleGroup("g", [rule])])])
    bundle = Bundle("b", [Environment("a", cluster="a"), Environment("b", cluster="b")], define)
    with pytest.raises(DefinitionError) as err:
        render(bundle, jobs=2)
    assert_redacted(str(err.value), "stripe")


# --- the CLI's one line ------------------------------------------------------------------------------

BUNDLE = textwrap.dedent('''\
    from obs import Bundle, Definitions, Environment

    def define(env):
        raise RuntimeError("cannot reach https://admin:hunter2-pw@db.example.com/x with {token}")

    bundle = Bundle("leaky", [Environment("dev", cluster="c1")], define)
    ''')


def test_the_cli_never_prints_a_secret_from_a_failing_bundle(tmp_path: Path):
    (tmp_path / "leaky.py").write_text(BUNDLE.replace("{token}", SECRETS["github"]))
    result = obs("build", "--no-validate", "--bundle", "leaky:bundle", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("obs: error: ")
    assert_redacted(result.stderr, "url password", "github")
