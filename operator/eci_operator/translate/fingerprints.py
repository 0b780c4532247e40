"""Fingerprints of the groups ECI does not return in full (or at all).

Registry credentials are never returned by Describe; config-file contents come back unreliably;
Secret-derived env values may be hidden. The operator records a digest of what it sent in
``status.appliedFingerprints`` and compares the next desired digest with it. Digests cover the
values, so a changed password changes the digest, but the status holds no value; they are salted
with the object's uid, so equal secrets in different objects have different fingerprints.
The env names and tag keys last sent are kept too: they tell the operator's own entries apart from
the image's env vars and from tags set by others. So are the names of the env vars last sent from a
Secret: what ECI returns for them may be that Secret's value, whatever the spec says now.
Parameters Describe does not report at all (lifecycle hooks, create-only settings, file modes: see
``unreported``) are fingerprinted part by part.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eci_operator.api.containergroup import Fingerprints
from eci_operator.eci import models as eci
from eci_operator.translate import unreported
from eci_operator.translate.desired import Desired


def digest(data: bytes | str) -> str:
    """Hex SHA-256 (the fingerprint function)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _salted(salt: str, data: object) -> str:
    return digest(salt + "\0" + _canonical(data))


def credentials_digest(credentials: list[eci.ImageRegistryCredential] | None, salt: str = "") -> str | None:
    """Digest of the registry credentials (None when there are none)."""
    if not credentials:
        return None
    rows = sorted([c.server, c.user_name, c.password] for c in credentials)
    return _salted(salt, rows)


def config_files_digest(volume: eci.Volume, salt: str = "") -> str | None:
    """Digest of a config-file volume's paths and contents (None for other volume types)."""
    if volume.config_file_volume is None:
        return None
    files = sorted([f.path, f.content] for f in volume.config_file_volume.config_file_to_paths)
    return _salted(salt, files)


def secret_env_digest(
    container: eci.Container | eci.InitContainer, keys: frozenset[str], salt: str = ""
) -> str | None:
    """Digest of a container's Secret-derived env values (None when it has none)."""
    values = sorted([v.key, v.value or ""] for v in container.environment_vars or [] if v.key in keys)
    return _salted(salt, values) if values else None


def unreported_parts(request: eci.CreateContainerGroupRequest) -> dict[str, Any]:
    """What ``request`` sends that Describe does not report, keyed by part."""
    parts: dict[str, Any] = {}
    for c in request.containers:
        parts[f"Container/{c.name}/Lifecycle"] = unreported.hooks(c)
        parts[f"Container/{c.name}/CreateOnly"] = unreported.container_create_only(c)
    for i in request.init_containers or []:
        parts[f"InitContainer/{i.name}/CreateOnly"] = unreported.container_create_only(i)
    for v in request.volumes or []:
        parts[f"Volume/{v.name}/Modes"] = unreported.volume_modes(v)
    for name, value in unreported.instance_create_only(request).items():
        parts[f"Instance/{name}"] = value
    return {k: v for k, v in parts.items() if v is not None}


def fingerprints(desired: Desired) -> Fingerprints:
    """What to record in ``status.appliedFingerprints`` once ``desired`` has been applied."""
    request = desired.request
    containers: list[eci.Container | eci.InitContainer] = [
        *(request.init_containers or []),
        *request.containers,
    ]
    config_files = {
        v.name: d for v in request.volumes or [] if (d := config_files_digest(v, desired.salt)) is not None
    }
    secret_env = {
        c.name: d
        for c in containers
        if (d := secret_env_digest(c, desired.sensitive.env.get(c.name, frozenset()), desired.salt))
        is not None
    }
    return Fingerprints(
        image_registry_credential=credentials_digest(request.image_registry_credentials, desired.salt),
        image_registry_credential_count=len(request.image_registry_credentials or []),
        config_files=config_files or None,
        secret_env=secret_env or None,
        secret_env_keys={c: sorted(keys) for c, keys in desired.sensitive.env.items() if keys} or None,
        env_keys={c.name: sorted(v.key for v in c.environment_vars or []) for c in containers} or None,
        tag_keys=sorted(desired.owned_tag_keys) or None,
        unreported={k: _salted(desired.salt, v) for k, v in unreported_parts(request).items()} or None,
    )
