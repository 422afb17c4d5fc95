"""Issue 13: no rendered file of the reference bundle carries a secret, and the scanner finds
secrets when they are planted (so zero findings means something)."""
from __future__ import annotations

import json

import pytest

from obs.pipeline import render
from obs.secrets import scan_text
from obs.serialize import to_yaml

PLANTED = {
    "yaml password": to_yaml({"s3": {"password": "hunter2-Secret"}}),
    "yaml api key header": to_yaml({"headers": {"DD-API-KEY": "0123456789abcdef0123456789abcdef"}}),
    "yaml bearer": to_yaml({"headers": {"Authorization": "Bearer abc.def.ghi"}}),
    "json token": json.dumps({"datasource": {"token": "glsa_abcdefghijklmnop"}}, indent=2).encode(),
    "userinfo": to_yaml({"url": "https://admin:pw123@grafana.example.com"}),
    "token as user": to_yaml({"url": "https://ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x.git"}),
    "query string": to_yaml({"url": "https://hooks.example.com/x?api_key=abcdef123456"}),
    "pem block": to_yaml({"tls": {"key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"}}),
    "aws key id": b"# note AKIAIOSFODNN7EXAMPLE\n",
    "slack token": to_yaml({"receiver": {"text": "xoxb-123456789012-abcdefghijkl"}}),
    "jwt": to_yaml({"env": [{"name": "X", "value": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r"}]}),
}

CLEAN = {
    "env reference": to_yaml({"headers": {"Authorization": "Bearer ${env:REMOTE_WRITE_TOKEN}"}}),
    "tempo reference": to_yaml({"s3": {"secret_key": "${S3_SECRET_ACCESS_KEY}", "access_key": "${S3_ACCESS_KEY_ID}"}}),
    "secret ref": to_yaml({"valueFrom": {"secretKeyRef": {"name": "tempo-s3", "key": "secret-key"}}}),
    "file path": to_yaml({"tls": {"key_file": "/etc/tls/tls.key", "ca_file": "/etc/tls/ca.crt"}}),
    "service account": to_yaml({"auth_type": "serviceAccount", "token_path": "/var/run/secrets/token"}),
}


@pytest.fixture(scope="module")
def reference_files(reference_bundle) -> dict[str, bytes]:
    return {f"{r.env.name}/{path}": content for r in render(reference_bundle) for path, content in r.files.items()}


def test_every_rendered_file_of_the_reference_bundle_is_free_of_secrets(reference_files):
    assert len(reference_files) > 50
    findings = [str(f) for path, content in sorted(reference_files.items())
                for f in scan_text(path, content.decode())]
    assert findings == []


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_the_scanner_finds_planted_secrets(name):
    assert scan_text(name, PLANTED[name].decode()), f"planted {name} was not found"


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_references_and_paths_are_not_findings(name):
    assert scan_text(name, CLEAN[name].decode()) == []


def test_a_finding_names_file_line_and_kind_but_never_the_value():
    (finding,) = scan_text("x.yaml", "a: 1\npassword: hunter2-Secret\n")
    assert (finding.path, finding.line) == ("x.yaml", 2)
    assert "hunter2" not in str(finding)


def test_planted_secrets_in_a_rendered_reference_file_are_found(reference_files):
    path = next(p for p in sorted(reference_files) if p.endswith("collector.yaml") or "collector/" in p)
    text = reference_files[path].decode() + "\n" + PLANTED["yaml password"].decode()
    assert any(f.kind.startswith("secret-looking") for f in scan_text(path, text))
