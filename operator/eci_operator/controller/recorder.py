"""Status and Events: how the controller tells users what it concluded and what it did.

Every status write carries ``observedGeneration`` and the three kstatus conditions, so Flux, Argo CD
and ``kubectl wait`` never see a half-written status (e.g. an ID without conditions reading as
healthy). A write is sent only when something changed (``lastTransitionTime`` moves only when a
condition flips), which keeps an object in sync free of Kubernetes writes.

The answer of a status patch becomes the controller's view of the object, with care for the
resourceVersion: an edit or deletion that the server holds but the watch has not delivered yet must
not be hidden behind the patch's newer version.

Events are best effort, logged with the same text, and never carry secret values (messages are
built from names, IDs, codes and scrubbed ECI messages only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from eci_operator.controller.conditions import (
    Health,
    Summary,
    compute_conditions,
    find_condition,
    status_patch,
)
from eci_operator.controller.kube import Kube, KubeError, now_rfc3339
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.reasons import Reason

logger = logging.getLogger("eci_operator.controller")


class Recorder:
    def __init__(self, kube: Kube, metrics: Metrics) -> None:
        self.kube = kube
        self.metrics = metrics

    async def status(
        self,
        memory: ObjectMemory,
        summary: Summary,
        fields: Mapping[str, Any] | None = None,
        *,
        announce_stall: bool = True,
    ) -> None:
        """Write ``fields`` (None removes a field) with the conditions ``summary`` implies.

        ``announce_stall`` posts a Warning Event when the object newly stalls, or stalls for a new
        reason or with a new message (a new blocked change); callers that posted a more detailed
        Event themselves pass False.
        """
        current = memory.status
        generation = memory.generation
        desired = {k: v for k, v in current.items() if k not in ("conditions", "observedGeneration")}
        for key, value in (fields or {}).items():
            if value is None:
                desired.pop(key, None)
            else:
                desired[key] = value
        desired["observedGeneration"] = generation
        desired["conditions"] = compute_conditions(
            summary, generation=generation, current=current.get("conditions"), now=now_rfc3339()
        )
        patch = status_patch(current, desired)
        if patch is None:
            return
        if set(patch) - {"lastObservedTime"}:
            patch["lastObservedTime"] = now_rfc3339()
        await self._patch(memory, patch)
        if announce_stall and summary.health is Health.STALLED:
            before = find_condition(current.get("conditions"), "Stalled") or {}
            if (before.get("status"), before.get("reason"), before.get("message")) != (
                "True",
                summary.reason,
                summary.message,
            ):
                await self.event(memory, summary.reason, summary.message, warning=True)

    async def _patch(self, memory: ObjectMemory, patch: Mapping[str, Any]) -> None:
        meta = memory.meta
        patched = await self.kube.patch_status(str(meta["namespace"]), str(meta["name"]), patch)
        self.metrics.kube_writes.labels(kind="status").inc()
        if patched is None:
            return
        # Keep our view of the metadata and take the server's status. Take its resourceVersion only
        # when the server's object holds no edit or deletion we have not seen yet; otherwise the
        # watch event carrying that change would look older than our view and be dropped, and the
        # change (a delete!) would wait for an unrelated event that may never come.
        seen = memory.body.get("metadata") or {}
        server = patched.get("metadata") or {}
        caught_up = all(server.get(k) == seen.get(k) for k in ("generation", "deletionTimestamp"))
        version = server.get("resourceVersion") if caught_up else seen.get("resourceVersion")
        memory.body = {
            **memory.body,
            "status": patched.get("status") or {},
            "metadata": {**seen, "resourceVersion": version},
        }

    async def event(
        self, memory: ObjectMemory, reason: Reason, message: str, *, warning: bool = False
    ) -> None:
        """Post a Kubernetes Event about the object and log the same line."""
        logger.log(logging.WARNING if warning else logging.INFO, "%s: %s: %s", memory.name, reason, message)
        try:
            await self.kube.create_event(
                memory.body, reason=str(reason), message=message, type_="Warning" if warning else "Normal"
            )
            self.metrics.kube_writes.labels(kind="event").inc()
        except KubeError as exc:  # Events are best effort
            # A namespace being deleted refuses new content, Events included: expected, not an error.
            terminating = exc.status == 403 and "being terminated" in exc.message
            logger.log(
                logging.DEBUG if terminating else logging.WARNING,
                "Could not post event %s for %s: %s",
                reason,
                memory.name,
                exc,
            )
