"""The decision step, pure and table-driven: what the controller does for each observation and policy.

No server and no clock: an intent built from a manifest, an observation built from a Describe answer
(``tests.translate.describe``, written independently of the normaliser), and the facts from status.
"""

from __future__ import annotations

from typing import Any

import pytest

from eci_operator.controller import decide as d
from eci_operator.controller.claims import Claim, Ownership
from eci_operator.controller.conditions import Health
from eci_operator.controller.intent import Intent, build_intent, parse
from eci_operator.controller.observation import Gone, Missing, NoInstance, Present, Unproven
from eci_operator.controller.reasons import Reason
from eci_operator.controller.resolving import Resolved
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.translate import Owner, fingerprints
from tests.support.manifests import container_group
from tests.translate.describe import describe

OWNER = Owner("test", "default", "web", "uid-1")
GID = "eci-bp1test000000000001"


def intent_of(**spec: Any) -> Intent:
    body = container_group(namespace="default", **spec)
    body["metadata"]["uid"] = OWNER.uid
    return build_intent(parse(body), OWNER, Resolved("default", {}, {}))


def instance(intent: Intent, *, status: str = "Running", **changes: Any) -> ContainerGroupOut:
    group = describe(intent.create, container_group_id=GID, status=status)
    return group.model_copy(update=changes)


def present(group: ContainerGroupOut, claim: Claim = Claim.OURS, holder: Owner | None = None) -> Present:
    return Present(group, Ownership(claim, holder), recorded=True)


def ready_status(intent: Intent, generation: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "observedGeneration": generation,
        "containerGroupId": GID,
        "appliedFingerprints": fingerprints(intent.desired).to_dict(),
        "conditions": [{"type": "Ready", "status": "True"}],
        **extra,
    }


BASE = intent_of()
EDITED = intent_of(containers=[{"name": "web", "image": "nginx:1.28", "ports": [{"containerPort": 80}]}])


def test_nothing_recorded_and_nothing_found_creates() -> None:
    decision = d.decide(BASE, NoInstance(), d.Facts(1, {}, {}))
    assert decision == d.Create(lost=None)


def test_a_missing_instance_is_not_recreated_until_proven_gone() -> None:
    decision = d.decide(BASE, Missing(GID, since=0.0, recheck=10.0), d.Facts(1, ready_status(BASE), {}))
    assert isinstance(decision, d.Wait)
    assert decision.reason is Reason.CONFIRMING_LOSS and decision.delay == 10.0


def test_an_unproven_absence_waits_instead_of_creating() -> None:
    decision = d.decide(BASE, Unproven(since=0.0, recheck=20.0), d.Facts(1, {}, {}))
    assert isinstance(decision, d.Wait) and decision.reason is Reason.CONFIRMING_ABSENCE
    assert decision.delay == 20.0


def test_an_instance_proven_gone_is_recreated_with_its_id_in_the_token() -> None:
    assert d.decide(BASE, Gone(GID), d.Facts(1, ready_status(BASE), {})) == d.Create(lost=GID)


def test_an_adoption_target_that_does_not_exist_is_never_replaced_by_a_new_instance() -> None:
    adopting = intent_of(containerGroupId=GID)
    for observation in (Gone(GID), NoInstance()):
        decision = d.decide(adopting, observation, d.Facts(1, {}, {}))
        assert isinstance(decision, d.Blocked) and decision.reason is Reason.ADOPTION_TARGET_NOT_FOUND


@pytest.mark.parametrize(
    ("claim", "reason", "forget"),
    [
        (Claim.FOREIGN, Reason.OWNED_BY_ANOTHER, True),
        (Claim.UNCLAIMED, Reason.OWNED_BY_ANOTHER, True),
        (Claim.NOT_ALLOWED, Reason.ADOPTION_NOT_ALLOWED, False),
    ],
)
def test_an_instance_we_may_not_touch_is_never_written(claim: Claim, reason: Reason, forget: bool) -> None:
    holder = Owner("test", "other", "victim", "uid-2") if claim is Claim.FOREIGN else None
    # Even with a plan that differs wildly: nothing but Blocked may come out.
    group = instance(BASE, cpu=64.0, memory=512.0)
    decision = d.decide(EDITED, present(group, claim, holder), d.Facts(1, ready_status(BASE), {}))
    assert isinstance(decision, d.Blocked)
    assert decision.reason is reason and decision.forget_instance is forget
    if holder is not None:
        assert "other/victim" in decision.message


def test_in_sync_and_running_is_ready() -> None:
    decision = d.decide(BASE, present(instance(BASE)), d.Facts(1, ready_status(BASE), {}))
    assert isinstance(decision, d.Settled)
    assert (decision.health, decision.reason) == (Health.READY, Reason.RUNNING)


def test_a_failed_instance_in_sync_is_stalled_with_its_reason() -> None:
    decision = d.decide(BASE, present(instance(BASE, status="Failed")), d.Facts(1, ready_status(BASE), {}))
    assert isinstance(decision, d.Settled)
    assert (decision.health, decision.reason) == (Health.STALLED, Reason.INSTANCE_FAILED)


@pytest.mark.parametrize("phase", ["Scheduling", "Updating", "Restarting", "Terminating"])
def test_busy_instances_are_waited_for_whatever_the_plan(phase: str) -> None:
    decision = d.decide(EDITED, present(instance(BASE, status=phase)), d.Facts(2, ready_status(BASE), {}))
    assert isinstance(decision, d.Wait) and decision.keep_plan


def test_a_spec_edit_updates_and_is_not_drift() -> None:
    decision = d.decide(EDITED, present(instance(BASE)), d.Facts(2, ready_status(BASE, generation=1), {}))
    assert isinstance(decision, d.Update) and not decision.drift
    assert decision.plan.groups == ["Container"]


def test_an_out_of_band_change_is_drift_and_report_leaves_it() -> None:
    drifted = instance(BASE)
    drifted.containers[0].image = "evil:latest"
    enforce = d.decide(BASE, present(drifted), d.Facts(1, ready_status(BASE), {}))
    assert isinstance(enforce, d.Update) and enforce.drift
    report = intent_of(driftPolicy="Report")
    decision = d.decide(report, present(drifted), d.Facts(1, ready_status(report), {}))
    assert isinstance(decision, d.ReportDrift) and decision.new
    again = d.decide(report, present(drifted), d.Facts(1, ready_status(report), {}, ("Container",)))
    assert isinstance(again, d.ReportDrift) and not again.new


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [("InPlaceOnly", False), ("AllowRestart", True), ("AllowReplace", True)],
)
def test_update_policy_gates_a_restarting_change(policy: str, allowed: bool) -> None:
    before = intent_of(updatePolicy=policy)
    after = intent_of(
        updatePolicy=policy,
        containers=[{"name": "web", "image": "nginx:1.28", "ports": [{"containerPort": 80}]}],
    )
    decision = d.decide(after, present(instance(before)), d.Facts(2, ready_status(before), {}))
    if allowed:
        assert isinstance(decision, d.Update)
    else:
        assert isinstance(decision, d.Blocked) and decision.reason is Reason.UPDATE_BLOCKED
        assert decision.plan is not None and "InPlaceOnly" in decision.message


def test_a_replacing_change_needs_allow_replace() -> None:
    before = intent_of(updatePolicy="AllowReplace")
    after = intent_of(updatePolicy="AllowReplace", cpu=2, memory=4)
    decision = d.decide(after, present(instance(before)), d.Facts(2, ready_status(before), {}))
    assert isinstance(decision, d.Replace)
    restart_only = intent_of(cpu=2, memory=4)
    blocked = d.decide(restart_only, present(instance(BASE)), d.Facts(2, ready_status(BASE), {}))
    assert isinstance(blocked, d.Blocked) and blocked.reason is Reason.UPDATE_BLOCKED


def test_an_update_eci_accepted_twice_without_effect_is_not_sent_a_third_time() -> None:
    group = instance(BASE)
    first = d.decide(EDITED, present(group), d.Facts(2, ready_status(BASE), {}))
    assert isinstance(first, d.Update)
    decision = d.decide(EDITED, present(group), d.Facts(2, ready_status(BASE), {first.plan.digest: 2}))
    assert isinstance(decision, d.Blocked) and decision.reason is Reason.UPDATE_NOT_APPLIED


@pytest.mark.parametrize("phase", ["Failed", "Succeeded", "Expired"])
def test_an_instance_eci_cannot_update_blocks_the_change(phase: str) -> None:
    decision = d.decide(EDITED, present(instance(BASE, status=phase)), d.Facts(2, ready_status(BASE), {}))
    assert isinstance(decision, d.Blocked) and decision.reason is Reason.INSTANCE_NOT_UPDATABLE


def test_a_replacement_finishes_only_when_the_new_instance_runs() -> None:
    status = ready_status(BASE, plan={"impact": "Replace", "groups": []})
    waiting = d.decide(BASE, present(instance(BASE, status="Pending")), d.Facts(1, status, {}))
    assert isinstance(waiting, d.Wait) and waiting.reason is Reason.REPLACING
    running = d.decide(BASE, present(instance(BASE)), d.Facts(1, status, {}))
    assert isinstance(running, d.FinishReplace)


def test_forged_fingerprints_in_status_are_ignored_not_trusted() -> None:
    status = ready_status(BASE, appliedFingerprints={"imageRegistryCredentialCount": "lots"})
    decision = d.decide(BASE, present(instance(BASE)), d.Facts(1, status, {}))
    assert isinstance(decision, d.Settled | d.Update)  # no exception from a malformed cache


def test_an_unknown_phase_from_the_server_waits_without_a_malformed_reason() -> None:
    decision = d.decide(
        EDITED, present(instance(BASE, status="Weird phase!")), d.Facts(2, ready_status(BASE), {})
    )
    assert isinstance(decision, d.Wait) and decision.reason is Reason.WAITING_FOR_INSTANCE


STAMP = "2026-12-02T05:00:00Z"


@pytest.mark.parametrize("phase", ["Running", "Pending"])
def test_a_new_restarted_at_value_restarts_once(phase: str) -> None:
    group = instance(BASE, status=phase)
    asked = d.Facts(1, ready_status(BASE), {}, restart_requested=STAMP)
    assert d.decide(BASE, present(group), asked) == d.Restart(group, STAMP)
    done = d.Facts(1, ready_status(BASE, restartedAt=STAMP), {}, restart_requested=STAMP)
    assert isinstance(d.decide(BASE, present(group), done), d.Settled)


@pytest.mark.parametrize("phase", ["Restarting", "Updating", "Scheduling"])
def test_a_restart_waits_for_an_instance_eci_can_restart(phase: str) -> None:
    facts = d.Facts(1, ready_status(BASE), {}, restart_requested=STAMP)
    decision = d.decide(BASE, present(instance(BASE, status=phase)), facts)
    assert isinstance(decision, d.Wait)


@pytest.mark.parametrize("phase", ["Failed", "Succeeded", "Expired"])
def test_a_restart_of_a_finished_instance_says_why_it_cannot_happen(phase: str) -> None:
    facts = d.Facts(1, ready_status(BASE), {}, restart_requested=STAMP)
    decision = d.decide(BASE, present(instance(BASE, status=phase)), facts)
    assert isinstance(decision, d.Blocked) and decision.reason is Reason.RESTART_NOT_POSSIBLE
    assert STAMP in decision.message and phase in decision.message
    done = d.Facts(1, ready_status(BASE, restartedAt=STAMP), {}, restart_requested=STAMP)
    assert isinstance(d.decide(BASE, present(instance(BASE, status=phase)), done), d.Settled)


def test_no_restart_of_an_instance_we_may_not_touch() -> None:
    facts = d.Facts(1, ready_status(BASE), {}, restart_requested=STAMP)
    decision = d.decide(BASE, present(instance(BASE), Claim.UNCLAIMED), facts)
    assert isinstance(decision, d.Blocked)
