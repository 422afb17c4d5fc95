"""kustomization.yaml lists the manifests obs writes, then the extra resources a team keeps in the
folder; those are relative paths inside the output folder, never one of obs's own files."""
from __future__ import annotations

import pytest
import yaml

import obs
from obs import Bundle, Definitions, DefinitionError, Environment
from tests.sample_bundle import make_bundle

ENV = Environment("prod", cluster="prod-1")


def team(extra) -> Bundle:
    pack = make_bundle().definitions(make_bundle().environments[0]).rule_packs
    return Bundle("team", [ENV], lambda env: Definitions(rule_packs=pack, extra_resources=extra))


def kustomization(bundle: Bundle) -> dict:
    return yaml.safe_load(obs.render(bundle)[0].files["kustomization.yaml"])


def test_extra_resources_follow_obs_manifests_in_the_given_order():
    resources = kustomization(team(["kubernetes/sealed-secret.yaml", "alertmanager"]))["resources"]
    assert resources == ["kubernetes/prometheusrule-sample.yaml", "kubernetes/sealed-secret.yaml", "alertmanager"]
    assert kustomization(team([]))["resources"] == ["kubernetes/prometheusrule-sample.yaml"]


@pytest.mark.parametrize("path", ["../shared/secret.yaml", "/etc/secret.yaml", "a/../../b.yaml", "./x.yaml",
                                  "https://example.com/x.yaml", "a\\b.yaml", "", 3])
def test_paths_outside_the_folder_are_rejected(path):
    with pytest.raises(DefinitionError) as raised:
        Definitions(extra_resources=[path])
    assert raised.value.field == "extra_resources" and "relative" in raised.value.fix


def test_a_duplicate_or_an_obs_file_is_rejected():
    with pytest.raises(DefinitionError, match="duplicate extra resource"):
        Definitions(extra_resources=["a.yaml", "a.yaml"])
    with pytest.raises(DefinitionError, match="is a file obs writes"):
        obs.render(team(["kubernetes/prometheusrule-sample.yaml"]))


def test_build_keeps_the_teams_file_and_warns_while_it_is_missing(tmp_path):
    bundle = team(["kubernetes/sealed-secret.yaml"])
    _, report = obs.build(bundle, tmp_path, check_with_tools=False)
    assert any("extra resource 'kubernetes/sealed-secret.yaml' is not in" in line for line in report)
    secret = tmp_path / "prod" / "kubernetes" / "sealed-secret.yaml"
    secret.write_text("kind: SealedSecret\n")
    _, report = obs.build(bundle, tmp_path, check_with_tools=False)
    assert report == [] and secret.read_text() == "kind: SealedSecret\n"
    assert obs.check(bundle, tmp_path) == {"prod": []}
