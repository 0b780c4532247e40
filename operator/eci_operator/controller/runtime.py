"""The controller process: takes watch events in, runs reconciles one per object, sweeps ECI.

Triggers and what they cost:

- a ContainerGroup is seen for the first time (start-up listing or creation), its generation moved
  past ``status.observedGeneration``, it is being deleted, or our finalizer is missing → reconcile.
  Status-only events (our own writes coming back) trigger nothing.
- a watched ConfigMap that a ContainerGroup references changed → reconcile those objects.
- the batched observer finished a sweep → reconcile every swept object, with the fresh observation
  already cached (no extra ECI call); that is also when referenced Secrets are re-read (get only)
  and a rotation is noticed.
- a reconcile asked to look again later (polling, backoff) → the work queue's timer.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import start_http_server

from eci_operator.controller import translation
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.kube import KubeApi, KubeConfig
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.observer import BatchedObserver, Observation
from eci_operator.controller.reconcile import FINALIZER, Key, ObjectState, Reconciler, Settings
from eci_operator.controller.references import ConfigMapIndex
from eci_operator.controller.workqueue import WorkQueue
from eci_operator.eci.credentials import CredentialsProvider
from eci_operator.eci.models import ContainerGroupOut

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ControllerSettings:
    cluster_id: str = "default"
    resync_interval: float = 60.0
    poll_interval: float = 2.0
    eci_endpoint: str | None = None
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"
    concurrency: int = 16


def _resource_version(body: Mapping[str, Any]) -> int | None:
    try:
        return int(body.get("metadata", {}).get("resourceVersion"))
    except (TypeError, ValueError):
        return None


def needs_reconcile(body: Mapping[str, Any]) -> bool:
    """Whether a watch event carries news for the reconcile (not just our own status write)."""
    meta = body.get("metadata", {})
    if meta.get("deletionTimestamp"):
        return FINALIZER in (meta.get("finalizers") or [])
    if FINALIZER not in (meta.get("finalizers") or []):
        return True
    status = body.get("status") or {}
    return bool(status.get("observedGeneration") != meta.get("generation"))


class Controller:
    def __init__(
        self,
        *,
        kube: KubeApi,
        cloud: Cloud,
        settings: ControllerSettings,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.kube = kube
        self.cloud = cloud
        self.metrics = metrics or Metrics()
        self.observer: BatchedObserver[Key, Scope, ContainerGroupOut] = BatchedObserver(
            cloud.describe,
            interval=settings.resync_interval,
            on_sweep=self._swept,
        )
        self.reconciler = Reconciler(
            kube=kube,
            cloud=cloud,
            observer=self.observer,
            metrics=self.metrics,
            settings=Settings(
                cluster_id=settings.cluster_id,
                resync_interval=settings.resync_interval,
                poll_interval=settings.poll_interval,
            ),
        )
        self.queue: WorkQueue[Key] = WorkQueue(self._work, concurrency=settings.concurrency)
        self.objects: dict[Key, ObjectState] = {}
        self.configmaps = ConfigMapIndex()
        self.metrics.add_state_collector(self._phases, lambda: self.queue.depth, self._lags)
        self._metrics_server: Any = None
        self._started = time.monotonic()

    @classmethod
    async def create(
        cls,
        kube_config: KubeConfig,
        settings: ControllerSettings,
        *,
        credentials: CredentialsProvider | None = None,
    ) -> Controller:
        metrics = Metrics()
        kube = KubeApi(kube_config)
        cloud = Cloud(endpoint=settings.eci_endpoint, credentials=credentials, metrics=metrics)
        return cls(kube=kube, cloud=cloud, settings=settings, metrics=metrics)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self.observer.start()
        if self.settings.metrics_port is not None:
            self._metrics_server = start_http_server(
                self.settings.metrics_port, addr=self.settings.metrics_host, registry=self.metrics.registry
            )
            logger.info(
                "Serving metrics on %s:%s/metrics", self.settings.metrics_host, self.settings.metrics_port
            )

    async def stop(self) -> None:
        await self.queue.close()
        await self.observer.stop()
        await self.cloud.close()
        await self.kube.close()
        if self._metrics_server is not None:
            server, thread = self._metrics_server
            server.shutdown()
            thread.join(timeout=5)
            self._metrics_server = None

    def probe(self) -> dict[str, Any]:
        return {
            "objects": len(self.objects),
            "queue_depth": self.queue.depth,
            "observer_lag_seconds": self._lags(),
        }

    # -- triggers ---------------------------------------------------------------------------

    def on_containergroup_event(self, event_type: str | None, body: dict[str, Any]) -> None:
        meta = body.get("metadata", {})
        if "managedFields" in meta:  # often the largest part of a body; the reconcile never reads it
            meta = {k: v for k, v in meta.items() if k != "managedFields"}
            body = {**body, "metadata": meta}
        key: Key = (meta.get("namespace", ""), meta.get("name", ""))
        state = self.objects.get(key)
        if state is not None and state.body["metadata"].get("uid") != meta.get("uid"):
            newer, older = _resource_version(body), _resource_version(state.body)
            if newer is not None and older is not None and newer < older:
                # Kopf streams each uid on its own, so a late event of an earlier object under this
                # name (gone meanwhile) can come after the new object's: it must neither replace
                # nor forget the current one.
                return
        if event_type == "DELETED":
            self.objects.pop(key, None)
            self.configmaps.remove(key)
            self.observer.untrack(key)
            self.queue.forget(key)
            return
        if state is not None and state.body["metadata"].get("uid") != meta.get("uid"):
            state = None  # deleted and re-created under the same name
            self.observer.untrack(key)
        if state is None:
            self.objects[key] = state = ObjectState(body=body)
            first = True
        else:
            newer, older = _resource_version(body), _resource_version(state.body)
            if newer is not None and older is not None and newer < older:
                return  # an old event arriving after our own write: we already know better
            state.body = body
            first = False
        try:
            names = translation.references_of(translation.parse(body)).config_maps
        except translation.SpecError:
            names = frozenset()  # an invalid spec stalls in the reconcile; nothing to watch for it
        self.configmaps.update(key, names)
        if first or needs_reconcile(body):
            # A live watch event is someone's change; the start-up listing (type None) is routine.
            self.queue.trigger(key, urgent=event_type is not None)

    def on_configmap_event(self, event_type: str | None, body: dict[str, Any]) -> None:
        if event_type is None:
            return  # the initial listing: every user reconciles on its own first sight anyway
        meta = body.get("metadata", {})
        for key in self.configmaps.users(meta.get("namespace", ""), meta.get("name", "")):
            logger.info(
                "ConfigMap %s/%s changed; reconciling %s/%s", meta.get("namespace"), meta.get("name"), *key
            )
            self.queue.trigger(key, urgent=True)

    def _swept(self, key: Key, observation: Observation[ContainerGroupOut], changed: bool) -> None:
        if key in self.objects:
            self.queue.trigger(key)

    async def _work(self, key: Key) -> float | None:
        state = self.objects.get(key)
        if state is None:
            return None
        return await self.reconciler.reconcile(state)

    # -- metrics ----------------------------------------------------------------------------

    def _phases(self) -> Mapping[str, int]:
        return Counter(state.phase or "Unknown" for state in self.objects.values())

    def _lags(self) -> dict[str, float]:
        lags: dict[str, float] = {}
        for scope in self.observer.scopes():
            lag = self.observer.lag(scope)
            lags[scope[1]] = lag if lag is not None else time.monotonic() - self._started
        return lags
