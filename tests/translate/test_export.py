"""``translate.export``: a manifest from Describe that plans nothing against the instance it came from,
for an instance the official SDK made (probes, volumes, an init container, registry credentials)."""

from __future__ import annotations

import asyncio

import yaml

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.translate import References, parse_group, plan, translate
from eci_operator.translate.export import export
from tests.support.emulator import EmulatorHandle
from tests.support.sdk_instances import create_full


def describe(emulator: EmulatorHandle, gid: str) -> ContainerGroupOut:
    async def read() -> ContainerGroupOut:
        credentials = StaticCredentials(emulator.access_key_id or "", emulator.access_key_secret or "")
        async with EciClient(region_id=emulator.region, endpoint=emulator.url, credentials=credentials) as c:
            return (await c.describe_by_ids([gid]))[gid]

    return asyncio.run(read())


def config_maps(files: dict[str, dict[str, bytes]]) -> References:
    return References.from_objects(
        {"kind": "ConfigMap", "metadata": {"name": n}, "data": {k: v.decode() for k, v in f.items()}}
        for n, f in files.items()
    )


def test_an_exported_instance_plans_nothing(emulator: EmulatorHandle) -> None:
    gid = create_full(emulator)
    emulator.wait_status(gid, "Running")
    observed = describe(emulator, gid)
    exported = export(observed, "web", "shop")
    text = yaml.safe_dump(exported.manifest)
    assert "s3cr3t" not in text and "listen 80" not in text  # no write-only value, no file content
    group = parse_group(yaml.safe_load(text))
    result = plan(translate(group, config_maps(exported.config_files)), observed, None)
    assert result.empty, result.render()
    spec = exported.manifest["spec"]
    assert spec["containerGroupId"] == gid
    assert [c["name"] for c in spec["initContainers"]] == ["migrate"]
    assert spec["containers"][0]["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 80}
    assert {v["name"] for v in spec["volumes"]} == {"scratch", "shared", "conf"}
    assert any("ConfigMap web-conf" in n for n in exported.notes)
    assert any("registry credentials" in n for n in exported.notes)
