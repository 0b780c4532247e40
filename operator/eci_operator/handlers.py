"""Kopf glue only: registers handlers and turns Kopf calls into controller calls.

Kopf is used for what it does well: logging in, watching ContainerGroups and ConfigMaps, and the
liveness endpoint. Every watch event is handed to :class:`~eci_operator.controller.runtime.Controller`,
which serialises reconciles per object, owns the ``eci.operator.dev/finalizer`` and writes status.

No changing handlers (``on.create``/``on.update``/``on.delete``) are registered on purpose: Kopf
would then store a copy of the whole spec (its diff-base) in an annotation and add its own
finalizer. With event handlers only, Kopf writes nothing to the objects at all; its storages and
finalizer name are still set under the ``eci.operator.dev`` prefix so that nothing ever lands
under Kopf's default ``kopf.zalando.org`` names. Kopf's finalizer name deliberately differs from the
controller's: Kopf removes its own finalizer from objects that no Kopf handler needs it for.

Leader election is the controller's (a Lease, ``--leader-elect``), not Kopf's peering: peering only
pauses other operators while one is active, it elects nobody and needs its own cluster-wide CRDs.
The startup handler returns at once, so Kopf's watches and its liveness endpoint start on a standby
too (a watch costs no ECI call; the liveness probe must pass); the controller gates what matters:
a standby triggers no reconcile. Losing the Lease sets Kopf's stop flag and the process exits with
status 1; Kubernetes restarts it as a standby.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from eci_operator.api.containergroup import GROUP, PLURAL, VERSION
from eci_operator.controller.kube import KubeConfig, load_config
from eci_operator.controller.runtime import Controller
from eci_operator.controller.settings import OperatorSettings

PREFIX = "eci.operator.dev"
KOPF_FINALIZER = f"{PREFIX}/kopf"  # never attached: no Kopf handler requires a finalizer

logger = logging.getLogger(__name__)


class Runtime:
    """What ``eci-operator run`` configures before Kopf starts, and what the handlers share."""

    settings: OperatorSettings = OperatorSettings()
    kube_config: KubeConfig | None = None
    controller: Controller | None = None
    stop_flag: asyncio.Event | None = None  # Kopf stops when it is set
    lost_leadership: bool = False


def configure(settings: OperatorSettings, stop_flag: asyncio.Event | None = None) -> None:
    Runtime.settings = settings
    Runtime.stop_flag = stop_flag
    Runtime.lost_leadership = False


def _lost_leadership() -> None:
    Runtime.lost_leadership = True
    if Runtime.stop_flag is not None:
        Runtime.stop_flag.set()


def operator_settings() -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = KOPF_FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX, v1=False)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=PREFIX, key="last-handled-configuration", v1=False
    )
    settings.scanning.disabled = True  # no CRD/namespace listing: keeps the RBAC minimal
    settings.posting.enabled = False  # the controller posts its own Events
    settings.watching.server_timeout = 300
    # Memory at scale. The start-up listing arrives in pages (as kubectl lists) rather than as one
    # answer holding every object at once; and Kopf's per-object worker, which keeps the object's
    # last event while it waits for another, exits after 0.5 s instead of 5 s: our handlers only
    # hand the event over, so a burst of N new objects no longer keeps N workers and bodies alive.
    settings.watching.chunk_size = 500
    settings.queueing.idle_timeout = 0.5
    settings.networking.request_timeout = 60
    return settings


@kopf.on.login()
def login(**_: Any) -> kopf.ConnectionInfo:
    config = Runtime.kube_config or load_config()
    Runtime.kube_config = config
    return kopf.ConnectionInfo(
        server=config.server,
        ca_path=config.ca_path,
        ca_data=config.ca_data,
        insecure=config.insecure,
        token=config.current_token(),
        scheme="Bearer" if config.current_token() else None,
        certificate_path=config.cert_path,
        private_key_path=config.key_path,
        default_namespace=config.default_namespace,
    )


@kopf.on.startup()
async def startup(**_: Any) -> None:
    config = Runtime.kube_config or load_config()
    Runtime.kube_config = config
    Runtime.controller = await Controller.create(config, Runtime.settings, on_lost=_lost_leadership)
    Runtime.controller.start()


@kopf.on.cleanup()
async def cleanup(**_: Any) -> None:
    if Runtime.controller is not None:
        await Runtime.controller.stop()
        Runtime.controller = None


@kopf.on.probe(id="observer")
async def probe(**_: Any) -> dict[str, Any]:
    return {} if Runtime.controller is None else Runtime.controller.probe()


# Async on purpose: sync handlers run in Kopf's thread pool, away from the controller's event loop.
@kopf.on.event(GROUP, VERSION, PLURAL)
async def containergroup_event(event: kopf.RawEvent, **_: Any) -> None:
    if Runtime.controller is not None:
        Runtime.controller.on_containergroup_event(event.get("type"), dict(event["object"]))


@kopf.on.event("", "v1", "configmaps")
async def configmap_event(event: kopf.RawEvent, **_: Any) -> None:
    if Runtime.controller is not None:
        Runtime.controller.on_configmap_event(event.get("type"), dict(event["object"]))
