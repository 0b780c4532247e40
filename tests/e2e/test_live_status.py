"""Live status at the default feed settings: what happens on ECI reaches the ContainerGroup's
status and Events within 10 s of the change; a tag changed out of band is corrected at the sweep.

Each failure is made through the emulator's admin API, as from the console, and each wait is
bounded by 10 s measured from that change (ECI's status feed is read every 5 s, with a 5 s
overlap; the reconcile that follows reads the instance in a batched Describe).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.cluster import Cluster, condition, is_ready
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

LIVE = 10.0
DEFAULT_SWEEP = 600.0


def container(body: dict[str, Any]) -> dict[str, Any]:
    [entry] = (body.get("status") or {}).get("containers") or [{}]
    return dict(entry)


def has_event(cluster: Cluster, name: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(_: dict[str, Any]) -> bool:
        return any(e["reason"] == reason and e["type"] == "Warning" for e in cluster.events(name))

    return check


def both(*checks: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda body: all(check(body) for check in checks)


def test_failures_reach_status_and_events_within_10_seconds(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, resync=DEFAULT_SWEEP)
    cluster.create(container_group("live"))
    body = cluster.wait("live", is_ready, timeout=60)
    gid = body["status"]["containerGroupId"]

    # A container restart: restart count, how the last run ended, an Event.
    emulator.patch(
        gid,
        {
            "Containers": [
                {
                    "Name": "web",
                    "RestartCount": 1,
                    "LastTerminationState": {"State": "Terminated", "Reason": "Error", "ExitCode": 1},
                }
            ]
        },
    )
    body = cluster.wait(
        "live",
        both(
            lambda b: (
                container(b).get("restartCount") == 1
                and container(b).get("lastState", {}).get("exitCode") == 1
            ),
            has_event(cluster, "live", "Restarted"),
        ),
        timeout=LIVE,
    )
    assert is_ready(body)

    # An OOM kill, the container crash-looping: not ready, and why.
    emulator.patch(
        gid,
        {
            "Containers": [
                {
                    "Name": "web",
                    "RestartCount": 2,
                    "Ready": False,
                    "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"},
                    "LastTerminationState": {"State": "Terminated", "Reason": "OOMKilled", "ExitCode": 137},
                }
            ]
        },
    )
    body = cluster.wait(
        "live",
        both(
            lambda b: (
                container(b).get("lastState", {}).get("reason") == "OOMKilled"
                and condition(b, "Ready").get("reason") == "ContainersNotReady"
            ),
            has_event(cluster, "live", "OOMKilled"),
        ),
        timeout=LIVE,
    )
    assert container(body)["reason"] == "CrashLoopBackOff" and container(body)["lastState"]["exitCode"] == 137
    assert "OOMKilled" in condition(body, "Ready")["message"]

    # Killed again: the same Event, its count raised (as the Kubernetes event recorder does).
    emulator.patch(
        gid, {"Containers": [{"Name": "web", "RestartCount": 3, "CurrentState": {"State": "Running"}}]}
    )
    emulator.patch(
        gid,
        {
            "Containers": [
                {
                    "Name": "web",
                    "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"},
                    "LastTerminationState": {
                        "State": "Terminated",
                        "Reason": "OOMKilled",
                        "ExitCode": 137,
                        "FinishTime": "2",
                    },
                }
            ]
        },
    )
    cluster.wait(
        "live",
        lambda _: [e.get("count") for e in cluster.events("live") if e["reason"] == "OOMKilled"] == [2],
        timeout=LIVE,
    )

    # An image that cannot be pulled.
    emulator.patch(
        gid,
        {
            "Containers": [
                {
                    "Name": "web",
                    "CurrentState": {"State": "Waiting", "Reason": "ErrImagePull", "Message": "not found"},
                }
            ]
        },
    )
    cluster.wait(
        "live",
        both(lambda b: container(b).get("reason") == "ErrImagePull", has_event(cluster, "live", "Failed")),
        timeout=LIVE,
    )

    # The instance fails: Stalled, saying why.
    emulator.patch(
        gid,
        {
            "Status": "Failed",
            "Containers": [
                {"Name": "web", "CurrentState": {"State": "Terminated", "Reason": "Error", "ExitCode": 3}}
            ],
        },
    )
    body = cluster.wait(
        "live",
        both(
            lambda b: condition(b, "Stalled").get("status") == "True",
            has_event(cluster, "live", "ContainerGroupFailed"),
        ),
        timeout=LIVE,
    )
    assert condition(body, "Stalled")["reason"] == "InstanceFailed"
    assert "web: Error (exit 3)" in condition(body, "Stalled")["message"]
    oom = [e for e in cluster.events("live") if e["reason"] == "OOMKilled"]
    assert [e["count"] for e in oom] == [2], "read by overlapping windows, counted once per kill"


def test_a_tag_changed_out_of_band_is_corrected_at_the_sweep(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, resync=3.0)
    cluster.create(container_group("tagged"))
    body = cluster.wait("tagged", is_ready, timeout=60)
    gid = body["status"]["containerGroupId"]
    tags = emulator.instance(gid)["Tags"]
    emulator.patch(
        gid, {"Tags": [t if t["Key"] != "team" else {"Key": "team", "Value": "other"} for t in tags]}
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        team = {t["Key"]: t["Value"] for t in emulator.instance(gid)["Tags"]}.get("team")
        if team == "shop":
            break
        time.sleep(0.2)
    assert team == "shop", "the sweep found the tag drift, which changes no status, and corrected it"
