"""Flattened ECI parameters of a translated spec, with Secret-derived values masked by default."""

from __future__ import annotations

from typing import Any, Literal

from eci_operator.eci import models as eci
from eci_operator.eci.flatten import flatten
from eci_operator.translate.desired import Desired

MASK = "(sensitive value)"
PLACEHOLDER_ID = "eci-00000000000000000000"
Action = Literal["CreateContainerGroup", "UpdateContainerGroup"]


def _updatable(items: list[Any] | None) -> list[Any] | None:
    """The items without what only CreateContainerGroup takes (UpdateContainerGroup refuses it)."""
    if items is None:
        return None
    out = []
    for item in items:
        if isinstance(item, eci.Volume) and item.config_file_volume is not None:
            files = [
                f.model_copy(update={"mode": None}) for f in item.config_file_volume.config_file_to_paths
            ]
            cfg = item.config_file_volume.model_copy(
                update={"default_mode": None, "config_file_to_paths": files}
            )
            item = item.model_copy(update={"config_file_volume": cfg})
        elif isinstance(item, eci.Container | eci.InitContainer):
            fields = type(item).model_fields
            item = item.model_copy(update={f: None for f in eci.CREATE_ONLY_CONTAINER_FIELDS if f in fields})
        out.append(item)
    return out


def full_update(desired: Desired, container_group_id: str | None = None) -> eci.UpdateContainerGroupRequest:
    """An UpdateContainerGroup request carrying every updatable group of ``desired``, each whole
    (without the parameters only CreateContainerGroup takes, which an update cannot carry)."""
    r = desired.request
    return eci.UpdateContainerGroupRequest(
        region_id=r.region_id,
        container_group_id=container_group_id or PLACEHOLDER_ID,
        update_type="IncrementalUpdate",
        restart_policy=r.restart_policy,
        resource_group_id=r.resource_group_id,
        tags=r.tags,
        image_registry_credentials=r.image_registry_credentials,
        dns_config=r.dns_config,
        volumes=_updatable(r.volumes),
        init_containers=_updatable(r.init_containers),
        containers=_updatable(r.containers),
    )


def secret_parameter_names(
    desired: Desired, request: eci.CreateContainerGroupRequest | eci.UpdateContainerGroupRequest
) -> set[str]:
    """RPC parameter names whose values come from Secrets (or are registry passwords)."""
    names: set[str] = set()
    for i in range(1, len(request.image_registry_credentials or []) + 1):
        names.add(f"ImageRegistryCredential.{i}.Password")
    for prefix, containers in (
        ("Container", request.containers or []),
        ("InitContainer", request.init_containers or []),
    ):
        for i, c in enumerate(containers, start=1):
            keys = desired.sensitive.env.get(c.name, frozenset())
            for j, var in enumerate(c.environment_vars or [], start=1):
                if var.key in keys:
                    names.add(f"{prefix}.{i}.EnvironmentVar.{j}.Value")
    for i, v in enumerate(request.volumes or [], start=1):
        if v.name in desired.sensitive.volumes and v.config_file_volume is not None:
            for j in range(1, len(v.config_file_volume.config_file_to_paths) + 1):
                names.add(f"Volume.{i}.ConfigFileVolume.ConfigFileToPath.{j}.Content")
    return names


def parameters(
    desired: Desired,
    action: Action = "CreateContainerGroup",
    *,
    show_secrets: bool = False,
    container_group_id: str | None = None,
) -> dict[str, str]:
    """The flattened parameters ``action`` would send for ``desired``."""
    request: eci.CreateContainerGroupRequest | eci.UpdateContainerGroupRequest
    request = (
        desired.request if action == "CreateContainerGroup" else full_update(desired, container_group_id)
    )
    params = flatten(request)
    if not show_secrets:
        secret = secret_parameter_names(desired, request)
        params = {k: (MASK if k in secret else v) for k, v in params.items()}
    return params


def parameter_sort_key(name: str) -> tuple[object, ...]:
    """Natural order: ``Container.2`` before ``Container.10``."""
    return tuple(int(p) if p.isdigit() else p for p in name.split("."))
