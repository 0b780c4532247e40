"""Leases kept in memory as the apiserver keeps them, for the election and sharding tests: every
write bumps the resourceVersion, a write at a stale one is a conflict, and a replica's connection
can be cut (``down``) or made to hang (``hang``)."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Mapping
from typing import Any

from eci_operator.controller.kube import KubeConflict, KubeError

NS, NAME = "eci-operator-system", "eci-operator"


class LeaseStore:
    """Leases as the apiserver keeps them: every write bumps the resourceVersion, a stale one conflicts."""

    def __init__(self) -> None:
        self.leases: dict[tuple[str, str], dict[str, Any]] = {}
        self.versions = itertools.count(1)
        self.writes: list[str] = []

    def client(self) -> LeaseClient:
        return LeaseClient(self)

    def holder(self, name: str = NAME) -> str | None:
        lease = self.leases.get((NS, name))
        return None if lease is None else lease["spec"].get("holderIdentity")


class LeaseClient:
    """One replica's connection to the store; ``down`` makes its calls fail, ``hang`` never answer."""

    def __init__(self, store: LeaseStore) -> None:
        self.store = store
        self.down = False
        self.hang = False

    async def _reach(self) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if self.down:
            raise KubeError("GET", "/leases", 0, "apiserver unreachable")

    async def get_lease(self, namespace: str, name: str) -> dict[str, Any] | None:
        await self._reach()
        lease = self.store.leases.get((namespace, name))
        return copy.deepcopy(lease)

    async def create_lease(self, namespace: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        await self._reach()
        if (namespace, name) in self.store.leases:
            raise KubeConflict("POST", "/leases", 409, "already exists")
        return self._store(namespace, name, spec)

    async def list_leases(self, namespace: str) -> list[dict[str, Any]]:
        await self._reach()
        return [
            copy.deepcopy(lease) for (ns, _), lease in sorted(self.store.leases.items()) if ns == namespace
        ]

    async def delete_lease(self, namespace: str, name: str, resource_version: str) -> None:
        await self._reach()
        current = self.store.leases.get((namespace, name))
        if current is None:
            return
        if current["metadata"]["resourceVersion"] != resource_version:
            raise KubeConflict("DELETE", "/leases", 409, "the object has been modified")
        del self.store.leases[(namespace, name)]

    async def replace_lease(
        self, namespace: str, name: str, resource_version: str, spec: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self._reach()
        current = self.store.leases.get((namespace, name))
        if current is None or current["metadata"]["resourceVersion"] != resource_version:
            raise KubeConflict("PUT", "/leases", 409, "the object has been modified")
        return self._store(namespace, name, spec)

    def _store(self, namespace: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        lease = {
            "metadata": {
                "namespace": namespace,
                "name": name,
                "resourceVersion": str(next(self.store.versions)),
            },
            "spec": dict(spec),
        }
        self.store.leases[(namespace, name)] = lease
        self.store.writes.append(str(spec.get("holderIdentity")))
        return copy.deepcopy(lease)
