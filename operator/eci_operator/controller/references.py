"""The Secrets and ConfigMaps a ContainerGroup spec names, and reading them.

Secrets are read with ``get`` only, one by one, when a reconcile needs them: the operator holds no
cluster-wide list or watch of Secrets, and a rotation is noticed at the next resync through the
fingerprints kept in status. ConfigMaps are watched (they hold no secrets), so the index built
here maps a changed ConfigMap to the ContainerGroups that use it, and those reconcile at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class References:
    secrets: frozenset[str] = field(default_factory=frozenset)
    configmaps: frozenset[str] = field(default_factory=frozenset)


def _containers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for key in ("containers", "initContainers"):
        found.extend(c for c in spec.get(key) or [] if isinstance(c, Mapping))
    return found


def referenced(spec: Mapping[str, Any]) -> References:
    """Names of Secrets and ConfigMaps (in the object's namespace) the raw spec refers to."""
    secrets: set[str] = set()
    configmaps: set[str] = set()
    for item in spec.get("imagePullSecrets") or []:
        if isinstance(item, Mapping) and item.get("name"):
            secrets.add(str(item["name"]))
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, Mapping):
            continue
        secret = volume.get("secret")
        if isinstance(secret, Mapping) and secret.get("secretName"):
            secrets.add(str(secret["secretName"]))
        config_map = volume.get("configMap")
        if isinstance(config_map, Mapping) and config_map.get("name"):
            configmaps.add(str(config_map["name"]))
    for container in _containers(spec):
        for env in container.get("env") or []:
            source = env.get("valueFrom") if isinstance(env, Mapping) else None
            if not isinstance(source, Mapping):
                continue
            secret_ref = source.get("secretKeyRef")
            if isinstance(secret_ref, Mapping) and secret_ref.get("name"):
                secrets.add(str(secret_ref["name"]))
            cm_ref = source.get("configMapKeyRef")
            if isinstance(cm_ref, Mapping) and cm_ref.get("name"):
                configmaps.add(str(cm_ref["name"]))
        for env_from in container.get("envFrom") or []:
            if not isinstance(env_from, Mapping):
                continue
            if isinstance(env_from.get("secretRef"), Mapping) and env_from["secretRef"].get("name"):
                secrets.add(str(env_from["secretRef"]["name"]))
            if isinstance(env_from.get("configMapRef"), Mapping) and env_from["configMapRef"].get("name"):
                configmaps.add(str(env_from["configMapRef"]["name"]))
    return References(frozenset(secrets), frozenset(configmaps))


class ObjectReader(Protocol):
    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Resolved:
    """The referenced objects as read now; a name maps to None when the object does not exist."""

    secrets: dict[str, dict[str, Any] | None]
    configmaps: dict[str, dict[str, Any] | None]

    def missing(self) -> list[str]:
        return sorted(
            [f"Secret {n}" for n, b in self.secrets.items() if b is None]
            + [f"ConfigMap {n}" for n, b in self.configmaps.items() if b is None]
        )


async def resolve(reader: ObjectReader, namespace: str, refs: References) -> Resolved:
    secrets = {name: await reader.get_secret(namespace, name) for name in sorted(refs.secrets)}
    configmaps = {name: await reader.get_configmap(namespace, name) for name in sorted(refs.configmaps)}
    return Resolved(secrets, configmaps)


class ConfigMapIndex:
    """ConfigMap (namespace, name) -> the ContainerGroups (namespace, name) that reference it."""

    def __init__(self) -> None:
        self._by_object: dict[tuple[str, str], frozenset[str]] = {}

    def update(self, key: tuple[str, str], configmaps: frozenset[str]) -> None:
        if configmaps:
            self._by_object[key] = configmaps
        else:
            self._by_object.pop(key, None)

    def remove(self, key: tuple[str, str]) -> None:
        self._by_object.pop(key, None)

    def users(self, namespace: str, name: str) -> list[tuple[str, str]]:
        return sorted(k for k, names in self._by_object.items() if k[0] == namespace and name in names)
