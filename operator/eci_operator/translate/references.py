"""The Secrets and ConfigMaps a spec refers to, passed in as plain data (no I/O here).

The controller reads the objects named by ``referenced_names`` and hands them over as
``References``; the translator resolves env values, config-file volumes and registry credentials
from them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api.containergroup import ContainerGroupSpec

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"


@dataclass(frozen=True)
class Secret:
    """A Secret's decoded data (``data`` base64-decoded, ``stringData`` merged as Kubernetes does)."""

    name: str
    data: Mapping[str, bytes] = field(default_factory=dict)
    type: str = "Opaque"

    def __repr__(self) -> str:  # never print the values
        return f"Secret(name={self.name!r}, type={self.type!r}, keys={sorted(self.data)!r})"

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> Secret:
        name = str(obj.get("metadata", {}).get("name", ""))
        data: dict[str, bytes] = {}
        for key, value in (obj.get("data") or {}).items():
            try:
                data[key] = base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"Secret {name!r}: data[{key!r}] is not valid base64") from exc
        for key, value in (obj.get("stringData") or {}).items():
            data[key] = str(value).encode()
        return cls(name=name, data=data, type=str(obj.get("type") or "Opaque"))


@dataclass(frozen=True)
class ConfigMap:
    """A ConfigMap's ``data`` (text) and ``binaryData`` (decoded bytes)."""

    name: str
    data: Mapping[str, str] = field(default_factory=dict)
    binary_data: Mapping[str, bytes] = field(default_factory=dict)

    def get(self, key: str) -> bytes | None:
        if key in self.data:
            return self.data[key].encode()
        return self.binary_data.get(key)

    def keys(self) -> list[str]:
        return sorted({*self.data, *self.binary_data})

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> ConfigMap:
        name = str(obj.get("metadata", {}).get("name", ""))
        binary: dict[str, bytes] = {}
        for key, value in (obj.get("binaryData") or {}).items():
            try:
                binary[key] = base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"ConfigMap {name!r}: binaryData[{key!r}] is not valid base64") from exc
        data = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        return cls(name=name, data=data, binary_data=binary)


@dataclass(frozen=True)
class References:
    """Secrets and ConfigMaps by name, all from the ContainerGroup's namespace."""

    secrets: Mapping[str, Secret] = field(default_factory=dict)
    config_maps: Mapping[str, ConfigMap] = field(default_factory=dict)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]]) -> References:
        """Pick the Secrets and ConfigMaps out of a list of manifests (other kinds are ignored)."""
        secrets: dict[str, Secret] = {}
        config_maps: dict[str, ConfigMap] = {}
        for obj in objects:
            if obj.get("kind") == "Secret":
                secret = Secret.from_manifest(obj)
                secrets[secret.name] = secret
            elif obj.get("kind") == "ConfigMap":
                cm = ConfigMap.from_manifest(obj)
                config_maps[cm.name] = cm
        return cls(secrets=secrets, config_maps=config_maps)


@dataclass(frozen=True)
class ReferencedNames:
    """Names of the Secrets and ConfigMaps a spec needs (what the controller must read and watch)."""

    secrets: frozenset[str]
    config_maps: frozenset[str]


def referenced_names(spec: ContainerGroupSpec) -> ReferencedNames:
    secrets: set[str] = {ref.name for ref in spec.image_pull_secrets or []}
    config_maps: set[str] = set()
    for container in [*(spec.init_containers or []), *spec.containers]:
        for env in container.env or []:
            source = env.value_from
            if source is None:
                continue
            if source.secret_key_ref is not None:
                secrets.add(source.secret_key_ref.name)
            if source.config_map_key_ref is not None:
                config_maps.add(source.config_map_key_ref.name)
    for volume in spec.volumes or []:
        if volume.secret is not None:
            secrets.add(volume.secret.secret_name)
        if volume.config_map is not None:
            config_maps.add(volume.config_map.name)
    return ReferencedNames(frozenset(secrets), frozenset(config_maps))
