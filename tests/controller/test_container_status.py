"""status.containers[] and Ready as a Pod's: every container ready, or why not; a failed instance
says why."""

from __future__ import annotations

from typing import Any

from eci_operator.api.containergroup import ContainerGroupStatus
from eci_operator.controller import decide as d
from eci_operator.controller.conditions import Health
from eci_operator.controller.reasons import Reason
from eci_operator.controller.reconciler import observed_fields
from eci_operator.eci.models import ContainerGroupOut, ContainerOut, ContainerStateOut
from tests.controller.test_decide import BASE, instance, present, ready_status

OOM = ContainerStateOut(
    state="Terminated", reason="OOMKilled", exit_code=137, finish_time="2026-12-02T05:00:00Z"
)


def with_container(group: ContainerGroupOut, **state: Any) -> ContainerGroupOut:
    [first] = group.containers
    return group.model_copy(update={"containers": [first.model_copy(update=state)]})


def decide(group: ContainerGroupOut) -> d.Decision:
    return d.decide(BASE, present(group), d.Facts(1, ready_status(BASE), {}))


def test_a_running_instance_with_a_container_not_ready_is_not_ready() -> None:
    crashing = with_container(
        instance(BASE),
        ready=False,
        restart_count=3,
        current_state=ContainerStateOut(state="Waiting", reason="CrashLoopBackOff"),
        previous_state=OOM,
    )
    decision = decide(crashing)
    assert isinstance(decision, d.Settled)
    assert (decision.health, decision.reason) == (Health.PROGRESSING, Reason.CONTAINERS_NOT_READY)
    assert "web: CrashLoopBackOff, last run OOMKilled (exit 137), 3 restarts" in decision.message
    ready = with_container(instance(BASE), ready=True, current_state=ContainerStateOut(state="Running"))
    assert (decide(ready).health, decide(ready).reason) == (Health.READY, Reason.RUNNING)  # type: ignore[union-attr]


def test_a_failed_instance_says_why() -> None:
    failed = with_container(instance(BASE, status="Failed"), ready=False, current_state=OOM, restart_count=0)
    decision = decide(failed)
    assert isinstance(decision, d.Settled) and decision.health is Health.STALLED
    assert decision.message.endswith("is Failed: web: OOMKilled (exit 137)")
    pulling = with_container(
        instance(BASE, status="Failed"),
        ready=False,
        current_state=ContainerStateOut(state="Waiting", reason="ErrImagePull"),
    )
    assert decide(pulling).message.endswith("web: ErrImagePull")  # type: ignore[union-attr]


def test_status_containers_carry_state_last_state_and_exit_codes() -> None:
    group = instance(BASE).model_copy(
        update={
            "containers": [
                ContainerOut(
                    name="web",
                    ready=False,
                    restart_count=2,
                    current_state=ContainerStateOut(state="Waiting", reason="CrashLoopBackOff", message="x"),
                    previous_state=OOM,
                ),
                ContainerOut(
                    name="done",
                    current_state=ContainerStateOut(state="Terminated", reason="Error", exit_code=2),
                ),
            ]
        }
    )
    fields = observed_fields(group)
    assert fields["containers"] == [
        {
            "name": "web",
            "ready": False,
            "restartCount": 2,
            "state": "Waiting",
            "reason": "CrashLoopBackOff",
            "lastState": {
                "state": "Terminated",
                "reason": "OOMKilled",
                "exitCode": 137,
                "finishedAt": "2026-12-02T05:00:00Z",
            },
        },
        {
            "name": "done",
            "ready": False,
            "restartCount": 0,
            "state": "Terminated",
            "reason": "Error",
            "exitCode": 2,
        },
    ]
    ContainerGroupStatus.model_validate({"containers": fields["containers"]})  # the CRD's model takes it
