"""Acceptance: the official SDK drives the emulator with each signature scheme.

Create → Describe until Running → Update → Describe (Updating, then Running with the change) →
Delete, every response parsed by the SDK's own models; a wrong secret gets SignatureDoesNotMatch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from alibabacloud_eci20180808 import models as m
from alibabacloud_eci20180808.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from tests.support.emulator import EmulatorHandle, launch

SCHEMES = {"hmac-sha1": "v2", "acs3-hmac-sha256": None}


def sdk(handle: EmulatorHandle, algorithm: str | None, secret: str | None = None) -> Client:
    config = Config(
        access_key_id=handle.access_key_id,
        access_key_secret=secret or handle.access_key_secret,
        endpoint=handle.endpoint,
        protocol="http",
        region_id=handle.region,
        read_timeout=10000,
        connect_timeout=5000,
    )
    if algorithm:
        config.signature_algorithm = algorithm
    return Client(config)


def describe(client: Client, ident: str) -> m.DescribeContainerGroupsResponseBodyContainerGroups:
    response = client.describe_container_groups(
        m.DescribeContainerGroupsRequest(region_id="cn-hangzhou", container_group_ids=json.dumps([ident]))
    )
    assert isinstance(response.body, m.DescribeContainerGroupsResponseBody)
    assert response.body.request_id and response.body.total_count == 1
    [group] = response.body.container_groups
    return group


def wait_for(
    client: Client, ident: str, status: str, timeout: float = 20
) -> m.DescribeContainerGroupsResponseBodyContainerGroups:
    deadline = time.monotonic() + timeout
    while True:
        group = describe(client, ident)
        if group.status == status:
            return group
        assert time.monotonic() < deadline, f"{ident} stayed {group.status}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[EmulatorHandle]:
    """One emulator for this module whose steps take 1 s, so Updating is seen even on a busy machine."""
    handle = launch(transition_delay=1.0)
    yield handle
    handle.stop()


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_sdk_create_describe_update_delete(slow_emulator: EmulatorHandle, scheme: str) -> None:
    client = sdk(slow_emulator, SCHEMES[scheme])
    created = client.create_container_group(
        m.CreateContainerGroupRequest(
            region_id="cn-hangzhou",
            container_group_name=f"sdk-{scheme}",
            cpu=2.0,
            memory=4.0,
            restart_policy="Always",
            client_token=f"sdk-create-{scheme}",
            tag=[m.CreateContainerGroupRequestTag(key="team", value="shop")],
            volume=[m.CreateContainerGroupRequestVolume(name="scratch", type="EmptyDirVolume")],
            container=[
                m.CreateContainerGroupRequestContainer(
                    name="web",
                    image="nginx:1.25",
                    cpu=1.0,
                    memory=2.0,
                    tty=True,
                    command=["/bin/sh", "-c", "echo hello world; sleep 10"],
                    environment_var=[
                        m.CreateContainerGroupRequestContainerEnvironmentVar(
                            key="GREETING", value="你好 世界~*+"
                        )
                    ],
                    port=[m.CreateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                    volume_mount=[
                        m.CreateContainerGroupRequestContainerVolumeMount(
                            name="scratch", mount_path="/s", read_only=False
                        )
                    ],
                )
            ],
        )
    )
    assert isinstance(created.body, m.CreateContainerGroupResponseBody)
    ident = created.body.container_group_id
    assert ident.startswith("eci-")

    running = wait_for(client, ident, "Running")
    [web] = running.containers
    assert web.commands == ["/bin/sh", "-c", "echo hello world; sleep 10"]
    assert web.environment_vars[0].key == "GREETING" and web.environment_vars[0].value == "你好 世界~*+"
    assert web.ports[0].port == 80 and web.tty is True and web.ready is True and web.restart_count == 0
    assert running.tags[0].key == "team" and running.cpu == 2.0

    updated = client.update_container_group(
        m.UpdateContainerGroupRequest(
            region_id="cn-hangzhou",
            container_group_id=ident,
            update_type="IncrementalUpdate",
            client_token=f"sdk-update-{scheme}",
            container=[
                m.UpdateContainerGroupRequestContainer(
                    name="web",
                    image="nginx:1.27",
                    cpu=1.0,
                    memory=2.0,
                    volume_mount=[
                        m.UpdateContainerGroupRequestContainerVolumeMount(name="scratch", mount_path="/s")
                    ],
                )
            ],
        )
    )
    assert isinstance(updated.body, m.UpdateContainerGroupResponseBody) and updated.body.request_id
    assert describe(client, ident).status == "Updating"
    after = wait_for(client, ident, "Running")
    [web] = after.containers
    assert web.image == "nginx:1.27" and web.restart_count == 1
    assert after.tags[0].value == "shop", "groups not sent keep their values"

    deleted = client.delete_container_group(
        m.DeleteContainerGroupRequest(region_id="cn-hangzhou", container_group_id=ident)
    )
    assert isinstance(deleted.body, m.DeleteContainerGroupResponseBody) and deleted.body.request_id
    deadline = time.monotonic() + 10
    while client.describe_container_groups(
        m.DescribeContainerGroupsRequest(region_id="cn-hangzhou", container_group_ids=json.dumps([ident]))
    ).body.container_groups:
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_sdk_wrong_secret_gets_signature_does_not_match(emulator: EmulatorHandle, scheme: str) -> None:
    client = sdk(emulator, SCHEMES[scheme], secret="not-the-secret")
    with pytest.raises(ClientException) as caught:
        client.describe_container_groups(m.DescribeContainerGroupsRequest(region_id="cn-hangzhou"))
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status_code == 400


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_sdk_sees_error_codes(emulator: EmulatorHandle, scheme: str) -> None:
    client = sdk(emulator, SCHEMES[scheme])
    with pytest.raises(ClientException) as caught:
        client.update_container_group(
            m.UpdateContainerGroupRequest(
                region_id="cn-hangzhou", container_group_id="eci-missing", restart_policy="Never"
            )
        )
    assert (caught.value.code, caught.value.status_code) == ("InvalidParameter.NotFound", 404)


def test_sdk_restart(emulator: EmulatorHandle) -> None:
    client = sdk(emulator, None)
    ident = client.create_container_group(
        m.CreateContainerGroupRequest(
            region_id="cn-hangzhou",
            container_group_name="sdk-restart",
            container=[m.CreateContainerGroupRequestContainer(name="web", image="nginx")],
        )
    ).body.container_group_id
    wait_for(client, ident, "Running")
    response = client.restart_container_group(
        m.RestartContainerGroupRequest(region_id="cn-hangzhou", container_group_id=ident)
    )
    assert isinstance(response.body, m.RestartContainerGroupResponseBody)
    assert wait_for(client, ident, "Running").containers[0].restart_count == 1
