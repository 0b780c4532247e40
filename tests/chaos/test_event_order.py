"""Watch events of a deleted object that arrive after those of its successor under the same name.

Kopf streams each object uid on its own, so after an apiserver outage the resumed watch can hand
the controller the new object's ADDED before the old one's last MODIFIED or DELETED. Those late
events must neither replace nor forget the new object, or it is never reconciled (found by the
control-plane chaos test: a ContainerGroup re-created during an outage stayed without status).
"""

from __future__ import annotations

import copy
from typing import Any

from eci_operator.controller.conditions import Health, Summary
from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.reasons import Reason
from tests.controller.harness import memory_controller
from tests.support.manifests import container_group


async def test_late_events_of_a_deleted_namesake_do_not_hide_the_new_object(emulator: Any) -> None:
    kube, controller = memory_controller(emulator)
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
    kube, controller = memory_controller(emulator)
    key = ("default", "web")
    try:
        controller.objects[key] = memory = ObjectMemory.of(kube.put(container_group(name="web")))
        deleting = kube.delete("default", "web")  # the user's delete, its watch event still in flight
        summary = Summary(Health.PROGRESSING, Reason.CREATING, "")
        await controller.reconciler.recorder.status(memory, summary, {"phase": "Running"})
        controller.on_containergroup_event("MODIFIED", deleting)
        assert controller.objects[key].body["metadata"].get("deletionTimestamp")
    finally:
        await controller.stop()
