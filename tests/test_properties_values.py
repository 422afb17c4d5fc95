"""Issue 21: property-based tests of the values obs hands to other systems. Random names and
values with control characters, non-ASCII text and trailing separators either raise
DefinitionError or are what the target accepts: Alertmanager matchers that amtool and obs read
alike, Go templates that Go's parser (amtool template render) and obs's check judge alike,
Kubernetes names, port names and label keys/values that Kubernetes' own rules accept, secrets never
echoed. Deterministic (derandomize, no database, no shrinking) and bounded, like test_properties."""
from __future__ import annotations

import re

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in the test extra: pip install -e '.[test]'")
from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

from obs.alertmanager import Alertmanager, Intent, Receiver, Route  # noqa: E402
from obs.alertmanager.config_file import render_config  # noqa: E402
from obs.alertmanager.matchers import Matcher, parse_matchers  # noqa: E402
from obs.collector import Exporter  # noqa: E402
from obs.errors import DefinitionError  # noqa: E402
from obs.model import checks  # noqa: E402
from obs.model.gotemplate import ALERTMANAGER_FUNCTIONS, template_problem  # noqa: E402
from obs.serialize import to_yaml  # noqa: E402
from obs.slo.yamlload import load_documents  # noqa: E402


def bounded(max_examples: int) -> settings:
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# Kubernetes' own rules (apimachinery validation), written here independently of obs's checks.
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")  # and at most 63
IANA_SVC_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")  # and <= 15, a letter, no "--"
K8S_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")

# Text with what breaks naive checks: control characters, line and paragraph separators,
# non-ASCII letters and marks, quotes, backslashes, trailing separators.
TRICKY = st.sampled_from(["\n", "\r\n", "\t", "\x00", "\x7f", "\x85", "\u2028", "\u2029", "é", "東京", "🚨",
                          "\u0301", '"', "\\", "'", "-", ".", "_", "/", " ", "{{", "}}", ",", "=", "\\u00e9"])
hostile = st.lists(st.one_of(TRICKY, st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                             max_size=4)), max_size=6).map("".join)
nameish = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
                    st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), TRICKY).map("".join),
                    hostile)


@bounded(200)
@given(value=hostile)
def test_matchers_round_trip_through_alertmanagers_syntax(value):
    matcher = Matcher("city", value)
    assert parse_matchers("d", "f", [matcher.text()]) == (matcher,)
    written = yaml.safe_load(to_yaml({"matchers": [matcher.text()]}))["matchers"][0]
    assert written == matcher.text()  # the YAML writer keeps it byte for byte


@bounded(25)
@given(values=st.lists(hostile.filter(lambda v: v and "\x00" not in v), min_size=2, max_size=4, unique=True))
def test_amtool_routes_random_values_as_the_written_matchers_say(values, amtool_bin, tmp_path_factory):
    """Each value has its own route; amtool, fed the labels as obs's proof feeds them, reaches it."""
    from obs.validate import amtool
    receivers = [f"r{index}" for index in range(len(values))]
    config = Alertmanager("m", Route("default", group_wait="30s", group_interval="5m", repeat_interval="4h",
                                     routes=[Route(r, match={"city": v}) for r, v in zip(receivers, values, strict=True)]),
                          [Receiver("default"), *map(Receiver, receivers)], [Intent({}, "default")])
    path = tmp_path_factory.mktemp("am") / "alertmanager.yaml"
    path.write_bytes(to_yaml(render_config(config)))
    for receiver, value in zip(receivers, values, strict=True):
        assert amtool.resolve(path, {"city": value}) == [receiver], repr(value)


@bounded(300)
@given(name=nameish)
def test_kubernetes_names_are_what_kubernetes_accepts(name):
    for check in (checks.check_slug, checks.check_k8s_name):
        try:
            check("d", "f", name)
        except DefinitionError:
            continue
        assert K8S_NAME.fullmatch(name) and len(name) <= 63, repr(name)


@bounded(300)
@given(name=nameish)
def test_port_names_are_iana_service_names(name):
    try:
        checks.check_port_name("d", "f", name)
    except DefinitionError:
        return
    assert IANA_SVC_NAME.fullmatch(name) and len(name) <= 15 and "--" not in name
    assert re.search("[a-z]", name), repr(name)


@bounded(300)
@given(key=st.one_of(nameish, st.tuples(nameish, st.just("/"), nameish).map("".join)), value=nameish)
def test_kubernetes_label_keys_and_values(key, value):
    try:
        checks.check_k8s_labels("d", "f", {key: value})
    except DefinitionError:
        return
    prefix, _, name = key.rpartition("/")
    assert K8S_QUALIFIED.fullmatch(name) and len(name) <= 63
    assert not prefix or (len(prefix) <= 253 and all(K8S_NAME.fullmatch(p) for p in prefix.split(".")))
    assert value == "" or (K8S_QUALIFIED.fullmatch(value) and len(value) <= 63)


@bounded(200)
@given(name=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,150}[a-z0-9])?", fullmatch=True),
       other=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,150}[a-z0-9])?", fullmatch=True))
def test_cut_names_stay_valid_and_distinct(name, other):
    fitted = checks.fit_k8s_name(name)
    assert len(fitted) <= 63 and K8S_NAME.fullmatch(fitted), fitted
    assert (fitted == checks.fit_k8s_name(other)) == (name == other)


@bounded(200)
@given(value=hostile)
def test_identifiers_refuse_trailing_newlines_and_control_characters(value):
    """A check either refuses the value or it holds no control character at all."""
    for check in (checks.check_slug, checks.check_cluster, checks.check_label_name, checks.check_metric_name,
                  checks.check_duration, checks.check_http_url):
        try:
            check("d", "f", value)
        except DefinitionError:
            continue
        assert not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", value), (check.__name__, repr(value))


# Go template fragments: actions, keywords, strings, comments, variables and stray delimiters.
FRAGMENTS = st.sampled_from([
    "{{", "}}", "{{ ", " }}", "{{- ", " -}}", ".X", ".CommonLabels.team", "$", "$x", "$x := 1", "$x = 2", "if",
    "else", "end", "range", "with", "define \"d\"", "template \"d\"", "block \"b\" .", "break", "continue",
    "toUpper", "join", "nope", "printf", '"s"', '"\\q"', "`r`", "'c'", "1", "-1", "0x1F", "3x", "(", ")", "|",
    ",", "/* c */", "{{/* c */}}", "true", "nil", " ", "text", "é",
])
templates = st.lists(FRAGMENTS, max_size=12).map("".join)


@bounded(60)
@given(text=templates)
def test_the_template_check_agrees_with_gos_parser(text, amtool_bin, tmp_path_factory):
    from tests.gotemplate_support import amtool_is_025, go_refuses
    obs_refuses = template_problem(text, ALERTMANAGER_FUNCTIONS) is not None
    refused = go_refuses(amtool_bin, tmp_path_factory.mktemp("tmpl"), text)
    assert obs_refuses == refused if amtool_is_025(amtool_bin) else refused <= obs_refuses, text


CREDENTIAL_WORDS = st.sampled_from(["Key", "Token", "Secret", "Auth", "Cookie", "License", "Session", "Password",
                                    "Signature", "Apikey"])


@bounded(100)
@given(prefix=st.from_regex(r"(X-)?[A-Z][a-z]{0,8}", fullmatch=True), word=CREDENTIAL_WORDS,
       secret=st.from_regex(r"[A-Za-z0-9]{12,30}", fullmatch=True))
def test_credential_headers_are_refused_without_their_value(prefix, word, secret):
    with pytest.raises(DefinitionError) as info:
        Exporter("otlp_http", {"endpoint": "https://otlp.example.com", "headers": {f"{prefix}-{word}": secret}})
    assert secret not in str(info.value)
    Exporter("otlp_http", {"endpoint": "https://otlp.example.com",
                           "headers": {f"{prefix}-{word}": "${env:VENDOR_SECRET}"}})


@bounded(50)
@given(depth=st.integers(4, 12), width=st.integers(6, 12))
def test_alias_bombs_are_refused_whatever_their_shape(depth, width):
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth)]
    text = "\n".join(lines) + "\n"
    expanded = sum(width ** level for level in range(1, depth + 1)) * 2  # leaves and sequences, roughly
    if expanded < 50_000:
        assert load_documents(text, "f.yaml")
    elif width ** depth > 100_000:
        with pytest.raises(DefinitionError, match="alias"):
            load_documents(text, "f.yaml")


@bounded(100)
@given(keys=st.lists(st.from_regex(r"[a-z]{1,3}", fullmatch=True), min_size=1, max_size=8))
def test_duplicate_keys_are_found(keys):
    text = "".join(f"{key}: {index}\n" for index, key in enumerate(keys))
    if len(set(keys)) == len(keys):
        assert load_documents(text, "f.yaml") == [{k: i for i, k in enumerate(keys)}]
        return
    with pytest.raises(DefinitionError, match="given twice"):
        load_documents(text, "f.yaml")


@bounded(100)
@given(names=st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1, max_size=4, unique=True),
       comments=st.lists(st.sampled_from(["", "  # note", " #", "  # x: y, z"]), min_size=4, max_size=4),
       flow=st.booleans())
def test_the_cache_key_reads_rule_files_as_yaml_does(names, comments, flow, tmp_path_factory):
    from obs.validate import promtool
    root = tmp_path_factory.mktemp("cache")
    (root / "tests").mkdir()
    if flow:
        body = "rule_files: [" + ", ".join(f"../rules/{n}.yaml" for n in names) + "]" + comments[0] + "\n"
    else:
        body = "rule_files:" + comments[0] + "\n" + "".join(
            f"  - ../rules/{n}.yaml{comments[i % 4]}\n" for i, n in enumerate(names))
    test = root / "tests" / "t.yaml"
    test.write_text(body + "tests: []\n")
    assert promtool.referenced_rule_files(test, root) == [root / "rules" / f"{n}.yaml" for n in names]
    assert yaml.safe_load(body)["rule_files"] == [f"../rules/{n}.yaml" for n in names]

