"""A volume of the spec → ``Volume.N``.

ConfigMaps and Secrets become ECI config-file volumes, their contents resolved by the operator and
sent base64-encoded, within ECI's limits: at most 15 files, each at most 32 KB as sent (the
UpdateContainerGroup document puts the limit on the Content parameter, which is base64, so a file
may hold at most 24576 bytes), and 60 KB in all (the ConfigFile volume guide). File modes are sent
as ECI's four octal digits. A volume whose source ECI cannot mount (reported by the compatibility
check) becomes an empty directory when the ContainerGroup ignores such fields; a volume without any
source is an empty directory, as Kubernetes defaults it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from eci_operator.api.pod import ConfigMapVolumeSource, KeyToPath, SecretVolumeSource, Volume
from eci_operator.eci import models as eci
from eci_operator.translate.context import Context

MAX_FILE_BYTES = eci.CONFIG_FILE_MAX_CONTENT * 3 // 4  # the largest file whose base64 fits 32 KB


def volume(ctx: Context, v: Volume, path: str) -> eci.Volume | None:
    """The ECI volume for ``v`` at manifest ``path``; None when a problem was reported."""
    if v.empty_dir is not None:
        size = v.empty_dir.size_limit
        return eci.Volume(
            name=v.name,
            type="EmptyDirVolume",
            empty_dir_volume=eci.EmptyDirVolume(medium=v.empty_dir.medium, size_limit=size)
            if (v.empty_dir.medium is not None or size is not None)
            else None,
        )
    if v.nfs is not None:
        return eci.Volume(
            name=v.name,
            type="NFSVolume",
            nfs_volume=eci.NFSVolume(server=v.nfs.server, path=v.nfs.path, read_only=v.nfs.read_only),
        )
    if v.config_map is not None:
        files = config_files(ctx, v.config_map, f"{path}.configMap")
        mode = v.config_map.default_mode
    elif v.secret is not None:
        files = config_files(ctx, v.secret, f"{path}.secret")
        mode = v.secret.default_mode
        ctx.secret_volumes.add(v.name)
    else:
        return eci.Volume(name=v.name, type="EmptyDirVolume")
    if files is None:
        return None
    return eci.Volume(
        name=v.name,
        type="ConfigFileVolume",
        config_file_volume=eci.ConfigFileVolume(config_file_to_paths=files, default_mode=mode),
    )


def config_files(
    ctx: Context, source: ConfigMapVolumeSource | SecretVolumeSource, path: str
) -> list[eci.ConfigFileToPath] | None:
    problems = ctx.problems
    mark = problems.mark()
    lookup: Callable[[str], bytes | None] | None
    if isinstance(source, ConfigMapVolumeSource):
        kind, name = "ConfigMap", source.name
        cm = ctx.refs.config_maps.get(name)
        lookup = cm.get if cm is not None else None
        keys = cm.keys() if cm is not None else []
    else:
        kind, name = "Secret", source.secret_name
        secret = ctx.refs.secrets.get(name)
        lookup = (lambda key: secret.data.get(key)) if secret is not None else None
        keys = sorted(secret.data) if secret is not None else []
    if lookup is None:
        empty = (
            " (ECI cannot create an empty config-file volume, even when optional)" if source.optional else ""
        )
        problems.refuse(path, f"{kind} {name!r} not found{empty}")
        return None
    items: list[KeyToPath] = list(source.items) if source.items else [KeyToPath(key=k, path=k) for k in keys]
    if len(items) > eci.CONFIG_VOLUME_MAX_FILES:
        problems.refuse(
            path,
            f"{kind} {name!r} has {len(items)} keys; ECI puts at most {eci.CONFIG_VOLUME_MAX_FILES} files "
            "in a config-file volume (list the keys needed in items)",
        )
        return None
    files: list[eci.ConfigFileToPath] = []
    for j, item in enumerate(items):
        where = f"{path}.items[{j}]" if source.items else path
        raw = lookup(item.key)
        if raw is None:
            if not source.optional:
                problems.refuse(
                    f"{where}.key" if source.items else where, f"key {item.key!r} not in {kind} {name!r}"
                )
            continue
        content = base64.b64encode(raw).decode()
        if len(content) > eci.CONFIG_FILE_MAX_CONTENT:
            problems.refuse(
                where,
                f"key {item.key!r} of {kind} {name!r} is {len(raw)} bytes; ECI takes at most 32 KB of base64 "
                f"per file, i.e. files of at most {MAX_FILE_BYTES} bytes",
            )
            continue
        files.append(eci.ConfigFileToPath(path=item.path, content=content, mode=item.mode))
    total = sum(len(f.content) for f in files)
    if total > eci.CONFIG_VOLUME_MAX_CONTENT:
        problems.refuse(
            path,
            f"the files of {kind} {name!r} are {total} characters of base64; ECI takes at most 60 KB "
            "per volume",
        )
        return None
    if problems.since(mark):
        return None
    if not files:
        problems.refuse(
            path, f"{kind} {name!r} has no keys to write (ECI cannot create an empty config-file volume)"
        )
        return None
    return files
