"""A reconcile harness: the real Reconciler against the real ECI emulator, with Kubernetes in memory.

The in-memory Kubernetes keeps what the reconcile needs from the API server — objects, merge-patched
status, finalizers, Events, resourceVersions — so each step of the loop can be driven and inspected
in milliseconds. The end-to-end tests in tests/e2e run the same code against a real API server.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from eci_operator.controller.batched import BatchedObserver
from eci_operator.controller.cloud import Cloud
from eci_operator.controller.finalizer import Finalizer
from eci_operator.controller.kube import EventRecord, Kube, KubeConflict, Leases
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.observer import Observer
from eci_operator.controller.reconciler import Reconciler
from eci_operator.controller.recorder import Recorder
from eci_operator.controller.runtime import Controller
from eci_operator.controller.settings import (
    AccountSettings,
    CloudSettings,
    FeedSettings,
    LeaderElectionSettings,
    OperatorSettings,
    ReconcileSettings,
)
from eci_operator.controller.workqueue import Requeue
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.transport import RetryPolicy

_versions = itertools.count(100)


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class MemoryKube:
    """The few Kubernetes calls the reconcile makes, on dicts in memory."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.writes: list[str] = []

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
        meta.setdefault("uid", f"uid-{next(_versions)}")
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = str(next(_versions))
        self.objects[(obj["kind"], meta["namespace"], meta["name"])] = obj
        return copy.deepcopy(obj)

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((kind, namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def edit_spec(self, namespace: str, name: str, **changes: Any) -> dict[str, Any]:
        obj = self.objects[("ContainerGroup", namespace, name)]
        merge(obj["spec"], changes)
        obj["metadata"]["generation"] += 1
        obj["metadata"]["resourceVersion"] = str(next(_versions))
        return copy.deepcopy(obj)

    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("Secret", namespace, name)

    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get("ConfigMap", namespace, name)

    async def get_account(self, name: str) -> dict[str, Any] | None:
        return self.get("EciAccount", "", name)

    async def get_namespace(self, name: str) -> dict[str, Any] | None:
        return self.get("Namespace", "", name)

    async def patch_status(self, namespace: str, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        obj = self.objects[("ContainerGroup", namespace, name)]
        merge(obj.setdefault("status", {}), copy.deepcopy(dict(patch)))
        obj["metadata"]["resourceVersion"] = str(next(_versions))
        self.writes.append("status")
        return copy.deepcopy(obj)

    async def patch_account_status(self, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        obj = self.objects[("EciAccount", "", name)]
        merge(obj.setdefault("status", {}), copy.deepcopy(dict(patch)))
        obj["metadata"]["resourceVersion"] = str(next(_versions))
        self.writes.append("account-status")
        return copy.deepcopy(obj)

    async def add_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any]:
        obj = self.objects[("ContainerGroup", body["metadata"]["namespace"], body["metadata"]["name"])]
        if obj["metadata"]["resourceVersion"] != body["metadata"]["resourceVersion"]:
            raise KubeConflict("PATCH", "cg", 422, "test failed")
        obj["metadata"].setdefault("finalizers", []).append(finalizer)
        obj["metadata"]["resourceVersion"] = str(next(_versions))
        self.writes.append("finalizer")
        return copy.deepcopy(obj)

    async def remove_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None:
        key = ("ContainerGroup", body["metadata"]["namespace"], body["metadata"]["name"])
        obj = self.objects[key]
        obj["metadata"]["finalizers"].remove(finalizer)
        self.writes.append("finalizer")
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"]["finalizers"]:
            del self.objects[key]
            return None
        return copy.deepcopy(obj)

    async def create_event(
        self, body: Mapping[str, Any], *, reason: str, message: str, type_: str = "Normal"
    ) -> None:
        self.events.append({"reason": reason, "message": message, "type": type_})
        self.writes.append("event")

    async def record_event(self, body: Mapping[str, Any], event: EventRecord) -> bool:
        if any(e.get("name") == event.name for e in self.events):
            return False
        self.events.append(
            {
                "name": event.name,
                "reason": event.reason,
                "message": event.message,
                "type": event.type_,
                "count": event.count,
                "firstTimestamp": event.first,
                "lastTimestamp": event.last,
                "source": event.component,
            }
        )
        self.writes.append("event")
        return True

    async def update_event(self, namespace: str, name: str, count: int, last: str) -> None:
        [event] = [e for e in self.events if e.get("name") == name]
        event.update(count=count, lastTimestamp=last)
        self.writes.append("event")

    async def close(self) -> None:
        pass

    def delete(self, namespace: str, name: str) -> dict[str, Any]:
        obj = self.objects[("ContainerGroup", namespace, name)]
        obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        obj["metadata"]["resourceVersion"] = str(next(_versions))
        return copy.deepcopy(obj)


class Harness:
    """One reconciler (a process: memory, caches, cloud client) on ``kube``, a new one unless given."""

    def __init__(
        self, emulator: Any, *, kube: MemoryKube | None = None, resync: float = 60.0, gone_grace: float = 0.3
    ) -> None:
        self.kube = kube if kube is not None else MemoryKube()
        self.metrics = Metrics()
        self.settings = OperatorSettings(
            cluster_id="test",
            reconcile=ReconcileSettings(
                resync_interval=resync, poll_interval=0.05, gone_grace=gone_grace, retry_base=0.05
            ),
            cloud=CloudSettings(endpoint=emulator.url, retry=RetryPolicy(max_attempts=2)),
        )
        self.cloud = Cloud(
            settings=self.settings.cloud,
            credentials=StaticCredentials(emulator.access_key_id, emulator.access_key_secret),
            metrics=self.metrics,
        )
        self.observer: BatchedObserver[Any, Any, Any] = BatchedObserver(self.cloud.describe, interval=resync)
        writer: Kube = self.kube  # MemoryKube is checked against the controller's Protocol here
        recorder = Recorder(writer, self.metrics)
        observer = Observer(self.cloud, self.observer, self.settings.reconcile, self.settings.adoption)
        self.reconciler = Reconciler(
            kube=writer,
            cloud=self.cloud,
            observer=observer,
            recorder=recorder,
            finalizer=Finalizer(self.cloud, writer, recorder, observer, self.metrics, self.settings),
            metrics=self.metrics,
            settings=self.settings,
        )
        self.states: dict[tuple[str, str], ObjectMemory] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self.resync = resync

    async def close(self) -> None:
        await self.cloud.close()

    def state(self, namespace: str, name: str) -> ObjectMemory:
        body = self.kube.get("ContainerGroup", namespace, name)
        key = (namespace, name)
        if key not in self.states:
            fresh = body is not None and "eci.operator.dev/finalizer" not in body["metadata"].get(
                "finalizers", []
            )
            self.states[key] = ObjectMemory.of(body or {}, seen_from_start=fresh)
        elif body is not None:
            self.states[key].body = body  # the watch delivers the latest version
        return self.states[key]

    async def step(self, namespace: str, name: str) -> Requeue:
        """One reconcile, with the failure streak the work queue would pass."""
        key = (namespace, name)
        result = await self.reconciler.reconcile(self.state(namespace, name), self.failures.get(key, 0))
        self.failures[key] = self.failures.get(key, 0) + 1 if result.failed else 0
        return result

    async def settle(self, namespace: str, name: str, *, limit: int = 200) -> None:
        """Reconcile until the loop asks for no more look (as the work queue would drive it)."""
        for _ in range(limit):
            if self.kube.get("ContainerGroup", namespace, name) is None:
                return
            result = await self.step(namespace, name)
            if result.failed:
                await asyncio.sleep(0.05)
                continue
            if result.after is None or result.after >= min(
                self.resync, self.settings.reconcile.secret_recheck
            ):
                return  # nothing to poll; a periodic re-check is not part of settling
            await asyncio.sleep(min(result.after, 0.1))
        raise AssertionError(f"{namespace}/{name} did not settle")

    async def sweep(self) -> None:
        """One pass of the batched observer, as every resync interval brings."""
        for scope in self.observer.scopes():
            await self.observer.sweep(scope)

    def status(self, namespace: str, name: str) -> dict[str, Any]:
        body = self.kube.get("ContainerGroup", namespace, name)
        assert body is not None
        return dict(body.get("status") or {})

    def condition(self, namespace: str, name: str, type_: str) -> dict[str, Any]:
        for c in self.status(namespace, name).get("conditions", []):
            if c["type"] == type_:
                return dict(c)
        raise AssertionError(f"no {type_} condition")


def memory_controller(
    emulator: Any,
    *,
    resync: float = 60.0,
    poll: float = 0.2,
    election: LeaderElectionSettings | None = None,
    leases: Leases | None = None,
    on_lost: Callable[[], None] | None = None,
    account_refresh: float = 10.0,
    gone_grace: float = 60.0,
    feed: FeedSettings | None = None,
) -> tuple[MemoryKube, Controller]:
    """The whole controller (queue, observer, reconciler) on the in-memory Kubernetes and the emulator."""
    kube = MemoryKube()
    metrics = Metrics()
    settings = OperatorSettings(
        cluster_id="test",
        reconcile=ReconcileSettings(resync_interval=resync, poll_interval=poll, gone_grace=gone_grace),
        feed=feed or FeedSettings(interval=0),  # the feed's own tests turn it on
        cloud=CloudSettings(endpoint=emulator.url),
        election=election,
        accounts=AccountSettings(refresh=account_refresh),
    )
    cloud = Cloud(
        settings=settings.cloud,
        credentials=StaticCredentials(emulator.access_key_id, emulator.access_key_secret),
        metrics=metrics,
    )
    controller = Controller(
        kube=kube, cloud=cloud, settings=settings, metrics=metrics, leases=leases, on_lost=on_lost
    )
    return kube, controller
