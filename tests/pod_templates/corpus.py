"""Real Pod templates from public projects (tests/pod_templates/templates), as ContainerGroups.

Each file is a Pod template (``metadata`` + ``spec``) copied from a public project, headed by its
source repository, path and commit. ``group`` wraps one in a ContainerGroup (the file name as its
name, the template's labels and annotations as its own); ``references`` makes up the Secrets and
ConfigMaps it refers to (the templates come without theirs), with the keys it asks for. A template
that asks for GPUs gets an ECI GPU instance type, which ECI needs and no Pod template carries.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eci_operator.translate import References

TEMPLATES = Path(__file__).parent / "templates"
REGION = "cn-hangzhou"
GPU_INSTANCE_TYPE = "ecs.gn6i-c4g1.xlarge"


@dataclass(frozen=True)
class Template:
    name: str
    source: str
    path: str
    commit: str
    template: dict[str, Any]

    def group(self, **spec: Any) -> dict[str, Any]:
        """The template as a ContainerGroup manifest (``spec`` entries added to its spec)."""
        meta = self.template.get("metadata") or {}
        return {
            "apiVersion": "eci.operator.dev/v1alpha1",
            "kind": "ContainerGroup",
            "metadata": {
                "name": self.name,
                "namespace": "corpus",
                "uid": f"uid-{self.name}",
                "labels": meta.get("labels") or {},
                "annotations": meta.get("annotations") or {},
            },
            "spec": {"regionId": REGION, **self._instance_type(), **self.template["spec"], **spec},
        }

    def _instance_type(self) -> dict[str, str]:
        spec = self.template["spec"]
        asked = [
            (c.get("resources") or {}).get(kind) or {}
            for c in [*spec.get("initContainers", []), *spec["containers"]]
            for kind in ("limits", "requests")
        ]
        return {"instanceType": GPU_INSTANCE_TYPE} if any("nvidia.com/gpu" in a for a in asked) else {}

    def references(self) -> References:
        return References.from_objects(_objects(self.template["spec"]))


def templates() -> list[Template]:
    out = []
    for path in sorted(TEMPLATES.glob("*.yaml")):
        text = path.read_text()
        header = dict(
            line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ") and ": " in line
        )
        out.append(
            Template(path.stem, header["source"], header["path"], header["commit"], yaml.safe_load(text))
        )
    return out


def _objects(spec: dict[str, Any]) -> list[dict[str, Any]]:
    secrets: dict[str, set[str]] = {}
    config_maps: dict[str, set[str]] = {}
    for c in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for env in c.get("env") or []:
            source = env.get("valueFrom") or {}
            for kind, found in (("secretKeyRef", secrets), ("configMapKeyRef", config_maps)):
                if kind in source:
                    found.setdefault(source[kind]["name"], set()).add(source[kind]["key"])
        for env_from in c.get("envFrom") or []:
            for kind, found in (("secretRef", secrets), ("configMapRef", config_maps)):
                if kind in env_from:
                    found.setdefault(env_from[kind]["name"], set()).add("VALUE")
    for volume in spec.get("volumes") or []:
        for kind, ref, found in (("secret", "secretName", secrets), ("configMap", "name", config_maps)):
            if kind in volume:
                keys = {i["key"] for i in volume[kind].get("items") or []} or {"config"}
                found.setdefault(volume[kind][ref], set()).update(keys)
    pull = [r["name"] for r in spec.get("imagePullSecrets") or []]
    docker = json.dumps({"auths": {"registry.example.com": {"username": "u", "password": "p"}}}).encode()
    objects: list[dict[str, Any]] = [
        {"kind": "Secret", "metadata": {"name": n}, "type": "kubernetes.io/dockerconfigjson",
         "data": {".dockerconfigjson": base64.b64encode(docker).decode()}}
        for n in pull
    ]  # fmt: skip
    objects += [
        {
            "kind": "Secret",
            "metadata": {"name": n},
            "data": {k: base64.b64encode(b"s3cret").decode() for k in keys},
        }
        for n, keys in secrets.items()
        if n not in pull
    ]
    objects += [
        {"kind": "ConfigMap", "metadata": {"name": n}, "data": {k: "x=1" for k in keys}}
        for n, keys in config_maps.items()
    ]
    return objects
