"""The parameters ECI accepts but DescribeContainerGroups does not report back, part by part.

The operator cannot read these from the instance, so it keeps a fingerprint of what it last sent
(``status.appliedFingerprints.unreported``) and compares the desired values with it. Two kinds:

- *updatable*: a container's lifecycle hooks (UpdateContainerGroup carries them);
- *create-only*: a container's termination-message settings, runAsGroup, runAsNonRoot and
  privileged; a config-file volume's file modes; and instance settings (grace period, deadline,
  DNS policy, host name, shared process namespace, CPU architecture, host sysctls). UpdateContainerGroup
  has no parameter for them, and it replaces a container list or the volume list whole, so an
  in-place update would drop them: changing such a part needs a new instance.

Instance settings that Describe *does* report but only Create sets (host aliases, safe sysctls,
extra ephemeral storage) are compared with what Describe shows, not fingerprinted.

Each function returns the part's values under their ECI names, or None when it has none.
"""

from __future__ import annotations

from typing import Any

from eci_operator.eci import models as eci

CREATE_ONLY_INSTANCE = (
    "termination_grace_period_seconds",
    "active_deadline_seconds",
    "dns_policy",
    "host_name",
    "share_process_namespace",
    "cpu_architecture",
    "host_security_context",
)
_CONTAINER_CREATE_ONLY = (
    "termination_message_path",
    "termination_message_policy",
    "security_context_run_as_group",
    "security_context_run_as_non_root",
    "security_context_privileged",
)


def _named(model: eci.RequestModel, fields: tuple[str, ...]) -> dict[str, Any] | None:
    out = {}
    for name in fields:
        value = getattr(model, name, None)
        if value is not None:
            alias = type(model).model_fields[name].alias or name
            out[alias] = (
                value.model_dump(mode="json", by_alias=True) if isinstance(value, eci.RequestModel) else value
            )
    return out or None


def hooks(c: eci.Container | eci.InitContainer) -> dict[str, Any] | None:
    """A container's lifecycle hook parameters."""
    if not isinstance(c, eci.Container):
        return None
    names = tuple(n for n in eci.Container.model_fields if n.startswith("lifecycle_"))
    found = _named(c, names)
    if found is None:
        return None
    return {
        k: ([h.model_dump(by_alias=True) for h in v] if k.endswith("Header") else v) for k, v in found.items()
    }


def container_create_only(c: eci.Container | eci.InitContainer) -> dict[str, Any] | None:
    """A container's parameters only CreateContainerGroup sets."""
    return _named(c, _CONTAINER_CREATE_ONLY)


def volume_modes(v: eci.Volume) -> dict[str, Any] | None:
    """A config-file volume's file modes (octal, as sent)."""
    cfg = v.config_file_volume
    if cfg is None or not cfg.has_modes:
        return None
    modes: dict[str, Any] = {
        p.path: eci.octal_mode(p.mode) for p in cfg.config_file_to_paths if p.mode is not None
    }
    if cfg.default_mode is not None:
        modes["DefaultMode"] = eci.octal_mode(cfg.default_mode)
    return modes


def instance_create_only(request: eci.CreateContainerGroupRequest) -> dict[str, Any]:
    """The instance's create-only parameters Describe does not report, by ECI name."""
    return _named(request, CREATE_ONLY_INSTANCE) or {}
