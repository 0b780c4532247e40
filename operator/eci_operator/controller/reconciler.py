"""One idempotent, level-based reconcile of one ContainerGroup: resolve → observe → decide → act.

The reconciler reads the world as it is now and moves it one step closer to the spec; it never relies
on what happened in an earlier call except through facts it can re-read (the object, ECI, tags), so a
retry, a crash and restart, or a duplicate trigger is always safe. It answers the work queue with a
``Requeue``: done, look again after a delay (polling a transition), or failed (the queue backs off).

1. Deletion → :class:`~eci_operator.controller.finalizer.Finalizer`.
2. Our finalizer first, so no instance can be created that a delete would leak.
3. Resolve the spec and the Secrets/ConfigMaps it names → the :class:`Intent`. Refusals → Stalled;
   a missing reference → Reconciling for a grace period (it may be created a moment later).
4. Observe (``observation``): the instance and whether this object may touch it.
5. Decide (``decide``, pure; a restart asked for by annotation included), then act: each decision
   is executed by one method below, which makes the ECI call, posts the Event and returns what
   status should say. Pod-spec fields the spec lets
   the instance run without (``unenforceableFields: Ignore``) are listed in ``status.ignoredFields``,
   in a Warning Event when the list changes, and in the Ready message.

Terminal ECI errors (the list in ``eci.errors``) stall the object, and the same inputs are not sent
again until the spec, a referenced object or the credentials change; every other error is retried.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api.containergroup import RESTART_ANNOTATION
from eci_operator.controller import decide as decisions
from eci_operator.controller.cloud import Cloud
from eci_operator.controller.conditions import Health, Summary
from eci_operator.controller.decide import Decision, Facts, decide
from eci_operator.controller.finalizer import FINALIZER, Finalizer
from eci_operator.controller.intent import Intent, SpecError, build_intent, parse, references_of
from eci_operator.controller.kube import Kube, KubeConflict, KubeError
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.observation import Present, recorded_id
from eci_operator.controller.observer import Observer
from eci_operator.controller.reasons import Reason
from eci_operator.controller.recorder import Recorder
from eci_operator.controller.resolving import resolve
from eci_operator.controller.settings import OperatorSettings
from eci_operator.controller.tokens import (
    create_token,
    delete_token,
    replace_token,
    restart_token,
    update_token,
)
from eci_operator.controller.workqueue import DONE, FAILED, Requeue
from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import AuthError, CircuitOpenError, EciError, IncorrectStatusError, is_terminal
from eci_operator.eci.flatten import flatten
from eci_operator.eci.models import ContainerGroupOut, ContainerOut, CreateContainerGroupRequest
from eci_operator.eci.redact import Scrubber, secret_values
from eci_operator.translate import Owner, Plan

logger = logging.getLogger("eci_operator.controller")


@dataclass
class Outcome:
    """What one reconcile concluded: the summary for the conditions, status fields, what next."""

    summary: Summary
    fields: dict[str, Any] = field(default_factory=dict)
    requeue: Requeue = DONE
    result: str = ""
    """The metrics label; the health's name when empty."""
    announce_stall: bool = True


def observed_fields(group: ContainerGroupOut) -> dict[str, Any]:
    """The status fields that show what ECI reports of the instance."""
    containers = [container_status(c) for c in group.containers]
    return {
        "containerGroupId": group.container_group_id,
        "phase": group.status or None,
        "intranetIp": group.intranet_ip or None,
        "internetIp": group.internet_ip or None,
        "containers": containers or None,
    }


_TEXT = 128  # ECI's reasons and times are short; anything longer is not one


def container_status(c: ContainerOut) -> dict[str, Any]:
    """One ``status.containers[]`` entry, as a Pod's containerStatuses show it (no ECI message: it
    may quote the container's environment)."""
    entry: dict[str, Any] = {"name": c.name, "ready": c.ready, "restartCount": c.restart_count}
    current = c.current_state
    if current is not None and current.state:
        entry["state"] = current.state[:_TEXT]
        if current.reason:
            entry["reason"] = current.reason[:_TEXT]
        if current.state == "Terminated" and current.exit_code is not None:
            entry["exitCode"] = current.exit_code
    previous = c.previous_state
    if previous is not None and previous.state:
        last: dict[str, Any] = {"state": previous.state[:_TEXT]}
        if previous.reason:
            last["reason"] = previous.reason[:_TEXT]
        if previous.exit_code is not None:
            last["exitCode"] = previous.exit_code
        if previous.finish_time:
            last["finishedAt"] = previous.finish_time[:_TEXT]
        entry["lastState"] = last
    return entry


def _plan_status(plan: Plan, reason: str | None = None) -> dict[str, Any] | None:
    shown = plan.status(reason)
    return None if shown is None else shown.to_dict()


class Reconciler:
    def __init__(
        self,
        *,
        kube: Kube,
        cloud: Cloud,
        observer: Observer,
        recorder: Recorder,
        finalizer: Finalizer,
        metrics: Metrics,
        settings: OperatorSettings,
    ) -> None:
        self.kube = kube
        self.cloud = cloud
        self.observer = observer
        self.recorder = recorder
        self.finalizer = finalizer
        self.metrics = metrics
        self.settings = settings

    # -- entry point ------------------------------------------------------------------------

    async def reconcile(
        self, memory: ObjectMemory, failures: int = 0, refusal: tuple[Reason, str] | None = None
    ) -> Requeue:
        """One reconcile. With a ``refusal`` (the EciAccount it names may not be used) no ECI call is
        made: the object is Stalled with that reason, re-checked at the resync interval."""
        started = time.monotonic()
        result = "error"
        try:
            if memory.meta.get("deletionTimestamp"):
                if refusal is not None:
                    requeue, result = await self._refused_deletion(memory, refusal)
                    return requeue
                requeue = await self.finalizer.finalize(memory, failures)
                result = "deleting" if requeue.after is not None or requeue.failed else "deleted"
                return requeue
            if refusal is not None:
                outcome = _stalled(*refusal, recheck=self.settings.reconcile.resync_interval)
            else:
                outcome = await self._reconcile(memory, failures)
                if self.cloud.account:
                    outcome.fields["account"] = self.cloud.account  # whose keys and quota it uses
            await self.recorder.status(
                memory, outcome.summary, outcome.fields, announce_stall=outcome.announce_stall
            )
            result = outcome.result or outcome.summary.health.value.lower()
            return self._pace(memory, outcome.requeue)
        except KubeConflict:
            result = "conflict"  # a newer version of the object is on its way through the watch
            return Requeue(after=1.0)
        except KubeError as exc:
            logger.warning("Kubernetes API error for %s: %s", memory.name, exc)
            return FAILED
        finally:
            self.metrics.reconciles.labels(result=result).inc()
            self.metrics.reconcile_seconds.observe(time.monotonic() - started)

    async def _refused_deletion(
        self, memory: ObjectMemory, refusal: tuple[Reason, str]
    ) -> tuple[Requeue, str]:
        """Deleting, with an account that may not be used: nothing was ever created for an object that
        recorded no instance, so the finalizer goes; otherwise the deletion waits for the account."""
        if recorded_id(memory) is None and not memory.created_ids:
            await self.kube.remove_finalizer(memory.body, FINALIZER)
            self.metrics.kube_writes.labels(kind="finalizer").inc()
            return DONE, "deleted"
        reason, message = refusal
        await self.recorder.status(
            memory, Summary(Health.STALLED, Reason.DELETION_BLOCKED, f"{reason}: {message}"), {}
        )
        return Requeue(after=self.settings.reconcile.resync_interval), "deleting"

    def _pace(self, memory: ObjectMemory, requeue: Requeue) -> Requeue:
        """Polls of a transition slow down (x1.5 each, up to the resync interval): a group that
        stays Scheduling for minutes must not cost a Describe every couple of seconds."""
        poll = self.settings.reconcile.poll_interval
        if requeue.failed or requeue.after != poll:
            memory.polls = 0
            return requeue
        memory.polls += 1
        cap = max(poll, self.settings.reconcile.resync_interval)
        return Requeue(after=min(poll * 1.5 ** (memory.polls - 1), cap))

    async def _reconcile(self, memory: ObjectMemory, failures: int) -> Outcome:
        if FINALIZER not in (memory.meta.get("finalizers") or []):
            patched = await self.kube.add_finalizer(memory.body, FINALIZER)
            self.metrics.kube_writes.labels(kind="finalizer").inc()
            if patched is not None:
                memory.body = patched
        namespace, name = memory.key
        owner = Owner(self.settings.cluster_id, namespace, name, memory.uid)
        try:
            intent = await self._intent(memory, owner)
        except SpecError as exc:
            if exc.missing:
                return self._missing_reference(memory, exc)
            memory.missing_since = None
            return _stalled(Reason.INVALID_SPEC, str(exc))
        memory.missing_since = None
        if memory.scrubbed_inputs != intent.inputs_hash:
            secrets = secret_values(flatten(intent.create)) - intent.public_values
            memory.scrubber = Scrubber(secrets)
            memory.scrubbed_inputs = intent.inputs_hash
        try:
            credentials = await self.cloud.credentials_fingerprint()
        except CredentialsError as exc:
            # A cause that may pass on its own (STS unreachable) is looked at again as soon as a
            # rotated Secret would be; one that needs a person, at the sweep.
            reconcile = self.settings.reconcile
            recheck = reconcile.resync_interval
            if exc.retryable:
                recheck = min(reconcile.secret_recheck, recheck)
            return _stalled(Reason.NO_CREDENTIALS, str(exc), recheck=recheck)
        inputs = (memory.generation, intent.inputs_hash, credentials)
        if memory.stalled_on == inputs:
            # The inputs that failed for good have not changed (spec, referenced objects,
            # credentials): do not send them again, and leave status as it is.
            return Outcome(_current_stall(memory), result="stalled", announce_stall=False)
        memory.stalled_on = None
        try:
            observation = await self.observer.observe(
                memory, owner, intent.region, intent.spec.container_group_id
            )
            if isinstance(observation, Present) and observation.claim.may_write:
                self.observer.batched.track(
                    memory.key, self.cloud.scope(intent.region), observation.group.container_group_id
                )
                memory.phase = observation.group.status
                if not observation.recorded:
                    await self._record_found(memory, observation.group)
            decision = decide(intent, observation, self._facts(memory))
            group = observation.group if isinstance(observation, Present) else None
            outcome = await self._act(memory, intent, group, decision)
        except EciError as exc:
            return await self._eci_failure(memory, exc, inputs, failures)
        await self._ignored(memory, intent, outcome)
        return outcome

    async def _ignored(self, memory: ObjectMemory, intent: Intent, outcome: Outcome) -> None:
        """Say which fields the instance runs without: in status, in an Event when the list changes,
        and in a Ready message (Ready is true of the spec minus those fields, and says so)."""
        ignored = [{"field": p.field, "reason": p.message} for p in intent.desired.ignored]
        outcome.fields["ignoredFields"] = ignored or None
        if not ignored:
            return
        names = ", ".join(i["field"] for i in ignored)
        if outcome.summary.health is Health.READY:
            summary = outcome.summary
            outcome.summary = Summary(
                summary.health,
                summary.reason,
                f"{summary.message}, without {len(ignored)} field(s) ECI cannot enforce "
                f"(unenforceableFields: Ignore): {names}",
            )
        if memory.status.get("ignoredFields") != ignored:
            await self.recorder.event(
                memory,
                Reason.FIELDS_IGNORED,
                f"the instance runs without {len(ignored)} field(s) ECI cannot enforce: {names}",
                warning=True,
            )

    async def _intent(self, memory: ObjectMemory, owner: Owner) -> Intent:
        group = parse(memory.body)
        try:
            resolved = await resolve(self.kube, owner.namespace, references_of(group))
        except ValueError as exc:  # a name no API path can hold (the schema refuses these first)
            raise SpecError(str(exc)) from None
        return build_intent(group, owner, resolved)

    def _facts(self, memory: ObjectMemory) -> Facts:
        return Facts(
            generation=memory.generation,
            status=memory.status,
            updates_sent=dict(memory.update_attempts),
            reported_drift=memory.reported_drift,
            restart_requested=restart_requested(memory),
        )

    async def _record_found(self, memory: ObjectMemory, group: ContainerGroupOut) -> None:
        """An instance found by tag or adopted: record its ID before anything else can fail."""
        gid = group.container_group_id
        await self.recorder.status(
            memory,
            Summary(Health.PROGRESSING, Reason.CREATING, f"managing instance {gid}"),
            {"containerGroupId": gid},
        )
        await self.recorder.event(memory, Reason.ADOPTED, f"managing instance {gid}")

    def _missing_reference(self, memory: ObjectMemory, exc: SpecError) -> Outcome:
        now = time.monotonic()
        if memory.missing_since is None:
            memory.missing_since = now
        grace = self.settings.reconcile.reference_grace
        if now - memory.missing_since < grace:
            return Outcome(
                Summary(
                    Health.PROGRESSING,
                    Reason.WAITING_FOR_REFERENCE,
                    f"{exc}; waiting up to {grace:g}s for it to be created",
                ),
                requeue=FAILED,  # short, growing backoff while it may still appear
                result="waiting",
            )
        # Secrets are not watched: look again at the resync cadence (Kubernetes reads only).
        return _stalled(Reason.MISSING_REFERENCE, str(exc), recheck=self.settings.reconcile.resync_interval)

    # -- acting on a decision ----------------------------------------------------------------

    async def _act(
        self, memory: ObjectMemory, intent: Intent, group: ContainerGroupOut | None, decision: Decision
    ) -> Outcome:
        """Execute ``decision``; ``group`` is the observed instance, when there is one."""
        if not isinstance(decision, decisions.Blocked | decisions.ReportDrift):
            memory.reported_drift = ()
        observed = observed_fields(group) if group is not None else {}
        match decision:
            case decisions.Create():
                return await self._create(memory, intent, decision)
            case decisions.Update():
                assert group is not None
                return await self._update(memory, intent, group, decision)
            case decisions.Replace():
                assert group is not None
                return await self._replace(memory, intent, group, decision)
            case decisions.Restart():
                return await self._restart(memory, intent, decision)
            case decisions.FinishReplace():
                return await self._finish_replace(memory, intent, decision)
            case decisions.Settled():
                return self._settled(memory, intent, decision)
            case decisions.Wait():
                return self._wait(observed, decision)
            case decisions.Blocked():
                return self._blocked(memory, observed, decision)
            case decisions.ReportDrift():
                return await self._report_drift(memory, observed, decision)
        raise AssertionError(f"unknown decision {decision!r}")

    async def _create(self, memory: ObjectMemory, intent: Intent, decision: decisions.Create) -> Outcome:
        owner = intent.owner
        if decision.lost:
            await self.recorder.event(
                memory,
                Reason.INSTANCE_LOST,
                f"instance {decision.lost} is gone (confirmed by direct reads); creating a new one",
                warning=True,
            )
        request = memory.pending_create or intent.create.model_copy(
            update={"client_token": create_token(owner.uid, memory.generation, decision.lost or "")}
        )
        gid = await self._send_create(memory, intent, request)
        memory.last_write = time.monotonic()
        memory.absences.clear()
        self.observer.batched.track(memory.key, self.cloud.scope(intent.region), gid)
        self.observer.batched.invalidate(gid)
        summary = Summary(Health.PROGRESSING, Reason.CREATING, f"instance {gid} is being created")
        fields = {
            "containerGroupId": gid,
            "appliedFingerprints": intent.fingerprints or None,
            "plan": None,
            "restartedAt": restart_requested(memory),  # a new instance is as good as restarted
        }
        await self.recorder.status(memory, summary, fields)  # record the ID before anything can fail
        await self.recorder.event(memory, Reason.CREATED, f"created ECI instance {gid} in {intent.region}")
        return Outcome(summary, fields, Requeue(after=self.settings.reconcile.poll_interval), "created")

    async def _update(
        self, memory: ObjectMemory, intent: Intent, group: ContainerGroupOut, decision: decisions.Update
    ) -> Outcome:
        plan = decision.plan
        gid = group.container_group_id
        names = ", ".join(plan.groups)
        if decision.drift:
            await self._drift_found(memory, plan, "enforced", "correcting")
        assert plan.update is not None
        request = plan.update.model_copy(
            update={
                "container_group_id": gid,
                "client_token": update_token(intent.owner.uid, plan.digest, memory.observed_at),
            }
        )
        changed = await self.cloud.update(request, public=intent.public_values)
        memory.update_attempts[plan.digest] = memory.update_attempts.get(plan.digest, 0) + 1
        memory.last_write = time.monotonic()
        self.observer.batched.invalidate(gid)
        impact = plan.impact.value if plan.impact else ""
        if changed:
            how = {"NoRestart": "without restart", "Restart": "restarting the containers"}.get(impact, impact)
            await self.recorder.event(memory, Reason.UPDATED, f"updated {names}, {how}")
        fingerprints = intent.fingerprints or None
        return Outcome(
            Summary(Health.PROGRESSING, Reason.UPDATING, f"updating {names} ({impact})"),
            {
                **observed_fields(group),
                "plan": _plan_status(plan),
                "appliedFingerprints": fingerprints,
                "drift": None,
            },
            Requeue(after=self.settings.reconcile.poll_interval),
            "updated",
        )

    async def _send_create(
        self, memory: ObjectMemory, intent: Intent, request: CreateContainerGroupRequest
    ) -> str:
        """Send a Create and remember it until ECI answers: an unanswered one may have made an
        instance that ECI's reads do not list yet (see ``ObjectMemory.pending_create``)."""
        memory.create_sent = True
        memory.pending_create = request
        try:
            gid = await self.cloud.create(request, public=intent.public_values)
        except EciError as exc:
            if is_terminal(exc) or isinstance(exc, CircuitOpenError):
                memory.pending_create = None  # refused for good, or never sent: nothing was made
            raise
        memory.pending_create = None
        memory.created_ids.append(gid)
        return gid

    async def _replace(
        self, memory: ObjectMemory, intent: Intent, group: ContainerGroupOut, decision: decisions.Replace
    ) -> Outcome:
        plan = decision.plan
        old = group.container_group_id
        request = intent.create.model_copy(
            update={"client_token": replace_token(intent.owner.uid, old, plan.digest)}
        )
        new = await self._send_create(memory, intent, request)
        memory.last_write = time.monotonic()
        self.observer.batched.track(memory.key, self.cloud.scope(intent.region), new)
        reason = f"replacing {old} by {new}"
        fields = {
            "containerGroupId": new,
            "plan": _plan_status(plan, reason),
            "appliedFingerprints": intent.fingerprints or None,
            "restartedAt": restart_requested(memory),
        }
        summary = Summary(Health.PROGRESSING, Reason.REPLACING, reason)
        await self.recorder.status(memory, summary, fields)
        await self.recorder.event(
            memory, Reason.REPLACING, f"created {new} to replace {old} ({', '.join(plan.groups)})"
        )
        return Outcome(summary, fields, Requeue(after=self.settings.reconcile.poll_interval), "replacing")

    async def _restart(self, memory: ObjectMemory, intent: Intent, decision: decisions.Restart) -> Outcome:
        gid, requested = decision.group.container_group_id, decision.requested
        await self.cloud.restart(intent.region, gid, restart_token(intent.owner.uid, requested))
        memory.last_write = time.monotonic()
        self.observer.batched.invalidate(gid)
        message = f"restarted instance {gid} ({RESTART_ANNOTATION}: {requested})"
        # ECI moves the instance to Restarting on accepting the call; the observation predates it.
        fields = {**observed_fields(decision.group), "phase": "Restarting", "restartedAt": requested}
        summary = Summary(Health.PROGRESSING, Reason.INSTANCE_RESTARTING, message)
        await self.recorder.status(memory, summary, fields)  # recorded before anything else can fail
        await self.recorder.event(memory, Reason.RESTARTED, message)
        return Outcome(summary, fields, Requeue(after=self.settings.reconcile.poll_interval), "restarted")

    async def _finish_replace(
        self, memory: ObjectMemory, intent: Intent, decision: decisions.FinishReplace
    ) -> Outcome:
        current = decision.group
        owned = await self.cloud.find_owned(intent.region, intent.owner.uid)
        leftovers = [g for g in owned if g.container_group_id != current.container_group_id]
        for old in leftovers:
            if old.status == "Terminating" or old.container_group_id in memory.deleted:
                continue  # already being deleted; wait until it is gone
            gid = old.container_group_id
            if await self.cloud.delete(intent.region, gid, delete_token(intent.owner.uid, gid)):
                memory.deleted.add(gid)
            await self.recorder.event(
                memory, Reason.REPLACED, f"deleted {gid}, replaced by {current.container_group_id}"
            )
        if leftovers:
            return Outcome(
                Summary(Health.PROGRESSING, Reason.REPLACING, "deleting the replaced instance"),
                observed_fields(current),
                Requeue(after=self.settings.reconcile.poll_interval),
            )
        memory.update_attempts.clear()
        return self._settled(
            memory,
            intent,
            decisions.Settled(
                current,
                Health.READY,
                Reason.RUNNING,
                f"instance {current.container_group_id} is {current.status} and matches the spec",
            ),
        )

    def _settled(self, memory: ObjectMemory, intent: Intent, decision: decisions.Settled) -> Outcome:
        memory.update_attempts.clear()
        settings = self.settings.reconcile
        if decision.health is Health.PROGRESSING:
            requeue = Requeue(after=settings.poll_interval)
        elif intent.reads_secrets and settings.secret_recheck < settings.resync_interval:
            requeue = Requeue(after=settings.secret_recheck)  # Secrets are not watched
        else:
            requeue = DONE
        return Outcome(
            Summary(decision.health, decision.reason, decision.message),
            {
                **observed_fields(decision.group),
                "plan": None,
                "drift": None,
                "appliedFingerprints": intent.fingerprints or None,
            },
            requeue,
        )

    def _wait(self, observed: dict[str, Any], decision: decisions.Wait) -> Outcome:
        fields = dict(observed)
        if not decision.keep_plan:
            fields["plan"] = None if decision.plan is None else _plan_status(decision.plan, decision.message)
        delay = self.settings.reconcile.poll_interval if decision.delay is None else decision.delay
        return Outcome(
            Summary(Health.PROGRESSING, decision.reason, decision.message), fields, Requeue(after=delay)
        )

    def _blocked(
        self, memory: ObjectMemory, observed: dict[str, Any], decision: decisions.Blocked
    ) -> Outcome:
        fields = dict(observed)
        if decision.plan is not None:
            fields["plan"] = _plan_status(decision.plan, decision.message)
            fields["drift"] = (
                [c.summary().to_dict() for c in decision.plan.changes] if decision.drift else None
            )
        if decision.forget_instance:
            fields = {"containerGroupId": None, "phase": None, "intranetIp": None, "internetIp": None}
            self.observer.batched.untrack(memory.key)
        recheck = self.settings.reconcile.resync_interval if decision.recheck else None
        return _stalled(decision.reason, decision.message, fields=fields, recheck=recheck, result="blocked")

    async def _drift_found(self, memory: ObjectMemory, plan: Plan, action: str, outcome: str) -> None:
        """Count and announce drift (the instance changed outside the spec) and what is done about it."""
        self.metrics.drift.labels(action=action).inc()
        await self.recorder.event(
            memory,
            Reason.DRIFT_DETECTED,
            f"instance differs from spec in {', '.join(plan.groups)}; {outcome}",
            warning=True,
        )

    async def _report_drift(
        self, memory: ObjectMemory, observed: dict[str, Any], decision: decisions.ReportDrift
    ) -> Outcome:
        names = ", ".join(decision.plan.groups)
        if decision.new:
            memory.reported_drift = tuple(decision.plan.groups)
            await self._drift_found(memory, decision.plan, "reported", "driftPolicy Report leaves it")
        return Outcome(
            Summary(
                Health.READY,
                Reason.DRIFT_REPORTED,
                f"instance differs from spec in {names} (driftPolicy Report)",
            ),
            {
                **observed,
                "drift": [c.summary().to_dict() for c in decision.plan.changes],
                "plan": None,
            },
            result="drift-reported",
        )

    # -- errors -----------------------------------------------------------------------------

    async def _eci_failure(
        self, memory: ObjectMemory, exc: EciError, inputs: tuple[int, str, str], failures: int
    ) -> Outcome:
        text = f"{exc.code or type(exc).__name__}: {exc.message}"
        if isinstance(exc, IncorrectStatusError):
            return Outcome(
                Summary(
                    Health.PROGRESSING, Reason.WAITING_FOR_INSTANCE, f"ECI says the instance is busy ({text})"
                ),
                requeue=Requeue(after=self.settings.reconcile.poll_interval, failed=True),
            )
        if is_terminal(exc):
            memory.stalled_on = inputs
            await self.recorder.event(memory, Reason.FAILED, f"ECI refused the request: {text}", warning=True)
            reason = Reason.AUTH_FAILED if isinstance(exc, AuthError) else Reason.ECI_REJECTED
            outcome = _stalled(reason, f"ECI refused the request: {text}")
            outcome.announce_stall = False
            return outcome
        if isinstance(exc, CircuitOpenError):
            # Nothing was sent. Come back when a probe is due (whoever calls first probes); when
            # the endpoint answers again the controller retries everything at once anyway.
            return Outcome(
                Summary(Health.PROGRESSING, Reason.RETRYING, f"ECI is not answering; {exc.message}"),
                requeue=Requeue(after=exc.retry_after, failed=True),
                result="retry",
            )
        if failures == 0:  # one Event per streak of failures, not one per retry
            await self.recorder.event(memory, Reason.RETRYING, f"{text}; retrying with backoff", warning=True)
        return Outcome(
            Summary(Health.PROGRESSING, Reason.RETRYING, f"{text}; retrying with backoff"),
            requeue=FAILED,
            result="retry",
        )


def restart_requested(memory: ObjectMemory) -> str | None:
    """The restartedAt annotation, when it holds a value (anything else is no request)."""
    value = (memory.meta.get("annotations") or {}).get(RESTART_ANNOTATION)
    return value.strip() or None if isinstance(value, str) else None


def _stalled(
    reason: Reason,
    message: str,
    *,
    fields: dict[str, Any] | None = None,
    recheck: float | None = None,
    result: str = "stalled",
) -> Outcome:
    return Outcome(
        Summary(Health.STALLED, reason, message),
        fields or {},
        DONE if recheck is None else Requeue(after=recheck),
        result,
    )


def _current_stall(memory: ObjectMemory) -> Summary:
    for condition in memory.status.get("conditions") or []:
        if condition.get("type") == "Stalled" and condition.get("status") == "True":
            try:
                reason = Reason(str(condition.get("reason")))
            except ValueError:
                reason = Reason.ECI_REJECTED
            return Summary(Health.STALLED, reason, str(condition.get("message") or ""))
    return Summary(Health.STALLED, Reason.ECI_REJECTED, "")
