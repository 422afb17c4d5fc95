"""Scale: the direct YAML emitter writes PyYAML's bytes, SLO proofs run once per rule shape and
still catch one broken SLO among many, promtool runs batched with a content-addressed cache,
and long validations report progress."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from bench.synthetic import service_name, synthetic_bundle
from obs import Environment, ValidationError, progress
from obs.pipeline import render
from obs.render import RENDERERS, RenderContext
from obs.serialize import _Dumper, to_yaml
from obs.slo.rules import slo_rule_packs
from obs.validate import cache, promtool

ENV = Environment("dev", cluster="dev-1")


def pyyaml(data) -> bytes:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000,
                     default_flow_style=False).encode()


def test_yaml_is_byte_identical_to_pyyaml_for_every_rendered_file(reference_bundle):
    bundles = (reference_bundle, synthetic_bundle(2))
    checked = 0
    for bundle in bundles:
        for env in bundle.environments:
            ctx = RenderContext(bundle, env, bundle.definitions(env))
            for renderer in RENDERERS:
                for rendered in renderer(ctx):
                    docs = [rendered.data] if rendered.format == "yaml" else \
                        list(rendered.data) if rendered.format == "yaml-documents" else []
                    for doc in docs:
                        assert to_yaml(doc) == pyyaml(doc), rendered.path
                        checked += 1
    assert checked > 50


def test_yaml_is_byte_identical_to_pyyaml_on_awkward_values():
    """Indicators, quotes, YAML 1.1 booleans and numbers, unicode, line breaks, empty containers,
    long lines (which PyYAML folds) and literal blocks: random documents, both emitters."""
    rng = random.Random(7)
    alphabet = list("ab:# -'\"{}[],&*!|>%@`?.09~\nyYnNoO+_/=<\\é—\t\x85") + ["true", "null", "1e3", "0x1F", " "]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def value(depth: int = 0):
        roll = rng.random()
        if depth < 3 and roll < 0.25:
            return {text(): value(depth + 1) for _ in range(rng.randint(0, 3))}
        if depth < 3 and roll < 0.4:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return rng.choice([text(), text(), rng.randint(-5, 5), rng.random(), True, None, 1e20, "", "x " * 600])

    for _ in range(3000):
        doc = {text(): value() for _ in range(3)}
        assert to_yaml(doc) == pyyaml(doc), repr(doc)


def test_each_rule_shape_gets_the_full_proof_once():
    """The first SLO of a shape carries the burn-rate proof; the others one multi-cluster case
    checked before and after traffic (plus, for latency, the raw histogram), shared by their page
    and ticket alerts (one promtool case once merged)."""
    from bench.synthetic import slos
    packs = slo_rule_packs([s for i in range(3) for s in slos(ENV, service_name(i))], ENV)
    cases = {a.name: [t.name for t in a.tests] for p in packs for a in p.alerts}
    assert len(cases["Svc0000AvailabilityErrorBudgetBurnPage"]) > 10
    assert any("the long window holds it back" in n for n in cases["Svc0000LatencyErrorBudgetBurnTicket"])
    own = cases["Svc0002AvailabilityErrorBudgetBurnPage"]
    assert own[0] == "no traffic yet" and own[1].startswith("own series: dev-1 at 15.84x, dev-1-peer at 0x")
    assert len(own) == 2 and cases["Svc0002AvailabilityErrorBudgetBurnTicket"] == own
    assert len(cases["Svc0001LatencyErrorBudgetBurnPage"]) == 3  # and the raw histogram


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.FOLDER_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)
    return tmp_path / "cache"


def _write(results, root: Path) -> list[Path]:
    for result in results:
        for path, content in result.files.items():
            target = root / result.env.name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return sorted(root.glob("*/prometheus/tests/slo-*.test.yaml"))


def test_a_broken_rule_in_one_slo_among_many_fails_and_the_cache_keeps_the_rest(
        promtool_bin, tmp_path, empty_cache, capsys):
    """24 services, one environment: every SLO test passes and is cached; one service's page
    threshold raised from 14.4x to 20x (by hand, in its rule file) fails its own selection case,
    named in the error, while the other files stay cached."""
    services = 24
    bundle = synthetic_bundle(services, (ENV,))
    tests = _write(render(bundle), tmp_path / "out")
    assert len(tests) == services
    assert promtool.test_rules(tests, tmp_path / "out") == services
    broken = service_name(17)
    rules = tmp_path / "out" / ENV.name / "prometheus" / "rules" / f"slo-{broken}.yaml"
    text = rules.read_text()
    # 14.4x (with the 1 ppm tie tolerance) of the 0.1% and 1% budgets, as error ratios -> 20x
    raised = {"0.0144000144": "0.02", "0.144000144": "0.2"}
    mutated, count = re.subn(r"> (0\.0144000144|0\.144000144)\)", lambda m: f"> {raised[m[1]]})", text)
    assert count == 4  # both windows of the page alert, per SLO
    rules.write_text(mutated)
    capsys.readouterr()
    with pytest.raises(ValidationError) as failed:
        promtool.test_rules(tests, tmp_path / "out")
    message = str(failed.value)
    assert f"slo-{broken}.test.yaml" in message and "own series" in message
    assert f"Svc{broken[3:]}AvailabilityErrorBudgetBurnPage" in message
    assert f"{services}/{services} ({services - 1} cached, 1 failed)" in capsys.readouterr().err


def test_the_cache_key_covers_the_rule_files_a_test_loads(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    rule = tmp_path / "rules" / "a.yaml"
    test = tmp_path / "tests" / "a.test.yaml"
    rule.write_text("groups: []\n")
    test.write_text("rule_files:\n  - ../rules/a.yaml\ntests: []\n")
    assert promtool.referenced_rule_files(test, tmp_path) == [tmp_path / "rules" / "a.yaml"]
    before = cache.key("promtool-test", "promtool 2", promtool._inputs("test", test, tmp_path))
    rule.write_text("groups: [] # changed\n")
    assert cache.key("promtool-test", "promtool 2", promtool._inputs("test", test, tmp_path)) != before
    assert cache.key("promtool-test", "promtool 3", promtool._inputs("test", test, tmp_path)) != \
        cache.key("promtool-test", "promtool 2", promtool._inputs("test", test, tmp_path))


def test_quiet_silences_progress(promtool_bin, tmp_path, empty_cache, capsys):
    from obs.cli import main
    from tests.sample_bundle import bundle  # noqa: F401  (importable as tests.sample_bundle:bundle)
    assert main(["validate", "--bundle", "tests.sample_bundle:bundle"]) == 0
    assert "promtool test rules: 1/1 (1 passed)" in capsys.readouterr().err
    try:
        assert main(["--quiet", "validate", "--bundle", "tests.sample_bundle:bundle"]) == 0
        assert "promtool" not in capsys.readouterr().err
    finally:
        progress.set_quiet(False)


def test_the_block_scalar_check_agrees_with_its_regular_expression():
    from hypothesis import given, settings, strategies as st
    from obs.serialize import _NOT_IN_BLOCK, _not_in_block

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet=" \t\n\r\x85\u2028\u2029ab", max_size=12))
    def agrees(value):
        assert _not_in_block(value) == bool(_NOT_IN_BLOCK.search(value))
    agrees()


def test_plain_scalars_match_pyyaml_whatever_their_first_character():
    """The direct emitter decides plain vs quoted without PyYAML's resolver for first characters
    no implicit resolver (int, float, bool, null) starts with: every first character agrees."""
    import string

    from obs.serialize import _pyyaml, _scalars, to_yaml
    for first in string.printable.strip():
        for rest in ("", "abc", "1", "0", ".5", "e3", "rue", "ULL", "o", "x:1", "_x"):
            data = {"key": first + rest, "list": [first + rest]}
            _scalars.clear()
            assert to_yaml(data).decode() == _pyyaml(data), first + rest


def test_rendering_drops_the_serialised_rule_groups_before_the_linters_run(reference_bundle):
    """The rule files and PrometheusRules share each pack's serialised groups; once both are
    rendered nothing reads them, and the linters that run next must not hold them (memory)."""
    from obs.render import render_files
    from obs.render.prometheus import RULE_GROUPS, rule_groups_block
    env = reference_bundle.environments[-1]
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    pack = ctx.defs.all_rule_packs()[0]
    rule_groups_block(ctx, pack)
    assert any(isinstance(k, tuple) and k[0] == RULE_GROUPS for k in ctx.memo)
    files = dict(render_files(ctx))
    assert not any(isinstance(k, tuple) and k[0] == RULE_GROUPS for k in ctx.memo)
    again = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    assert dict(render_files(again)) == files
