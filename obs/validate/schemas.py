"""Check generated Kubernetes manifests against real schemas: core objects with
kubernetes-validate (strict, one Kubernetes version), custom resources against their CRDs'
openAPIV3Schema with jsonschema, strict where the API server would prune: an unknown field fails
unless the schema keeps unknown fields (x-kubernetes-preserve-unknown-fields)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml

from obs.errors import ToolMissingError, ValidationError
from obs.render.layout import parts

KUBERNETES_VERSION = "1.35.0"
# Free-form arrays whose items the operator nonetheless decodes as a known type: checked as that
# type (JSON pointer into the version's openAPIV3Schema -> pointer of the schema to use).
_CHILD_ROUTES = {"/properties/spec/properties/route/properties/routes/items": "#/properties/spec/properties/route"}
TYPED_FREE_FORM: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"): _CHILD_ROUTES,
    ("monitoring.coreos.com/v1beta1", "AlertmanagerConfig"): _CHILD_ROUTES,
}


class _CRDLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 reads a bare `=` (a matchType enum value) as the 'value' tag: keep it a string."""


_CRDLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def strict(schema: Any) -> Any:
    """A copy of an openAPIV3Schema as JSON Schema that rejects unknown fields and knows
    Kubernetes' nullable / int-or-string extensions."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if schema.get("x-kubernetes-int-or-string") and "type" not in schema and "anyOf" not in schema:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if isinstance(out.get("pattern"), str) and "(?i)" in out["pattern"]:
        # Go scopes (?i) to its group; Python wants global flags first (a little looser, never stricter).
        out["pattern"] = "(?i)" + out["pattern"].replace("(?i)", "")
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    keeps_unknown = schema.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in schema
    if schema.get("type") == "object" and not keeps_unknown:
        out["additionalProperties"] = False
        out.setdefault("properties", {})
    return out


def _set_pointer(schema: dict[str, Any], pointer: str, value: Any) -> None:
    *parents, last = pointer.strip("/").split("/")
    node = schema
    for part in parents:
        node = node[part]
    node[last] = value


@dataclass
class CRDSchemas:
    """Schemas of every (apiVersion, kind) served by the CRDs in a folder."""

    folder: Path
    schemas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path in sorted(self.folder.rglob("*.yaml")):
            for doc in yaml.load_all(path.read_text(), Loader=_CRDLoader):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    self._add(doc)

    def _add(self, crd: dict[str, Any]) -> None:
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            key = (f"{group}/{version['name']}", kind)
            schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            schema["properties"]["metadata"] = {"type": "object"}  # checked as ObjectMeta separately
            for pointer, ref in TYPED_FREE_FORM.get(key, {}).items():
                _set_pointer(schema, pointer, {"$ref": ref})
            self.schemas[key] = schema

    def get(self, api_version: str, kind: str) -> dict[str, Any] | None:
        return self.schemas.get((api_version, kind))


def _errors_core(obj: dict[str, Any], version: str) -> list[str]:
    try:
        import kubernetes_validate
    except ImportError:
        raise ToolMissingError("kubernetes-validate is not installed (fix: pip install 'obs[test]' "
                               "or pip install kubernetes-validate)") from None
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path)
        return [f"{where or '(root)'}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {obj.get('apiVersion')} {obj.get('kind')} (not a core kind, and no CRD given)"]
    return []


def object_errors(obj: dict[str, Any], crds: CRDSchemas, version: str = KUBERNETES_VERSION) -> list[str]:
    """Every schema violation of one object (empty when valid)."""
    import jsonschema
    schema = crds.get(str(obj.get("apiVersion")), str(obj.get("kind")))
    if schema is None:
        return _errors_core(obj, version)
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.path))]
    # ObjectMeta as the API server reads it, through a ConfigMap's schema.
    meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": obj.get("metadata", {})}
    return problems + _errors_core(meta, version)


def manifests(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, object) for every Kubernetes object obs wrote under kubernetes/ and rollouts/ (in a
    fleet also those of the cluster base and each cluster)."""
    for part in parts([folder]):
        where = folder.name if part == folder else f"{folder.name}/{part.relative_to(folder)}"
        for sub in ("kubernetes", "rollouts"):
            for path in sorted((part / sub).glob("*.yaml")):
                if path.name == "kustomization.yaml":
                    continue
                for doc in yaml.safe_load_all(path.read_text()):
                    if doc:
                        yield f"{where}/{sub}/{path.name}", doc


def check_manifests(folders: Iterable[Path], crds: CRDSchemas, version: str = KUBERNETES_VERSION) -> int:
    """Validate every manifest; raises ValidationError listing each object's problems. Returns the count."""
    count, problems = 0, []
    for folder in folders:
        for file, obj in manifests(folder):
            count += 1
            name = f"{obj.get('kind')} {obj.get('metadata', {}).get('name')!r} in {file}"
            problems += [f"{name}: {p}" for p in object_errors(obj, crds, version)]
    if problems:
        raise ValidationError("manifests do not match their schemas:\n" + "\n".join(problems))
    return count
