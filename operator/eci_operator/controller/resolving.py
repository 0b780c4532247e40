"""Reading the Secrets and ConfigMaps a ContainerGroup names, and knowing who uses which ConfigMap.

Secrets are read with ``get`` only, one by one, when a reconcile needs them: the operator holds no
cluster-wide list or watch of Secrets, and a rotation is noticed at the next resync through the
fingerprints kept in status. ConfigMaps are watched (they hold no secrets), so the index here maps
a changed ConfigMap to the ContainerGroups that use it, and those reconcile at once.

Every object is read from the ContainerGroup's own namespace and filed under the name the spec asked
for, never under the name the answer carries (``translate.References.requested``, which also refuses
an answer for another namespace or name): the names are validated as DNS subdomains and each path
segment is percent-encoded by the Kubernetes client. So no spec can make the operator read, or
reuse, another namespace's object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from eci_operator.translate import ReferencedNames, References


class ObjectReader(Protocol):
    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Resolved:
    """The referenced objects as read now; a name maps to None when the object does not exist."""

    namespace: str
    secrets: Mapping[str, dict[str, Any] | None]
    configmaps: Mapping[str, dict[str, Any] | None]

    def references(self) -> References:
        """The objects that exist, under the requested names, in the form the translator takes
        (``ValueError`` when an answer is not the object requested)."""
        return References.requested(self.namespace, self.secrets, self.configmaps)

    def missing(self) -> list[str]:
        return sorted(
            [f"Secret {n}" for n, b in self.secrets.items() if b is None]
            + [f"ConfigMap {n}" for n, b in self.configmaps.items() if b is None]
        )


async def resolve(reader: ObjectReader, namespace: str, names: ReferencedNames) -> Resolved:
    secrets = {name: await reader.get_secret(namespace, name) for name in sorted(names.secrets)}
    configmaps = {name: await reader.get_configmap(namespace, name) for name in sorted(names.config_maps)}
    return Resolved(namespace, secrets, configmaps)


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
