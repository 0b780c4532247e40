"""Deletion of a ContainerGroup: what its ``deletionPolicy`` says, then release the finalizer.

``Delete`` deletes every instance of the object — the recorded one, any this process created (by ID,
even before ECI's reads list it), and any leftover of a replacement found by the uid tag — and keeps
the finalizer until each is proven gone (the observe step's rules: ECI accepted the delete and no
longer lists it, or direct reads found nothing over the grace window). ``Orphan`` removes the
ownership tags and lets the instances run on outside Kubernetes. Every instance passes the ownership
check first: one whose tags name another ContainerGroup, or that only status names, is never deleted
or changed.

When nothing was ever recorded, a deletion can finish at once only if this process saw the object
from its start and never sent a Create for it; otherwise the uid-tag search must come back empty for
the whole grace window (a Create answered just before a crash may not be listed yet). The same wait
applies after the known instances are gone when a Create of this process went unanswered: it may
have made an instance that ECI's reads do not list yet.

When ECI refuses or fails, the finalizer stays, a condition and a Warning Event say why, and the work
queue retries with backoff. Only the raw spec is read, so an object whose spec no longer validates
can still be deleted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eci_operator.controller.claims import Claim, claim
from eci_operator.controller.cloud import Cloud
from eci_operator.controller.conditions import Health, Summary
from eci_operator.controller.kube import Kube
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.observation import Gone, Missing, recorded_id
from eci_operator.controller.observer import Observer
from eci_operator.controller.reasons import Reason
from eci_operator.controller.recorder import Recorder
from eci_operator.controller.settings import OperatorSettings
from eci_operator.controller.tokens import delete_token, release_token
from eci_operator.controller.workqueue import DONE, FAILED, Requeue
from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import EciError, is_terminal
from eci_operator.eci.models import GROUP_ID, ContainerGroupOut
from eci_operator.eci.quotas import Priority
from eci_operator.translate import OWNERSHIP_TAG_KEYS, Owner

FINALIZER = "eci.operator.dev/finalizer"
"""Owned by the controller (Kopf never touches it): added before any instance can exist."""


@dataclass
class Finalizer:
    cloud: Cloud
    kube: Kube
    recorder: Recorder
    observer: Observer
    metrics: Metrics
    settings: OperatorSettings

    async def finalize(self, memory: ObjectMemory, failures: int) -> Requeue:
        meta = memory.meta
        if FINALIZER not in (meta.get("finalizers") or []):
            return DONE
        spec: Mapping[str, Any] = memory.body.get("spec") or {}
        region = spec.get("regionId")
        policy = "Orphan" if spec.get("deletionPolicy") == "Orphan" else "Delete"
        if isinstance(region, str) and region:
            try:
                waiting = await self._settle(memory, region, policy)
            except (EciError, CredentialsError) as exc:
                return await self._blocked(memory, policy, exc, failures)
            if waiting is not None:
                return waiting
        # Nothing of ours is left on ECI (or the spec never named a region, so nothing was created).
        self.observer.batched.untrack(memory.key)
        await self.kube.remove_finalizer(memory.body, FINALIZER)
        self.metrics.kube_writes.labels(kind="finalizer").inc()
        return DONE

    def _owner(self, memory: ObjectMemory) -> Owner:
        namespace, name = memory.key
        return Owner(self.settings.cluster_id, namespace, name, memory.uid)

    async def _settle(self, memory: ObjectMemory, region: str, policy: str) -> Requeue | None:
        """Act on every instance of the object; None once nothing is left to wait for."""
        owner = self._owner(memory)
        scope = self.cloud.scope(region)
        adopt = memory.body.get("spec", {}).get("containerGroupId")
        adopt_id = adopt if isinstance(adopt, str) and GROUP_ID.match(adopt) else None
        owned = {g.container_group_id: g for g in await self.cloud.find_owned(region, owner.uid)}
        candidates = list(
            dict.fromkeys(
                [i for i in (recorded_id(memory), adopt_id) if i] + memory.created_ids + list(owned)
            )
        )
        if not candidates:
            return await self._prove_nothing_exists(memory)
        unseen = [i for i in candidates if i not in owned]
        listed = await self.cloud.describe(scope, unseen, priority=Priority.USER) if unseen else {}
        waiting: list[str] = []
        for gid in candidates:
            group = owned.get(gid) or listed.get(gid)
            # Created by this process for this very object, so ours without a look at its tags; too
            # new to be listed yet: delete it by ID rather than wait for reads to catch up.
            blind = group is None and policy == "Delete" and gid in memory.created_ids
            if (
                blind
                and gid not in memory.deleted
                and await self.cloud.delete(region, gid, delete_token(owner.uid, gid))
            ):
                memory.deleted.add(gid)
                memory.last_write = time.monotonic()
                await self.recorder.event(memory, Reason.DELETING, f"deleting instance {gid}")
            if group is None:
                found = await self.observer.confirm_absence(memory, scope, gid)
                if isinstance(found, Gone):
                    continue
                if isinstance(found, Missing):
                    waiting.append(gid)
                    continue
                group = found
            may_adopt = self.settings.adoption.allows(owner.namespace)
            ownership = claim(group, owner, adopt_id=adopt_id, may_adopt=may_adopt)
            if not ownership.claim.may_write:
                if gid == recorded_id(memory) and ownership.claim is not Claim.NOT_ALLOWED:
                    holder = ownership.holder.describe() if ownership.holder else "no ContainerGroup"
                    await self.recorder.event(
                        memory,
                        Reason.OWNED_BY_ANOTHER,
                        f"not touching instance {gid}: its tags name {holder}",
                        warning=True,
                    )
                continue
            if policy == "Orphan":
                await self._release(region, group, owner.uid)
                await self.recorder.event(memory, Reason.ORPHANED, f"released instance {gid}")
                continue
            if group.status != "Terminating" and gid not in memory.deleted:
                if await self.cloud.delete(region, gid, delete_token(owner.uid, gid)):
                    memory.deleted.add(gid)
                memory.last_write = time.monotonic()
                await self.recorder.event(memory, Reason.DELETING, f"deleting instance {gid}")
            waiting.append(gid)
        if not waiting:
            if memory.pending_create is not None:
                # A Create went unanswered: an instance ECI does not list yet may exist besides these.
                proving = await self._prove_nothing_exists(memory)
                if proving is not None:
                    return proving
            if policy == "Delete" and recorded_id(memory):
                await self.recorder.event(memory, Reason.DELETED, f"instance {recorded_id(memory)} is gone")
            return None
        verb = "settle" if policy == "Orphan" else "be gone"
        await self.recorder.status(
            memory,
            Summary(
                Health.PROGRESSING,
                Reason.ORPHANING if policy == "Orphan" else Reason.DELETING,
                f"waiting for {', '.join(waiting)} to {verb}",
            ),
        )
        return Requeue(after=self.settings.reconcile.poll_interval)

    async def _prove_nothing_exists(self, memory: ObjectMemory) -> Requeue | None:
        """No instance is known. Done at once when none can exist; else the uid-tag search (just
        made) must stay empty over the grace window."""
        if memory.seen_from_start and not memory.create_sent:
            return None
        recheck = self.observer.prove_no_instance(memory)
        if recheck is None:
            return None
        await self.recorder.status(
            memory,
            Summary(
                Health.PROGRESSING,
                Reason.DELETING,
                "making sure no instance exists (ECI lists new instances with a delay)",
            ),
        )
        return Requeue(after=recheck)

    async def _release(self, region: str, group: ContainerGroupOut, uid: str) -> None:
        """Remove our ownership tags with ECI's tag API: no update, no restart, any status, and the
        last tags too (an update cannot send an empty tag list)."""
        keys = [t.key for t in group.tags if t.key in OWNERSHIP_TAG_KEYS]
        if keys:
            await self.cloud.untag(
                region, group.container_group_id, keys, release_token(uid, group.container_group_id)
            )

    async def _blocked(
        self, memory: ObjectMemory, policy: str, exc: EciError | CredentialsError, failures: int
    ) -> Requeue:
        verb = "release" if policy == "Orphan" else "delete"
        why = f"{exc.code or type(exc).__name__}: {exc.message}" if isinstance(exc, EciError) else str(exc)
        message = f"could not {verb} the instance: {why}"
        terminal = not exc.retryable if isinstance(exc, CredentialsError) else is_terminal(exc)
        if failures == 0:
            await self.recorder.event(memory, Reason.DELETION_BLOCKED, message, warning=True)
        await self.recorder.status(
            memory,
            Summary(Health.STALLED if terminal else Health.PROGRESSING, Reason.DELETION_BLOCKED, message),
            announce_stall=False,
        )
        return FAILED
