"""One idempotent, level-based reconcile of one ContainerGroup: observe → plan → act → status.

The function reads the world as it is now and moves it one step closer to the spec; it never relies
on what happened in an earlier call except through facts it can re-read (status, ECI, tags). So a
retry, a crash and restart, or a duplicate trigger is always safe. It returns the delay after which
it wants to look again (polling a transitional ECI state, backoff after a retryable error), or None.

Steps:

1. Deletion → finalize (Delete: delete and wait until gone; Orphan: drop the ownership tags).
2. Our finalizer first, so no instance can be created that a delete would leak.
3. Resolve the spec and the Secrets/ConfigMaps it names → the intent. Refusals → Stalled.
4. Observe: by recorded ID (the observer's fresh batch when there is one), else by the uid tag —
   which finds an instance created by a run that crashed before it recorded the ID.
5. Absent → Create (ClientToken from uid + generation, ownership tags) and record the ID at once.
6. Present → refuse an instance another ContainerGroup owns; plan; in sync → Ready. Otherwise:
   drift under Report → report only; forbidden by updatePolicy → Stalled with the plan; ECI busy →
   wait; Replace → create the new instance first, delete the old one once the new one runs;
   else UpdateContainerGroup with only the changed groups (ClientToken from uid + plan hash),
   then poll through Updating and verify by re-reading.

Permanent ECI errors (invalid parameter, spec not allowed, auth, quota) stall the object, and the
same inputs are not sent again until the spec or a referenced object changes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from eci_operator.controller import translation
from eci_operator.controller.cloud import Cloud, Scope
from eci_operator.controller.conditions import (
    Health,
    Summary,
    compute_conditions,
    find_condition,
    status_patch,
)
from eci_operator.controller.deletion import finalize
from eci_operator.controller.kube import KubeApi, KubeConflict, KubeError, now_rfc3339
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.observer import BatchedObserver, Observation
from eci_operator.controller.ownership import (
    OWNERSHIP_TAGS,
    Owner,
    create_token,
    delete_token,
    owner_from_tags,
    replace_token,
    update_token,
)
from eci_operator.controller.references import resolve
from eci_operator.controller.state import (
    EVENTED_STALLS,
    FAILED,
    FINALIZER,
    IMPACT_ALLOWED,
    KUBE_RETRY_CAP,
    SETTLED_OK,
    TRANSITIONAL,
    UPDATABLE,
    Key,
    ObjectState,
    Outcome,
    Settings,
    failure_message,
    is_permanent,
    object_name,
    observed_status,
    summary_from,
    was_ready,
)
from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import (
    AuthError,
    EciError,
    IncorrectStatusError,
)
from eci_operator.eci.models import ContainerGroupOut

logger = logging.getLogger(__name__)


class Reconciler:
    def __init__(
        self,
        *,
        kube: KubeApi,
        cloud: Cloud,
        observer: BatchedObserver[Key, Scope, ContainerGroupOut],
        metrics: Metrics,
        settings: Settings,
    ) -> None:
        self.kube = kube
        self.cloud = cloud
        self.observer = observer
        self.metrics = metrics
        self.settings = settings

    # -- entry point ------------------------------------------------------------------------

    async def reconcile(self, state: ObjectState) -> float | None:
        started = time.monotonic()
        result = "error"
        try:
            outcome = await self._reconcile(state)
            result = outcome.result or outcome.summary.health.value.lower()
            return self._pace(state, outcome.delay)
        except KubeConflict:
            result = "conflict"  # a newer version of the object is on its way through the watch
            return 1.0
        except KubeError as exc:
            logger.warning("Kubernetes API error for %s: %s", object_name(state.body), exc)
            # Kubernetes calls cost no ECI quota and an apiserver is back within seconds: retry
            # soon, however many ECI failures this object has had (a delete must not wait minutes).
            return min(self.backoff(state), KUBE_RETRY_CAP)
        finally:
            self.metrics.reconciles.labels(result=result).inc()
            self.metrics.reconcile_seconds.observe(time.monotonic() - started)

    def _pace(self, state: ObjectState, delay: float | None) -> float | None:
        """Polls of a transition slow down (x1.5 each, up to the resync interval): a group that
        stays Scheduling for minutes must not cost a Describe every couple of seconds."""
        if delay != self.settings.poll_interval:
            state.polls = 0
            return delay
        state.polls += 1
        return min(delay * 1.5 ** (state.polls - 1), max(delay, self.settings.resync_interval))

    def backoff(self, state: ObjectState) -> float:
        state.failures += 1
        base = min(self.settings.max_backoff, 2.0 ** min(state.failures, 10))
        return base * random.uniform(0.5, 1.5)

    async def _reconcile(self, state: ObjectState) -> Outcome:
        body = state.body
        meta = body.get("metadata", {})
        if meta.get("deletionTimestamp"):
            return await finalize(self, state)
        if FINALIZER not in (meta.get("finalizers") or []):
            patched = await self.kube.add_finalizer(body, FINALIZER)
            self.metrics.kube_writes.labels(kind="finalizer").inc()
            if patched is not None:
                state.body = body = patched
        outcome = await self._converge(state)
        await self.write_status(state, outcome)
        if outcome.delay is None and outcome.summary.health is not Health.STALLED:
            state.failures = 0
        return outcome

    # -- the main path ----------------------------------------------------------------------

    async def _converge(self, state: ObjectState) -> Outcome:
        body = state.body
        meta = body["metadata"]
        generation = int(meta.get("generation") or 0)
        status = body.get("status") or {}
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]
        owner = Owner(self.settings.cluster_id, namespace, name, uid)

        try:
            parsed = translation.parse(body)
            resolved = await resolve(self.kube, namespace, translation.references_of(parsed))
            intent = translation.build_intent(parsed, owner, resolved)
        except translation.SpecError as exc:
            if exc.missing_reference:
                # Secrets are not watched: look again at the resync cadence (Kubernetes reads only).
                return self._stalled("MissingReference", str(exc), delay=self.settings.resync_interval)
            return self._stalled("InvalidSpec", str(exc))
        try:
            credentials = await self.cloud.credentials_fingerprint()
        except CredentialsError as exc:
            return self._stalled("NoCredentials", str(exc), delay=self.settings.resync_interval)
        if state.stalled_on == (generation, intent.inputs_hash, credentials):
            # The inputs that failed permanently have not changed (spec, referenced objects,
            # credentials): do not send them again.
            return Outcome(summary_from(status, Health.STALLED), result="stalled")
        state.stalled_on = None
        region = intent.region
        scope = self.cloud.scope(region)
        key = (namespace, name)

        try:
            group = await self._find(state, scope, status, intent)
            if group is None:
                if status.get("containerGroupId") and intent.spec.container_group_id is None:
                    await self.event(
                        body,
                        "InstanceLost",
                        f"instance {status['containerGroupId']} is gone; creating a new one",
                        "Warning",
                    )
                if intent.spec.container_group_id:
                    # Never create a stand-in for an instance the spec names: the user must decide.
                    return self._stalled(
                        "AdoptionTargetNotFound",
                        f"spec.containerGroupId {intent.spec.container_group_id} does not exist in {region}",
                        delay=self.settings.resync_interval,
                    )
                return await self._create(state, intent, owner, generation)

            holder = owner_from_tags({t.key: t.value for t in group.tags})
            if holder is not None and holder.uid != uid:
                self.observer.untrack(key)
                return self._stalled(
                    "OwnedByAnother",
                    f"instance {group.container_group_id} is owned by ContainerGroup {holder.describe()}; "
                    f"remove its {', '.join(OWNERSHIP_TAGS)} tags to allow adoption",
                    status={"containerGroupId": None},
                    delay=self.settings.resync_interval,
                )
            self.observer.track(key, scope, group.container_group_id)
            state.phase = group.status
            observed = observed_status(group)
            if status.get("containerGroupId") != group.container_group_id:
                # Record the ID at once (adoption, or recovery after a crash before it was recorded).
                await self._patch_status(state, {"containerGroupId": group.container_group_id})
                await self.event(body, "Adopted", f"managing instance {group.container_group_id}")
            return await self._plan_and_act(state, intent, group, observed, owner)
        except EciError as exc:
            return await self._eci_failure(state, exc, (generation, intent.inputs_hash, credentials))

    async def _find(
        self, state: ObjectState, scope: Scope, status: Mapping[str, Any], intent: translation.Intent
    ) -> ContainerGroupOut | None:
        group_id = status.get("containerGroupId") or intent.spec.container_group_id
        if group_id:
            cached = self.observer.cached(group_id, max_age=self.settings.resync_interval)
            observation: Observation[ContainerGroupOut]
            if (
                cached is not None
                and cached.at > state.last_write
                and cached.group is not None
                and cached.group.status not in TRANSITIONAL  # polling a transition needs fresh reads
            ):
                observation = cached
            else:
                observation = await self.observer.observe(scope, group_id)
            state.observed_at = observation.wall
            if observation.group is not None or intent.spec.container_group_id == group_id:
                return observation.group
        # No ID recorded (or the recorded one is gone): a crashed create may have left one behind.
        state.observed_at = time.time()
        owned = await self.cloud.find_owned(scope[1], state.body["metadata"]["uid"])
        live = [g for g in owned if g.status not in ("Terminating",)]
        return live[0] if live else None

    async def _create(
        self, state: ObjectState, intent: translation.Intent, owner: Owner, generation: int
    ) -> Outcome:
        lost = str((state.body.get("status") or {}).get("containerGroupId") or "")
        request = intent.create.model_copy(update={"client_token": create_token(owner.uid, generation, lost)})
        group_id = await self.cloud.create(request)
        state.last_write = time.monotonic()
        key = (owner.namespace, owner.name)
        self.observer.track(key, self.cloud.scope(intent.region), group_id)
        self.observer.invalidate(group_id)
        # Record the ID before anything else can fail.
        await self._patch_status(
            state, {"containerGroupId": group_id, "appliedFingerprints": intent.fingerprints or None}
        )
        await self.event(state.body, "Created", f"created ECI instance {group_id} in {intent.region}")
        return Outcome(
            Summary(Health.PROGRESSING, "Creating", f"instance {group_id} is being created"),
            delay=self.settings.poll_interval,
            status={
                "containerGroupId": group_id,
                "appliedFingerprints": intent.fingerprints or None,
                "plan": None,
            },
            result="created",
        )

    async def _plan_and_act(
        self,
        state: ObjectState,
        intent: translation.Intent,
        group: ContainerGroupOut,
        observed: dict[str, Any],
        owner: Owner,
    ) -> Outcome:
        body = state.body
        status = body.get("status") or {}
        generation = int(body["metadata"].get("generation") or 0)
        spec = intent.spec
        phase = group.status
        base = {"containerGroupId": group.container_group_id, **observed}

        if phase in ("Scheduling", "Updating", "Restarting", "Terminating"):
            return Outcome(
                Summary(
                    Health.PROGRESSING, f"Instance{phase}", f"instance {group.container_group_id} is {phase}"
                ),
                delay=self.settings.poll_interval,
                status=base | {"plan": status.get("plan"), "drift": status.get("drift")},
            )

        view = translation.plan(intent, group, status.get("appliedFingerprints"))
        if view.empty:
            return await self._in_sync(state, intent, group, base)

        applied_generation = status.get("observedGeneration") == generation
        drift = applied_generation and not view.write_only_changed and was_ready(status)
        plan_status = {"impact": view.impact, "groups": view.groups}
        if drift:
            if spec.drift_policy.value == "Report":
                names = tuple(view.group_names())
                if state.reported_drift != names:
                    state.reported_drift = names
                    self.metrics.drift.labels(action="reported").inc()
                    await self.event(
                        body,
                        "DriftDetected",
                        f"instance differs from spec in {', '.join(names)}; driftPolicy Report leaves it",
                        "Warning",
                    )
                return Outcome(
                    Summary(
                        Health.READY,
                        "DriftReported",
                        f"instance differs from spec in {', '.join(names)} (driftPolicy Report)",
                    ),
                    status=base | {"drift": view.groups, "plan": None},
                    result="drift-reported",
                )
            self.metrics.drift.labels(action="enforced").inc()
            await self.event(
                body,
                "DriftDetected",
                f"instance differs from spec in {', '.join(view.group_names())}; correcting",
                "Warning",
            )
        state.reported_drift = ()

        policy = str(spec.update_policy.value)
        if view.impact not in IMPACT_ALLOWED.get(policy, ()):
            message = (
                f"the change to {', '.join(view.group_names())} needs {view.impact} "
                f"but updatePolicy is {policy}"
            )
            if status.get("plan", {}) != plan_status | {"reason": message}:
                await self.event(body, "UpdateBlocked", message, "Warning")
            return Outcome(
                Summary(Health.STALLED, "UpdateBlockedByPolicy", message),
                status=base
                | {"plan": plan_status | {"reason": message}, "drift": view.groups if drift else None},
                result="blocked",
            )

        if view.impact == "Replace":
            return await self._replace(state, intent, group, view, owner, base)

        if phase not in UPDATABLE and phase not in TRANSITIONAL:
            # Failed, Succeeded, Expired...: ECI accepts no update; polling would not change that.
            message = f"instance is {phase}; ECI updates only Pending or Running instances"
            return Outcome(
                Summary(Health.STALLED, "InstanceNotUpdatable", message),
                delay=self.settings.resync_interval,
                status=base | {"plan": plan_status | {"reason": message}},
                result="stalled",
            )
        if phase not in UPDATABLE:
            return Outcome(
                Summary(
                    Health.PROGRESSING,
                    "WaitingForInstance",
                    f"instance is {phase}; updates need Pending or Running",
                ),
                delay=self.settings.poll_interval,
                status=base
                | {"plan": plan_status | {"reason": f"waiting for Pending or Running (now {phase})"}},
            )

        sent = state.verify_attempts.get(view.hash, 0)
        if sent >= 2:
            message = (
                f"ECI accepted the update of {', '.join(view.group_names())} but the instance still differs"
            )
            return Outcome(
                Summary(Health.STALLED, "UpdateNotApplied", message),
                status=base | {"plan": plan_status | {"reason": message}},
                delay=self.settings.resync_interval,
            )
        assert view.update is not None
        request = view.update.model_copy(
            update={
                "container_group_id": group.container_group_id,
                "client_token": update_token(owner.uid, view.hash, state.observed_at),
            }
        )
        changed = await self.cloud.update(request)
        state.verify_attempts[view.hash] = sent + 1
        state.last_write = time.monotonic()
        self.observer.invalidate(group.container_group_id)
        impact = {"NoRestart": "without restart", "Restart": "restarting the containers"}.get(
            view.impact or "", ""
        )
        if changed:
            await self.event(body, "Updated", f"updated {', '.join(view.group_names())}, {impact}")
        fingerprints = intent.fingerprints or None
        await self._patch_status(state, {"appliedFingerprints": fingerprints})
        return Outcome(
            Summary(
                Health.PROGRESSING, "Updating", f"updating {', '.join(view.group_names())} ({view.impact})"
            ),
            delay=self.settings.poll_interval,
            status=base | {"plan": plan_status, "appliedFingerprints": fingerprints, "drift": None},
            result="updated",
        )

    async def _in_sync(
        self, state: ObjectState, intent: translation.Intent, group: ContainerGroupOut, base: dict[str, Any]
    ) -> Outcome:
        status = state.body.get("status") or {}
        state.verify_attempts.clear()
        state.reported_drift = ()
        # A replacement is finished only when the instances it replaced are gone.
        if (status.get("plan") or {}).get("impact") == "Replace":
            if group.status not in SETTLED_OK:
                return Outcome(
                    Summary(
                        Health.PROGRESSING, "Replacing", f"waiting for {group.container_group_id} to run"
                    ),
                    delay=self.settings.poll_interval,
                    status=base | {"plan": status.get("plan")},
                )
            leftovers = [
                g
                for g in await self.cloud.find_owned(intent.region, state.body["metadata"]["uid"])
                if g.container_group_id != group.container_group_id
            ]
            if leftovers:
                for old in leftovers:
                    if old.status == "Terminating":
                        continue  # already being deleted; wait until it is gone
                    token = delete_token(state.body["metadata"]["uid"], old.container_group_id)
                    await self.cloud.delete(intent.region, old.container_group_id, token)
                    await self.event(
                        state.body,
                        "Replaced",
                        f"deleted {old.container_group_id}, replaced by {group.container_group_id}",
                    )
                return Outcome(
                    Summary(Health.PROGRESSING, "Replacing", "deleting the replaced instance"),
                    delay=self.settings.poll_interval,
                    status=base | {"plan": status.get("plan")},
                )
        fingerprints = intent.fingerprints or None
        if group.status in SETTLED_OK:
            summary = Summary(
                Health.READY,
                group.status,
                f"instance {group.container_group_id} is {group.status} and matches the spec",
            )
            delay = None
        elif group.status in FAILED:
            summary = Summary(Health.STALLED, "Instance" + group.status, failure_message(group))
            delay = None
        else:
            summary = Summary(
                Health.PROGRESSING, f"Instance{group.status or 'Unknown'}", f"instance is {group.status}"
            )
            delay = self.settings.poll_interval
        return Outcome(
            summary,
            delay=delay,
            status=base | {"plan": None, "drift": None, "appliedFingerprints": fingerprints},
        )

    async def _replace(
        self,
        state: ObjectState,
        intent: translation.Intent,
        group: ContainerGroupOut,
        view: translation.PlanView,
        owner: Owner,
        base: dict[str, Any],
    ) -> Outcome:
        request = intent.create.model_copy(
            update={"client_token": replace_token(owner.uid, group.container_group_id, view.hash)}
        )
        new_id = await self.cloud.create(request)
        state.last_write = time.monotonic()
        plan_status = {
            "impact": "Replace",
            "groups": view.groups,
            "reason": f"replacing {group.container_group_id} by {new_id}",
        }
        self.observer.track((owner.namespace, owner.name), self.cloud.scope(intent.region), new_id)
        await self._patch_status(
            state,
            {
                "containerGroupId": new_id,
                "plan": plan_status,
                "appliedFingerprints": intent.fingerprints or None,
            },
        )
        await self.event(
            state.body,
            "Replacing",
            f"created {new_id} to replace {group.container_group_id} ({', '.join(view.group_names())})",
        )
        return Outcome(
            Summary(Health.PROGRESSING, "Replacing", f"replacing {group.container_group_id} by {new_id}"),
            delay=self.settings.poll_interval,
            status={
                "containerGroupId": new_id,
                "plan": plan_status,
                "appliedFingerprints": intent.fingerprints or None,
            },
            result="replacing",
        )

    # -- deletion ---------------------------------------------------------------------------

    # -- errors -----------------------------------------------------------------------------

    async def _eci_failure(self, state: ObjectState, exc: EciError, inputs: tuple[int, str, str]) -> Outcome:
        text = f"{exc.code or type(exc).__name__}: {exc.message}"
        if isinstance(exc, IncorrectStatusError):
            return Outcome(
                Summary(Health.PROGRESSING, "WaitingForInstance", f"ECI says the instance is busy ({text})"),
                delay=max(self.settings.poll_interval, self.backoff(state)),
            )
        if is_permanent(exc):
            state.stalled_on = inputs
            await self.event(state.body, "Failed", f"ECI refused the request: {text}", "Warning")
            reason = "AuthFailed" if isinstance(exc, AuthError) else "EciRejected"
            return self._stalled(reason, f"ECI refused the request: {text}")
        delay = self.backoff(state)
        if state.failures == 1:  # one Event per streak of failures, not one per retry
            await self.event(state.body, "RetryingAfterError", f"{text}; retrying with backoff", "Warning")
        return Outcome(
            Summary(Health.PROGRESSING, "RetryingAfterError", f"{text}; retrying with backoff"),
            delay=delay,
            result="retry",
        )

    def _stalled(
        self, reason: str, message: str, *, status: dict[str, Any] | None = None, delay: float | None = None
    ) -> Outcome:
        return Outcome(
            Summary(Health.STALLED, reason, message), delay=delay, status=status or {}, result="stalled"
        )

    # -- status and events ------------------------------------------------------------------

    async def write_status(self, state: ObjectState, outcome: Outcome) -> None:
        body = state.body
        current = body.get("status") or {}
        generation = int(body["metadata"].get("generation") or 0)
        desired = {k: v for k, v in current.items() if k not in ("conditions", "observedGeneration")}
        for key, value in outcome.status.items():
            if value is None:
                desired.pop(key, None)
            else:
                desired[key] = value
        desired["observedGeneration"] = generation
        conditions = compute_conditions(
            outcome.summary, generation=generation, current=current.get("conditions"), now=now_rfc3339()
        )
        desired["conditions"] = conditions
        patch = status_patch(current, desired)
        if patch is None:
            return
        if set(patch) - {"lastObservedTime"}:
            patch["lastObservedTime"] = now_rfc3339()
        await self._patch_status(state, patch)
        summary = outcome.summary
        if summary.health is Health.STALLED and summary.reason not in EVENTED_STALLS:
            before = find_condition(current.get("conditions"), "Stalled") or {}
            if before.get("status") != "True" or before.get("reason") != summary.reason:
                await self.event(body, summary.reason, summary.message, "Warning")

    async def _patch_status(self, state: ObjectState, patch: Mapping[str, Any]) -> None:
        meta = state.body["metadata"]
        current = state.body.get("status") or {}
        if status_patch(current, {**current, **{k: v for k, v in patch.items()}}) is None:
            return
        patched = await self.kube.patch_status(meta["namespace"], meta["name"], patch)
        self.metrics.kube_writes.labels(kind="status").inc()
        if patched is not None:
            # Keep our view of the metadata (re-read: a watch event may have refreshed it during the
            # call) and take the server's status. Take its resourceVersion only when the server's
            # object holds no edit or deletion we have not seen yet; otherwise the watch event that
            # carries that change would look older than our view and be dropped, and the change
            # (a delete!) would wait for an unrelated event that may never come.
            seen = state.body["metadata"]
            server = patched.get("metadata") or {}
            caught_up = all(server.get(k) == seen.get(k) for k in ("generation", "deletionTimestamp"))
            version = server.get("resourceVersion") if caught_up else seen.get("resourceVersion")
            state.body = {
                **state.body,
                "status": patched.get("status") or {},
                "metadata": {**seen, "resourceVersion": version},
            }

    async def event(self, body: Mapping[str, Any], reason: str, message: str, type_: str = "Normal") -> None:
        """Post a Kubernetes Event and log the same line (Events never carry secret values)."""
        level = logging.WARNING if type_ == "Warning" else logging.INFO
        logger.log(level, "%s: %s: %s", object_name(body), reason, message)
        try:
            await self.kube.create_event(body, reason=reason, message=message, type_=type_)
            self.metrics.kube_writes.labels(kind="event").inc()
        except KubeError as exc:  # events are best effort
            # A namespace being deleted refuses new content, Events included: expected, not an error.
            terminating = exc.status == 403 and "being terminated" in exc.message
            logger.log(
                logging.DEBUG if terminating else logging.WARNING,
                "Could not post event %s for %s: %s",
                reason,
                object_name(body),
                exc,
            )


__all__ = ["FINALIZER", "Key", "ObjectState", "Outcome", "Reconciler", "Settings"]
