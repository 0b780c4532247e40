"""Instances made with the official SDK, as scripts and Terraform make them (for export tests)."""

from __future__ import annotations

import base64

from alibabacloud_eci20180808 import models as m
from alibabacloud_eci20180808.client import Client
from alibabacloud_tea_openapi.models import Config

from tests.support.emulator import EmulatorHandle


def sdk_client(handle: EmulatorHandle) -> Client:
    return Client(
        Config(
            access_key_id=handle.access_key_id,
            access_key_secret=handle.access_key_secret,
            endpoint=handle.endpoint,
            protocol="http",
            region_id=handle.region,
            read_timeout=10000,
            connect_timeout=5000,
        )
    )


def create_full(handle: EmulatorHandle, name: str = "legacy-web") -> str:
    """An instance with probes, volumes (empty dir, NFS, config file), an init container and registry
    credentials, created by the official SDK; its ID."""
    r = m.CreateContainerGroupRequest
    probe = m.CreateContainerGroupRequestContainerReadinessProbe(
        http_get=m.CreateContainerGroupRequestContainerReadinessProbeHttpGet(path="/healthz", port=80),
        period_seconds=5,
        failure_threshold=3,
    )
    liveness = m.CreateContainerGroupRequestContainerLivenessProbe(
        tcp_socket=m.CreateContainerGroupRequestContainerLivenessProbeTcpSocket(port=80),
        initial_delay_seconds=10,
    )
    request = r(
        region_id=handle.region,
        container_group_name=name,
        cpu=2.0,
        memory=4.0,
        restart_policy="Always",
        security_group_id="sg-legacy",
        v_switch_id="vsw-legacy",
        tag=[m.CreateContainerGroupRequestTag(key="team", value="shop")],
        image_registry_credential=[
            m.CreateContainerGroupRequestImageRegistryCredential(
                server="registry.example.com", user_name="puller", password="s3cr3t-pull-password"
            )
        ],
        volume=[
            m.CreateContainerGroupRequestVolume(name="scratch", type="EmptyDirVolume"),
            m.CreateContainerGroupRequestVolume(
                name="shared",
                type="NFSVolume",
                nfsvolume=m.CreateContainerGroupRequestVolumeNFSVolume(
                    server="nfs.example.com", path="/exports/web", read_only=True
                ),
            ),
            m.CreateContainerGroupRequestVolume(
                name="conf",
                type="ConfigFileVolume",
                config_file_volume=m.CreateContainerGroupRequestVolumeConfigFileVolume(
                    config_file_to_path=[
                        m.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath(
                            path="nginx.conf", content=base64.b64encode(b"server { listen 80; }\n").decode()
                        )
                    ]
                ),
            ),
        ],
        init_container=[
            m.CreateContainerGroupRequestInitContainer(
                name="migrate",
                image="busybox:1.36",
                command=["sh", "-c", "echo migrated"],
                volume_mount=[
                    m.CreateContainerGroupRequestInitContainerVolumeMount(name="scratch", mount_path="/work")
                ],
            )
        ],
        container=[
            m.CreateContainerGroupRequestContainer(
                name="web",
                image="nginx:1.27",
                cpu=1.0,
                memory=2.0,
                arg=["-g", "daemon off;"],
                environment_var=[
                    m.CreateContainerGroupRequestContainerEnvironmentVar(key="MODE", value="blue"),
                    m.CreateContainerGroupRequestContainerEnvironmentVar(
                        key="POD_IP",
                        field_ref=m.CreateContainerGroupRequestContainerEnvironmentVarFieldRef(
                            field_path="status.podIP"
                        ),
                    ),
                ],
                port=[m.CreateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                readiness_probe=probe,
                liveness_probe=liveness,
                volume_mount=[
                    m.CreateContainerGroupRequestContainerVolumeMount(name="scratch", mount_path="/cache"),
                    m.CreateContainerGroupRequestContainerVolumeMount(
                        name="shared", mount_path="/srv", read_only=True
                    ),
                    m.CreateContainerGroupRequestContainerVolumeMount(
                        name="conf", mount_path="/etc/nginx/conf.d", read_only=True
                    ),
                ],
            ),
            m.CreateContainerGroupRequestContainer(
                name="side", image="busybox:1.36", command=["sleep", "3600"]
            ),
        ],
    )
    created = sdk_client(handle).create_container_group(request)
    ident: str = created.body.container_group_id
    return ident
