"""The controller process: takes watch events in, runs reconciles one per object, sweeps ECI.

Triggers and what they cost:

- a ContainerGroup is seen for the first time (start-up listing or creation), its generation moved
  past ``status.observedGeneration``, it is being deleted, or our finalizer is missing → reconcile.
  Status-only events (our own writes coming back) trigger nothing.
- a watched ConfigMap that a ContainerGroup references changed → reconcile those objects.
- the change feed reported that the instance changed status or container state → reconcile, which
  reads the instance again (batched with the others).
- the batched observer finished a sweep → reconcile every swept object, with the fresh observation
  already cached (no extra ECI call); that is also when referenced Secrets are re-read (get only)
  and a rotation is noticed.
- a reconcile asked to look again later (polling, backoff) → the work queue's timer.

With leader election (``settings.election``), a standby keeps its memory of every ContainerGroup
up to date from the watch (Kubernetes only) but triggers nothing, sweeps nothing and writes
nothing; ECI is not called at all. On taking the Lease it starts the observer and triggers every
object it knows, as a restart does (objects in sync cost reads, not writes). On losing it, it stops
reconciling at once, before the Lease can expire, and tells its owner (``on_lost``) to end the
process: a fresh process starts as a standby.

With sharding (``election.shards`` > 1, ``sharding.py``), the same gate works per shard: a replica
reconciles, finalizes, sweeps and follows the feeds of the objects whose namespace hashes to a shard
it holds (``shards.shard_of``) and keeps only the memory of the others. Gaining a shard is a
takeover for its objects (a look at each, as a restart does); losing one cancels their running
reconciles, stops tracking their instances and forgets what this process knew of them beyond the
object itself, so that taking the shard again later proves, as a restart would, what a Create sent
meanwhile by another replica may have made. Each account's quotas are cut to the share of shards held.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import start_http_server

from eci_operator.api.account import EciAccountSpec
from eci_operator.api.containergroup import RESTART_ANNOTATION
from eci_operator.controller import intent
from eci_operator.controller.accounts import Accounts, Refusal, SecretCredentials
from eci_operator.controller.batched import BatchedObserver, Observation
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.election import Elector
from eci_operator.controller.feed import ChangeFeed
from eci_operator.controller.finalizer import FINALIZER, Finalizer
from eci_operator.controller.kube import Kube, KubeApi, KubeConfig, KubeError, Leases, ShardLeases
from eci_operator.controller.memory import Key, ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.mirror import EventMirror
from eci_operator.controller.observer import Observer
from eci_operator.controller.reconciler import Reconciler
from eci_operator.controller.recorder import Recorder
from eci_operator.controller.resolving import ConfigMapIndex
from eci_operator.controller.settings import OperatorSettings
from eci_operator.controller.sharding import ShardHolder
from eci_operator.controller.shards import shard_of
from eci_operator.controller.workqueue import FAILED, Backoff, Requeue, WorkQueue
from eci_operator.eci.credentials import CredentialsProvider
from eci_operator.eci.feeds import GroupEventsOut
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.eci.quotas import Priority, QuotaLimiter
from eci_operator.eci.sts import OidcToken, StsCredentials, session_name

logger = logging.getLogger(__name__)


def _resource_version(meta: Mapping[str, Any]) -> int | None:
    value = meta.get("resourceVersion")
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def pack_group(group: ContainerGroupOut) -> bytes:
    """What the observer keeps of one Describe answer: its JSON, compressed (about 1 KiB where the
    parsed model costs some 20 KiB of heap)."""
    return zlib.compress(group.model_dump_json(by_alias=True, exclude_defaults=True).encode(), 1)


def unpack_group(packed: bytes) -> ContainerGroupOut:
    return ContainerGroupOut.model_validate_json(zlib.decompress(packed))


def needs_reconcile(body: Mapping[str, Any]) -> bool:
    """Whether a watch event carries news for the reconcile (not just our own status write)."""
    meta = body.get("metadata", {})
    if meta.get("deletionTimestamp"):
        return FINALIZER in (meta.get("finalizers") or [])
    if FINALIZER not in (meta.get("finalizers") or []):
        return True
    status = body.get("status") or {}
    restart = (meta.get("annotations") or {}).get(RESTART_ANNOTATION)
    if isinstance(restart, str) and restart.strip() and restart.strip() != status.get("restartedAt"):
        return True  # a restart asked for (annotations do not change the generation)
    return bool(status.get("observedGeneration") != meta.get("generation"))


def _account_of(body: Mapping[str, Any]) -> str | None:
    """``spec.accountRef.name`` when set (the schema makes it a DNS subdomain; anything else here is
    passed on and found not to exist)."""
    spec = body.get("spec")
    ref = spec.get("accountRef") if isinstance(spec, Mapping) else None
    name = ref.get("name") if isinstance(ref, Mapping) else None
    return name if isinstance(name, str) and name else None


class Controller:
    def __init__(
        self,
        *,
        kube: Kube,
        cloud: Cloud,
        settings: OperatorSettings,
        metrics: Metrics | None = None,
        leases: Leases | ShardLeases | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.kube = kube
        self.cloud = cloud
        self.metrics = metrics or Metrics()
        self.observer: BatchedObserver[Key, Scope, ContainerGroupOut] = BatchedObserver(
            self._describe,
            interval=settings.reconcile.resync_interval,
            on_sweep=self._swept,
            pack=pack_group,
            unpack=unpack_group,
        )
        self._recorder = Recorder(kube, self.metrics)
        self.reconciler = self._reconciler(cloud)
        self.accounts = Accounts(kube, self._account_cloud, refresh=settings.accounts.refresh)
        self._account_reconcilers: dict[int, Reconciler] = {}
        self.mirror = EventMirror(kube, self.metrics)
        self.feed = ChangeFeed(
            self._cloud_of,
            self.observer,
            settings.feed,
            settings.cluster_id,
            on_changed=self._changed,
            on_events=self._events,
        )
        self.queue: WorkQueue[Key] = WorkQueue(
            self._work,
            concurrency=settings.reconcile.concurrency,
            backoff=Backoff(base=settings.reconcile.retry_base, cap=settings.reconcile.retry_cap),
        )
        self.objects: dict[Key, ObjectMemory] = {}
        cloud.on_recovery(self.queue.retry_failing)
        self.configmaps = ConfigMapIndex()
        self.metrics.add_state_collector(self._phases, lambda: self.queue.depth, self._lags)
        self._metrics_server: Any = None
        self._started = time.monotonic()
        self.elector: Elector | None = None
        self.shards: ShardHolder | None = None
        self._held: set[int] = set()  # shards whose objects this process works on
        election = settings.election
        if election is not None and election.shards > 1:
            if not isinstance(leases, ShardLeases):
                raise ValueError("sharding needs a Lease client that lists and deletes Leases")
            self.shards = ShardHolder(
                leases,
                namespace=election.namespace,
                name=election.name,
                identity=election.identity,
                shards=election.shards,
                timing=election.timing,
                on_gained=self._gained,
                on_lost=self._lost,
            )
            for shard in range(election.shards):  # every shard has a series, 0 until held
                self.metrics.shard.labels(str(shard)).set(0)
        elif election is not None:
            if leases is None:
                raise ValueError("leader election needs a Lease client")
            self.elector = Elector(
                leases,
                namespace=election.namespace,
                name=election.name,
                identity=election.identity,
                timing=election.timing,
            )
        self.leading = False
        self._on_lost = on_lost
        self._election: asyncio.Task[None] | None = None

    def _reconciler(self, cloud: Cloud) -> Reconciler:
        settings, kube, recorder = self.settings, self.kube, self._recorder
        observer = Observer(cloud, self.observer, settings.reconcile, settings.adoption)
        return Reconciler(
            kube=kube,
            cloud=cloud,
            observer=observer,
            recorder=recorder,
            finalizer=Finalizer(cloud, kube, recorder, observer, self.metrics, settings),
            metrics=self.metrics,
            settings=settings,
        )

    def _account_cloud(self, name: str, spec: EciAccountSpec) -> Cloud:
        """An EciAccount's own client: its credentials, its endpoint, its own quotas (each account has
        ECI's per-account limits) and its own scope, hence its own Describe batches."""
        credentials = spec.credentials
        provider: CredentialsProvider
        if credentials.secret_ref is not None:
            ref = credentials.secret_ref
            provider = SecretCredentials(
                self.kube, ref.namespace, ref.name, refresh=self.settings.accounts.refresh
            )
        elif credentials.assume_role is not None:
            # Signed with the operator's own credentials: the role's trust policy names their owner.
            provider = StsCredentials(
                role_arn=credentials.assume_role.role_arn,
                session=session_name(name),
                source=self.cloud.credentials,
                endpoint=spec.sts_endpoint,
            )
        else:
            rrsa = credentials.rrsa
            assert rrsa is not None  # the model requires exactly one source
            provider = StsCredentials(
                role_arn=rrsa.role_arn,
                session=session_name(name),
                oidc=OidcToken(rrsa.oidc_provider_arn, rrsa.oidc_token_file),
                endpoint=spec.sts_endpoint,
            )
        limiter = QuotaLimiter()
        if self.shards is not None:
            limiter.set_share(self._quota_share())
        cloud_settings = self.settings.cloud
        if spec.endpoint is not None:
            cloud_settings = dataclasses.replace(cloud_settings, endpoint=spec.endpoint.rstrip("/"))
        cloud = Cloud(
            settings=cloud_settings,
            credentials=provider,
            metrics=self.metrics,
            credentials_id=f"account:{name}",  # cannot collide with "default": names have no ':'
            account=name,
            limiter=limiter,
        )
        cloud.on_recovery(self.queue.retry_failing)
        return cloud

    async def _describe(
        self, scope: Scope, ids: Sequence[str], *, priority: Priority = Priority.BACKGROUND
    ) -> dict[str, ContainerGroupOut]:
        """The batched observer's read, through the client of the scope's account."""
        cloud = self._cloud_of(scope)
        if cloud is None:
            return {}  # the account went away meanwhile: its objects' own reconciles say so
        return await cloud.describe(scope, ids, priority=priority)

    def _cloud_of(self, scope: Scope) -> Cloud | None:
        """The client of the scope's credentials (the default, or an EciAccount's)."""
        if scope[0] == self.cloud.credentials_id:
            return self.cloud
        return self.accounts.clouds().get(scope[0].removeprefix("account:"))

    @classmethod
    async def create(
        cls,
        kube_config: KubeConfig,
        settings: OperatorSettings,
        *,
        credentials: CredentialsProvider | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> Controller:
        metrics = Metrics()
        kube = KubeApi(kube_config)
        cloud = Cloud(settings=settings.cloud, credentials=credentials, metrics=metrics)
        return cls(kube=kube, cloud=cloud, settings=settings, metrics=metrics, leases=kube, on_lost=on_lost)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self.shards is not None:
            self.cloud.limiter.set_share(self._quota_share())
            # Both only read what is tracked, and only the objects of held shards are.
            self.observer.start()
            self.feed.start()
            self._election = asyncio.create_task(self._hold_shards(self.shards), name="shards")
        elif self.elector is None:
            self._lead()
        else:
            self._election = asyncio.create_task(self._elect(self.elector), name="leader election")
        metrics = self.settings.metrics
        if metrics.port is not None:
            self._metrics_server = start_http_server(
                metrics.port, addr=metrics.host, registry=self.metrics.registry
            )
            logger.info("Serving metrics on %s:%s/metrics", metrics.host, metrics.port)

    async def stop(self) -> None:
        if self._election is not None:
            self._election.cancel()
            await asyncio.gather(self._election, return_exceptions=True)
        if self.shards is not None:
            await self.shards.stop()  # each shard stopped, then handed over at once
        await self._stop_reconciling()
        if self.elector is not None:
            await self.elector.release()  # a clean shutdown need not make the standby wait
        await self.cloud.close()
        await self.accounts.close()
        await self.kube.close()
        if self._metrics_server is not None:
            server, thread = self._metrics_server
            server.shutdown()
            thread.join(timeout=5)
            self._metrics_server = None

    # -- leadership -------------------------------------------------------------------------

    def _lead(self) -> None:
        self.leading = True
        self.metrics.leader.set(1)
        self.observer.start()
        self.feed.start()
        for key, memory in self.objects.items():
            # What the standby saw change while nobody led (an edit right after the leader died) goes
            # first; the rest is routine: a look, and no write where ECI agrees with the spec.
            self.queue.trigger(key, urgent=needs_reconcile(memory.body))

    async def _stop_reconciling(self) -> None:
        self.leading = False
        self.metrics.leader.set(0)
        await self.queue.close()
        await self.feed.stop()
        await self.observer.stop()

    async def _elect(self, elector: Elector) -> None:
        try:
            await elector.acquire()
            self._lead()
            await elector.hold()
            await self._stop_reconciling()
        except asyncio.CancelledError:
            raise
        except Exception:  # the election must not die silently: a standby that never leads is an outage
            logger.exception("Leader election failed")
            await self._stop_reconciling()
        if self._on_lost is not None:
            self._on_lost()

    # -- shards -----------------------------------------------------------------------------

    def _shard(self, key: Key) -> int | None:
        return None if self.shards is None else shard_of(key[0], self.shards.shards)

    def _owns(self, key: Key) -> bool:
        """Whether this process may work on ``key`` now: it leads, or holds the key's shard."""
        if self.shards is None:
            return self.leading
        shard = shard_of(key[0], self.shards.shards)
        return shard in self._held and self.shards.holds(shard)

    def _quota_share(self) -> float:
        """The part of each account's quotas this replica may use: the shards it holds of all (at
        least one shard's, so that a replica about to take one starts at a working rate)."""
        assert self.shards is not None
        return max(1, len(self._held)) / self.shards.shards

    def _set_quota_share(self) -> None:
        share = self._quota_share()
        self.cloud.limiter.set_share(share)
        for cloud in self.accounts.clouds().values():
            cloud.limiter.set_share(share)

    def _gained(self, shard: int) -> None:
        """A shard taken: a takeover for its objects, as a restart is (news first)."""
        self._held.add(shard)
        self.leading = True
        self.metrics.leader.set(1)
        self.metrics.shard.labels(str(shard)).set(1)
        self._set_quota_share()
        keys = [key for key in self.objects if self._shard(key) == shard]
        logger.info("Reconciling the %d ContainerGroups of shard %d", len(keys), shard)
        for key in keys:
            self.queue.trigger(key, urgent=needs_reconcile(self.objects[key].body))

    async def _lost(self, shard: int) -> None:
        """A shard lost or handed back: no new work at once, running work cancelled, then forget."""
        self._held.discard(shard)  # _owns answers False from here on: nothing new starts
        self.leading = bool(self._held)
        self.metrics.leader.set(1 if self._held else 0)
        self.metrics.shard.labels(str(shard)).set(0)
        keys = [key for key in self.objects if self._shard(key) == shard]
        await self.queue.drop(keys)
        for key in keys:
            self.observer.untrack(key)
            memory = self.objects.get(key)
            if memory is not None:
                # What this process knew (creates sent, absences seen, "seen from the start") may be
                # outdated by the time the shard comes back: start over from the object alone.
                self.objects[key] = ObjectMemory(memory.kept)
        self._set_quota_share()
        logger.info("Stopped work on the %d ContainerGroups of shard %d", len(keys), shard)

    async def _hold_shards(self, holder: ShardHolder) -> None:
        try:
            await holder.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # run() only ends on cancellation; anything else is a defect: say so, stop
            logger.exception("Shard holding failed")
            for shard in sorted(self._held):
                await self._lost(shard)
            if self._on_lost is not None:
                self._on_lost()

    def probe(self) -> dict[str, Any]:
        return {
            "leading": self.leading,
            "shards": sorted(self._held),
            "objects": len(self.objects),
            "queue_depth": self.queue.depth,
            "observer_lag_seconds": self._lags(),
        }

    # -- triggers ---------------------------------------------------------------------------

    def on_containergroup_event(self, event_type: str | None, body: dict[str, Any]) -> None:
        meta = body.get("metadata", {})
        key: Key = (meta.get("namespace", ""), meta.get("name", ""))
        memory = self.objects.get(key)
        if memory is not None and memory.uid != meta.get("uid"):
            newer, older = _resource_version(meta), _resource_version(memory.meta)
            if newer is not None and older is not None and newer < older:
                # Kopf streams each uid on its own, so a late event of an earlier object under this
                # name (gone meanwhile) can come after the new object's: it must neither replace
                # nor forget the current one.
                return
        if event_type == "DELETED":
            gone = self.objects.pop(key, None)
            if gone is not None:
                self.mirror.forget(gone.uid)
            self.configmaps.remove(key)
            self.observer.untrack(key)
            self.queue.forget(key)
            return
        if memory is not None and memory.uid != meta.get("uid"):
            memory = None  # deleted and re-created under the same name
            self.observer.untrack(key)
        if memory is None:
            # Seen before our finalizer was added: every Create for it will be sent by this process.
            # A standby cannot say so: the leader may have sent a Create it has not heard of yet.
            fresh = (
                (self._owns(key) or (self.elector is None and self.shards is None))
                and FINALIZER not in (meta.get("finalizers") or [])
                and not meta.get("deletionTimestamp")
            )
            self.objects[key] = memory = ObjectMemory.of(body, seen_from_start=fresh)
            first = True
        else:
            newer, older = _resource_version(meta), _resource_version(memory.meta)
            if newer is not None and older is not None and newer < older:
                return  # an old event arriving after our own write: we already know better
            memory.body = body
            first = False
        try:
            names = intent.references_of(intent.parse(body)).config_maps
        except intent.SpecError:
            names = frozenset()  # an invalid spec stalls in the reconcile; nothing to watch for it
        self.configmaps.update(key, names)
        if self._owns(key) and (first or needs_reconcile(body)):
            # A live watch event is someone's change; the start-up listing (type None) is routine.
            self.queue.trigger(key, urgent=event_type is not None)

    def on_configmap_event(self, event_type: str | None, body: dict[str, Any]) -> None:
        if event_type is None or not self.leading:
            return  # the initial listing: every user reconciles on its own first sight anyway
        meta = body.get("metadata", {})
        for key in self.configmaps.users(meta.get("namespace", ""), meta.get("name", "")):
            if not self._owns(key):
                continue
            logger.info(
                "ConfigMap %s/%s changed; reconciling %s/%s", meta.get("namespace"), meta.get("name"), *key
            )
            self.queue.trigger(key, urgent=True)

    def _swept(self, key: Key, observation: Observation[ContainerGroupOut], changed: bool) -> None:
        if key in self.objects and self._owns(key):
            self.queue.trigger(key)

    def _changed(self, key: Key) -> None:
        # ECI reported a change: a user is likely watching, so it goes ahead of routine sweeps.
        if key in self.objects and self._owns(key):
            self.queue.trigger(key, urgent=True)

    async def _events(self, key: Key, group: GroupEventsOut) -> None:
        memory = self.objects.get(key)
        if memory is not None and self._owns(key):
            await self.mirror.mirror(memory, group)

    async def _work(self, key: Key, failures: int) -> Requeue:
        memory = self.objects.get(key)
        if memory is None or (self.shards is not None and not self._owns(key)):
            return Requeue()  # gone, or its shard is no longer ours: the new holder takes over
        account = _account_of(memory.body)
        if account is None:
            return await self.reconciler.reconcile(memory, failures)
        try:
            use = await self.accounts.resolve(account, key[0])
        except KubeError as exc:
            logger.warning("Could not read EciAccount %s for %s/%s: %s", account, *key, exc)
            return FAILED
        if isinstance(use, Refusal):
            return await self.reconciler.reconcile(memory, failures, refusal=(use.reason, use.message))
        reconciler = self._account_reconcilers.get(id(use))
        if reconciler is None:
            reconciler = self._account_reconcilers[id(use)] = self._reconciler(use)
        region = (memory.body.get("spec") or {}).get("regionId")
        if isinstance(region, str) and region:
            await self.accounts.verify(account, use, region)
        try:
            return await reconciler.reconcile(memory, failures)
        finally:
            if self.shards is None:
                # With shards, each replica keeps to its own share and sees only its own calls:
                # replicas would overwrite each other's figures. Their ECI request metrics tell.
                await self.accounts.report_quota(account, use)

    # -- metrics ----------------------------------------------------------------------------

    def _phases(self) -> Mapping[str, int]:
        return Counter(memory.phase or "Unknown" for memory in self.objects.values())

    def _lags(self) -> dict[str, float]:
        lags: dict[str, float] = {}
        for scope in self.observer.scopes():
            lag = self.observer.lag(scope)
            lags[scope[1]] = lag if lag is not None else time.monotonic() - self._started
        return lags
