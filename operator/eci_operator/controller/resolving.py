"""Reading the Secrets and ConfigMaps a ContainerGroup names, and knowing who uses which ConfigMap.

Secrets are read with ``get`` only, one by one, when a reconcile needs them: the operator holds no
cluster-wide list or watch of Secrets, and a rotation is noticed at the next resync through the
fingerprints kept in status. ConfigMaps are watched (they hold no secrets), so the index here maps
a changed ConfigMap to the ContainerGroups that use it, and those reconcile at once.

Every object is read from the ContainerGroup's own namespace and filed under the name the spec asked
for, never under the name the answer carries: the names are validated as DNS subdomains and each
path segment is percent-encoded by the Kubernetes client, and an answer for another namespace or
name is treated as missing. So no spec can make the operator read, or reuse, another namespace's
object.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from eci_operator.translate import ConfigMap, ReferencedNames, References, Secret

logger = logging.getLogger(__name__)


class ObjectReader(Protocol):
    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Resolved:
    """The referenced objects as read now; a name maps to None when the object does not exist."""

    secrets: Mapping[str, dict[str, Any] | None]
    configmaps: Mapping[str, dict[str, Any] | None]

    def references(self) -> References:
        """The objects that exist, keyed by the requested name, in the form the translator takes."""
        return References(
            secrets={n: Secret.from_manifest(b) for n, b in self.secrets.items() if b is not None},
            config_maps={n: ConfigMap.from_manifest(b) for n, b in self.configmaps.items() if b is not None},
        )

    def missing(self) -> list[str]:
        return sorted(
            [f"Secret {n}" for n, b in self.secrets.items() if b is None]
            + [f"ConfigMap {n}" for n, b in self.configmaps.items() if b is None]
        )


def _checked(kind: str, namespace: str, name: str, body: dict[str, Any] | None) -> dict[str, Any] | None:
    if body is None:
        return None
    meta = body.get("metadata") or {}
    if meta.get("namespace") != namespace or meta.get("name") != name:
        logger.warning(
            "The API server answered the read of %s %s/%s with %s/%s; treating it as missing",
            kind,
            namespace,
            name,
            meta.get("namespace"),
            meta.get("name"),
        )
        return None
    return body


async def resolve(reader: ObjectReader, namespace: str, names: ReferencedNames) -> Resolved:
    secrets = {
        name: _checked("Secret", namespace, name, await reader.get_secret(namespace, name))
        for name in sorted(names.secrets)
    }
    configmaps = {
        name: _checked("ConfigMap", namespace, name, await reader.get_configmap(namespace, name))
        for name in sorted(names.config_maps)
    }
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
