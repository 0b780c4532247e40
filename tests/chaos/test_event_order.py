"""Watch events of a deleted object that arrive after those of its successor under the same name.

Kopf streams each object uid on its own, so after an apiserver outage the resumed watch can hand
the controller the new object's ADDED before the old one's last MODIFIED or DELETED. Those late
events must neither replace nor forget the new object, or it is never reconciled (found by the
control-plane chaos test: a ContainerGroup re-created during an outage stayed without status).
"""

from __future__ import annotations

import copy
from typing import Any

from eci_operator.controller.cloud import Cloud
from eci_operator.controller.metrics import Metrics
from eci_operator.controller.runtime import Controller, ControllerSettings
from eci_operator.controller.state import ObjectState
from eci_operator.eci.credentials import StaticCredentials
from tests.controller.harness import MemoryKube
from tests.support.manifests import container_group


async def test_late_events_of_a_deleted_namesake_do_not_hide_the_new_object(emulator: Any) -> None:
    kube = MemoryKube()
    metrics = Metrics()
    credentials = StaticCredentials(emulator.access_key_id, emulator.access_key_secret)
    cloud = Cloud(endpoint=emulator.url, credentials=credentials, metrics=metrics)
    controller = Controller(
        kube=kube,  # type: ignore[arg-type]
        cloud=cloud,
        settings=ControllerSettings(cluster_id="test", resync_interval=60, poll_interval=0.2),
        metrics=metrics,
    )
    kube.put(container_group(name="web"))
    old_seen = kube.delete("default", "web")  # its last state, as its late events carry it
    kube.objects.pop(("ContainerGroup", "default", "web"))
    new = kube.put(container_group(name="web"))
    assert new["metadata"]["uid"] != old_seen["metadata"]["uid"]
    key = ("default", "web")
    try:
        controller.on_containergroup_event("ADDED", copy.deepcopy(new))
        controller.on_containergroup_event("MODIFIED", old_seen)  # late, from the old object's stream
        assert controller.objects[key].body["metadata"]["uid"] == new["metadata"]["uid"]
        controller.on_containergroup_event("DELETED", old_seen)
        assert key in controller.objects
        assert controller.objects[key].body["metadata"]["uid"] == new["metadata"]["uid"]
        controller.on_containergroup_event("DELETED", copy.deepcopy(new))  # the current one: forgotten
        assert key not in controller.objects
    finally:
        await controller.stop()


async def test_a_delete_during_our_status_write_is_not_mistaken_for_an_old_event(emulator: Any) -> None:
    """Our status write answers with a newer resourceVersion than the user's delete it raced with."""
    kube = MemoryKube()
    metrics = Metrics()
    credentials = StaticCredentials(emulator.access_key_id, emulator.access_key_secret)
    controller = Controller(
        kube=kube,  # type: ignore[arg-type]
        cloud=Cloud(endpoint=emulator.url, credentials=credentials, metrics=metrics),
        settings=ControllerSettings(cluster_id="test", resync_interval=60, poll_interval=0.2),
        metrics=metrics,
    )
    key = ("default", "web")
    try:
        controller.objects[key] = state = ObjectState(body=kube.put(container_group(name="web")))
        deleting = kube.delete("default", "web")  # the user's delete, its watch event still in flight
        await controller.reconciler._patch_status(state, {"phase": "Running"})
        controller.on_containergroup_event("MODIFIED", deleting)
        assert controller.objects[key].body["metadata"].get("deletionTimestamp")
    finally:
        await controller.stop()
