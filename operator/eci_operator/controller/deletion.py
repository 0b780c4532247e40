"""Deletion of a ContainerGroup: what its ``deletionPolicy`` says, then release the finalizer.

``Delete`` deletes the instance (and any leftover of a replacement, found by the uid tag) and keeps
the finalizer until ECI no longer returns them; NotFound counts as gone. ``Orphan`` removes the
ownership tags and lets the instance run on outside Kubernetes. When ECI refuses, the finalizer
stays, the Reconciling condition and a Warning Event say why, and the call is retried with backoff.
Only the raw spec is read, so an object whose spec no longer validates can still be deleted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from eci_operator.controller.conditions import Health, Summary
from eci_operator.controller.ownership import OWNERSHIP_TAGS, delete_token, owner_from_tags, update_token
from eci_operator.controller.state import FINALIZER, TRANSITIONAL, UPDATABLE, ObjectState, Outcome
from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import EciError
from eci_operator.eci.models import ContainerGroupOut, Tag, UpdateContainerGroupRequest

if TYPE_CHECKING:
    from eci_operator.controller.reconcile import Reconciler


async def finalize(r: Reconciler, state: ObjectState) -> Outcome:
    body = state.body
    meta = body["metadata"]
    if FINALIZER not in (meta.get("finalizers") or []):
        return Outcome(Summary(Health.PROGRESSING, "Deleting", "released"), result="deleted")
    spec = body.get("spec") or {}
    status = body.get("status") or {}
    region = str(spec.get("regionId") or "")
    policy = spec.get("deletionPolicy") or "Delete"
    uid = meta["uid"]
    group_id = status.get("containerGroupId")
    try:
        if region:
            scope = r.cloud.scope(region)
            ids = [group_id] if group_id else []
            ids += [
                g.container_group_id
                for g in await r.cloud.find_owned(region, uid)
                if g.container_group_id not in ids
            ]
            existing = await r.cloud.describe(scope, ids) if ids else {}
            if policy == "Orphan":
                busy = [
                    gid for gid, g in existing.items() if g.status in TRANSITIONAL and g.status != "Pending"
                ]
                if busy:
                    outcome = Outcome(
                        Summary(Health.PROGRESSING, "Orphaning", f"waiting for {', '.join(busy)} to settle"),
                        delay=r.settings.poll_interval,
                    )
                    await r.write_status(state, outcome)
                    return outcome
                for gid, group in existing.items():
                    released = await release(r, region, group, uid)
                    note = "" if released else " (its ownership tags stay: ECI cannot update it now)"
                    await r.event(body, "Orphaned", f"released instance {gid}{note}")
            else:
                if existing:
                    for gid, group in existing.items():
                        if group.status != "Terminating":
                            await r.cloud.delete(region, gid, delete_token(uid, gid))
                            await r.event(body, "Deleting", f"deleting instance {gid}")
                    state.last_write = time.monotonic()
                    outcome = Outcome(
                        Summary(
                            Health.PROGRESSING,
                            "Deleting",
                            f"waiting for {', '.join(existing)} to be gone",
                        ),
                        delay=r.settings.poll_interval,
                    )
                    await r.write_status(state, outcome)
                    return outcome
                if group_id:
                    await r.event(body, "Deleted", f"instance {group_id} is gone")
    except (EciError, CredentialsError) as exc:
        verb = "release" if policy == "Orphan" else "delete"
        why = f"{exc.code or type(exc).__name__}: {exc.message}" if isinstance(exc, EciError) else str(exc)
        message = f"could not {verb} the instance: {why}"
        outcome = Outcome(Summary(Health.PROGRESSING, "DeletionBlocked", message), delay=r.backoff(state))
        if state.failures == 1:
            await r.event(body, "DeletionBlocked", message, "Warning")
        await r.write_status(state, outcome)
        return outcome
    r.observer.untrack((meta["namespace"], meta["name"]))
    await r.kube.remove_finalizer(body, FINALIZER)
    r.metrics.kube_writes.labels(kind="finalizer").inc()
    return Outcome(Summary(Health.PROGRESSING, "Deleted", "instance deleted"), result="deleted")


async def release(r: Reconciler, region: str, group: ContainerGroupOut, uid: str) -> bool:
    """Remove our ownership tags; False when the instance's status allows no update."""
    owner = owner_from_tags({t.key: t.value for t in group.tags})
    if owner is None or owner.uid != uid:
        return True
    if group.status not in UPDATABLE:
        return False
    remaining = [Tag(key=t.key, value=t.value) for t in group.tags if t.key not in OWNERSHIP_TAGS]
    request = UpdateContainerGroupRequest(
        region_id=region,
        container_group_id=group.container_group_id,
        update_type="IncrementalUpdate",
        tags=remaining,
        client_token=update_token(uid, "orphan:" + group.container_group_id, 0.0),
    )
    await r.cloud.update(request)
    return True
