"""Issue 18: each of Sloth's 18 example shapes either builds with `Definitions(slos=SLOS)`, as the
module `obs import` writes says, or fails at import naming the feature. Imported SLOs assert their
metrics (obs.catalog.asserted) and are still checked for labels their queries disagree on."""
from __future__ import annotations

import types
from pathlib import Path

import pytest

from obs import Bundle, Definitions, DefinitionError, Environment, EventsSLI, SLO
from obs.catalogue import catalogue
from obs.pipeline import render
from obs.slo.formats import import_files, load_windows
from obs.slo.importer import ImportOptions, to_module

EXAMPLES = Path(__file__).parent / "data" / "sloth" / "examples"
WINDOWS = Path(__file__).parent / "data" / "sloth" / "windows"
# The shapes obs refuses, and the feature each refusal names.
REFUSED = {"contrib-slo-plugins.yml": "plugin 'sloth.dev/contrib/rule_intervals/v1'",
           "plugin-getting-started.yml": "SLI plugin 'acme_http_availability'",
           "plugin-k8s-getting-started.yml": "SLI plugin 'acme_http_availability'",
           "victoria-metrics.yml": "plugin 'sloth.dev/contrib/validate_victoria_metrics/v1'"}


def module_of(path: Path) -> types.ModuleType:
    options = ImportOptions(check_build=False)
    load_windows([WINDOWS], options)
    result, sources = import_files([path], options)
    module = types.ModuleType(path.stem)
    exec(to_module(result.slos, sources, result.notes, result.dropped), module.__dict__)
    return module


def errors_of(slos) -> list[str]:
    env = Environment("prod", cluster="prod-eu1")
    return [str(i) for r in render(Bundle("b", [env], lambda e: Definitions(slos=slos))) for i in r.errors]


def test_there_are_eighteen_shapes():
    assert len(list(EXAMPLES.iterdir())) == 18


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir()))
def test_each_shape_builds_as_the_module_says_or_is_refused_naming_the_feature(name):
    if name in REFUSED:
        with pytest.raises(DefinitionError) as caught:
            module_of(EXAMPLES / name)
        assert REFUSED[name] in str(caught.value) and "obs cannot reproduce it exactly" in str(caught.value)
        return
    module = module_of(EXAMPLES / name)
    assert "Definitions(slos=SLOS)" in module.__doc__
    assert all(s.asserted_source == f"obs import {name}" for s in module.SLOS)
    assert errors_of(module.SLOS) == []


def test_queries_that_disagree_on_a_label_are_still_reported():
    sli = EventsSLI(bad='sum by (cluster, code) (rate(orders_total{result="error"}[{{window}}]))',
                    total='sum by (cluster, status) (rate(orders_total[{{window}}]))')
    slo = SLO("checkout", "orders", 99.9, sli, asserted_source="teams/shop.yaml")
    errors = errors_of([slo])
    assert errors and all("[coherence]" in e for e in errors)
    assert any("'code'" in e or "'status'" in e for e in errors), errors


def test_obs_list_shows_the_asserted_source():
    module = module_of(EXAMPLES / "getting-started.yml")
    env = Environment("prod", cluster="prod-eu1")
    data = catalogue(Bundle("b", [env], lambda e: Definitions(slos=module.SLOS)), [env])
    assert {s["asserted_source"] for s in data["environments"][0]["slos"]} == {"obs import getting-started.yml"}


TWO_REFUSALS = """
version: prometheus/v1
service: api
slos:
  - name: a
    objective: 99.9
    sli: {plugin: {id: acme_one}}
    alerting: {name: A}
  - name: b
    objective: 99.9
    sli: {plugin: {id: acme_two}}
    alerting: {name: B}
"""


def test_every_refusal_of_a_file_is_reported_in_one_run():
    from obs.slo.formats import parse_sloth
    with pytest.raises(DefinitionError) as caught:
        parse_sloth(TWO_REFUSALS, source="two.yml")
    text = str(caught.value)
    assert "2 features obs cannot reproduce exactly" in text
    assert "SLI plugin 'acme_one'" in text and "SLI plugin 'acme_two'" in text


def test_renames_and_drops_are_in_the_notes():
    from obs.slo.formats import parse_sloth
    spec = """
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api-slos, namespace: monitoring}
spec:
  service: api
  slos:
    - name: availability
      objective: 99.9
      sli:
        events:
          error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
          total_query: sum(rate(http_requests_total[{{.window}}]))
      alerting:
        name: ApiAvailability
        annotations: {runbook: "https://runbooks.example.com/api"}
"""
    slos, notes = parse_sloth(spec, source="api.yml")
    assert slos[0].alerting.runbook_url == "https://runbooks.example.com/api"
    text = "\n".join(notes)
    assert "alerting.annotations.runbook written as runbook_url" in text
    assert "metadata.name/namespace (the PrometheusServiceLevel's own) not kept" in text
    assert "Sloth's `title` annotation on burn alerts is not written" in text


@pytest.mark.parametrize("name,note", [
    ("raw-home-wifi.yml", "raw SLI: obs records the error ratio once a minute"),
    ("no-alerts.yml", "no alerts: obs records the 5m and period ratios only"),
])
def test_deliberate_differences_from_sloth_are_in_the_notes(name, note):
    assert any(note in line for line in module_of(EXAMPLES / name).NOTES)
