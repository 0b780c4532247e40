"""The observe step: what exists on ECI for one ContainerGroup, as the facts of ``observation``.

Reconcile and deletion both start here (as crossplane-runtime's managed reconciler starts from one
``Observe``): Present (with the ownership verdict), Missing, Gone, Unproven or NoInstance.

Existence needs proof. ECI's reads lag its writes by a few seconds, so an instance missing from a
Describe answer may simply be new. A recorded instance counts as gone only after *direct* reads of
its one ID (not a batch, not a tag search) have found nothing, at least ``gone_reads`` times over
``gone_grace`` seconds — or, once ECI has accepted our DeleteContainerGroup for it, after the first
read that no longer lists it. Nothing is created in place of an instance, and no finalizer is
released, on anything less. Likewise, with nothing recorded, "no instance" is proven only when
every Create ever sent for the object was this process's and answered, or after uid-tag searches have
found nothing over the same window (an earlier process may have crashed between its Create and
recording the ID; a Create made now for a newer generation would carry a new ClientToken).

Reads come from the batched observer (its last sweep when fresh enough, else a read merged with
other objects' into 20-ID calls); only the confirmation of an absence costs a call of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from eci_operator.controller.batched import BatchedObserver, Observation
from eci_operator.controller.claims import Ownership, claim
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.memory import Key, ObjectMemory
from eci_operator.controller.observation import (
    Gone,
    InstanceObservation,
    Missing,
    NoInstance,
    Present,
    Unproven,
    recorded_id,
)
from eci_operator.controller.settings import AdoptionSettings, ReconcileSettings
from eci_operator.eci.models import TRANSITIONAL, ContainerGroupOut
from eci_operator.translate import Owner


@dataclass
class Observer:
    """Reads what exists for one ContainerGroup (see the module docstring)."""

    cloud: Cloud
    batched: BatchedObserver[Key, Scope, ContainerGroupOut]
    settings: ReconcileSettings
    adoption: AdoptionSettings = field(default_factory=AdoptionSettings)

    async def observe(
        self, memory: ObjectMemory, owner: Owner, region: str, adopt_id: str | None
    ) -> InstanceObservation:
        scope = self.cloud.scope(region)
        recorded = recorded_id(memory)
        target = recorded or adopt_id or (memory.created_ids[-1] if memory.created_ids else None)
        if target is not None:
            found = await self._read(memory, scope, target)
            if found is None:
                confirmed = await self.confirm_absence(memory, scope, target)
                if isinstance(confirmed, Missing):
                    return confirmed
                found = confirmed if isinstance(confirmed, ContainerGroupOut) else None
            if found is not None:
                return Present(found, self._claim(found, owner, adopt_id), recorded == target)
        else:
            memory.observed_at = time.time()
        # Nothing recorded (or the recorded instance is proven gone): a create that crashed before
        # its ID was recorded, or a replacement's new instance, is found by the uid tag.
        owned = await self.cloud.find_owned(region, owner.uid)
        live = [g for g in owned if g.status != "Terminating"]
        if live:
            return Present(
                live[0], self._claim(live[0], owner, adopt_id), recorded == live[0].container_group_id
            )
        if target is not None:
            return Gone(target)
        if memory.seen_from_start or memory.create_sent:
            return NoInstance()  # every Create ever sent for it was ours, and answered
        recheck = self.prove_no_instance(memory)
        if recheck is not None:
            return Unproven(memory.absences[_uid_key(memory)].since, recheck)
        return NoInstance()

    def prove_no_instance(self, memory: ObjectMemory) -> float | None:
        """Count a uid-tag search that just found nothing; None once such searches have found
        nothing over the grace window (``gone_reads`` of them), else seconds until the next is due.
        Needed when an earlier process may have sent a Create whose answer it never recorded."""
        key, now, settings = _uid_key(memory), time.monotonic(), self.settings
        spacing = settings.gone_spacing
        absence = memory.absences.get(key)
        if absence is None or now - absence.last >= spacing * 0.9:  # closer searches do not count
            absence = memory.absent(key, now)
        if absence.proven(now, settings.gone_grace, settings.gone_reads):
            return None
        return absence.next_read(now, settings.gone_grace, spacing)

    def _claim(self, group: ContainerGroupOut, owner: Owner, adopt_id: str | None) -> Ownership:
        return claim(group, owner, adopt_id=adopt_id, may_adopt=self.adoption.allows(owner.namespace))

    async def _read(self, memory: ObjectMemory, scope: Scope, group_id: str) -> ContainerGroupOut | None:
        cached = self.batched.cached(group_id, max_age=self.settings.resync_interval)
        observation: Observation[ContainerGroupOut]
        if (
            cached is not None
            and cached.at > memory.last_write
            and cached.group is not None
            and cached.group.status not in TRANSITIONAL  # polling a transition needs fresh reads
        ):
            observation = cached
        else:
            observation = await self.batched.observe(scope, group_id)
        memory.observed_at = observation.wall
        if observation.group is not None:
            memory.absences.pop(group_id, None)
        return observation.group

    async def confirm_absence(
        self, memory: ObjectMemory, scope: Scope, group_id: str
    ) -> ContainerGroupOut | Missing | Gone:
        """After a read did not list ``group_id``: Gone once proven, Missing while not, or the
        instance when a direct read finds it after all."""
        if group_id in memory.deleted:
            return Gone(group_id)
        now = time.monotonic()
        settings = self.settings
        spacing = settings.gone_spacing
        absence = memory.absences.get(group_id)
        if absence is None or now - absence.last >= spacing:
            found = await self.cloud.describe_one(scope, group_id)
            now = time.monotonic()
            if found is not None:
                memory.absences.pop(group_id, None)
                return found
            absence = memory.absent(group_id, now)
        if absence.proven(now, settings.gone_grace, settings.gone_reads):
            return Gone(group_id)
        return Missing(group_id, absence.since, recheck=absence.next_read(now, settings.gone_grace, spacing))


def _uid_key(memory: ObjectMemory) -> str:
    return f"uid:{memory.uid}"
