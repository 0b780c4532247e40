"""Secrets: an end-to-end run with known secret values, then a scan of everything observable.

The operator runs at debug level with an access key secret and an STS token; a ContainerGroup uses a
registry password, a secret-derived env var and a secret volume, which are then rotated, drifted,
replaced by a literal the update policy holds back, and deleted, and a second one is refused by ECI
while carrying the same secrets. The operator's log, the Events, the ContainerGroups (status and
annotations included, as seen at every step), the metrics and the emulator's request log must not
contain any secret value, raw or base64-encoded. The instance itself must hold them: the values did
flow, just nowhere else.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from tests.chaos.figures import record
from tests.support.cluster import Cluster, is_ready, is_stalled
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

RESYNC = 2.0
SECRETS = {
    "access key secret": "AkSecret-9f3c2e7a1b5d4c8e",
    "STS token": "StsToken-CAIS8f2b6d1e4a7c9b3f5e0d2a",
    "registry password": "RegPass-7d1f9b3e5c2a8d4f",
    "rotated registry password": "RegPass-rotated-4e8a2c6f",
    "env secret": "EnvSecret-2b8e4f6a1c9d3e7b",
    "rotated env secret": "EnvSecret-rotated-6c1a9e3f",
    "volume secret": "VolSecret-5a3d7f1b9e2c6a4d",
}


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def pull_secret(password: str) -> dict[str, Any]:
    auth = {
        "auths": {
            "registry.example.com": {
                "username": "robot",
                "password": password,
                "auth": b64(f"robot:{password}"),
            }
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64(json.dumps(auth))},
    }


def app_secret(env_value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "app"},
        "stringData": {"db-password": env_value, "tls.key": SECRETS["volume secret"]},
    }


def secret_spec() -> dict[str, Any]:
    return {
        "imagePullSecrets": [{"name": "regcred"}],
        "volumes": [
            {"name": "tls", "secret": {"secretName": "app", "items": [{"key": "tls.key", "path": "tls.key"}]}}
        ],
        "containers": [
            {
                "name": "web",
                "image": "registry.example.com/shop/web:1",
                "env": [
                    {"name": "MODE", "value": "prod"},
                    {
                        "name": "DB_PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "app", "key": "db-password"}},
                    },
                ],
                "volumeMounts": [{"name": "tls", "mountPath": "/etc/tls", "readOnly": True}],
            }
        ],
    }


def test_no_secret_reaches_logs_events_status_annotations_or_request_logs(
    cluster: Cluster, start_emulator: Any, start_operator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(access_key_id="LTAIchaosKeyId", access_key_secret=SECRETS["access key secret"])
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", SECRETS["STS token"])
    operator = start_operator(cluster.namespace, emulator, resync=RESYNC)
    operator.stop()
    operator.args.append("--verbose")  # debug level: every ECI request line is logged
    operator.start()

    snapshots: list[Any] = []
    cluster.put_core(pull_secret(SECRETS["registry password"]))
    cluster.put_core(app_secret(SECRETS["env secret"]))
    cluster.create(container_group("web", **secret_spec()))
    snapshots.append(cluster.wait("web", is_ready, timeout=60))
    [instance] = emulator.instances()
    env = {e["Key"]: e.get("Value") for e in instance["Containers"][0]["EnvironmentVars"]}
    assert env["DB_PASSWORD"] == SECRETS["env secret"]  # the value did reach ECI

    # Rotation of both Secrets: the operator must update ECI without ever printing the values.
    emulator.clear_requests()
    cluster.put_core(pull_secret(SECRETS["rotated registry password"]))
    cluster.put_core(app_secret(SECRETS["rotated env secret"]))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        [instance] = emulator.instances()
        env = {e["Key"]: e.get("Value") for e in instance["Containers"][0]["EnvironmentVars"]}
        if env["DB_PASSWORD"] == SECRETS["rotated env secret"] and instance["Status"] == "Running":
            break
        time.sleep(0.3)
    assert env["DB_PASSWORD"] == SECRETS["rotated env secret"]
    assert emulator.requests("UpdateContainerGroup")
    snapshots.append(cluster.wait("web", is_ready, timeout=60))

    # Drift of the secret-bearing container: detected, reported in status, corrected.
    emulator.patch(
        instance["ContainerGroupId"],
        {"Containers": [{"Name": "web", "Image": "registry.example.com/shop/web:drift"}]},
    )
    deadline = time.monotonic() + 30
    while emulator.instance(instance["ContainerGroupId"])["Containers"][0]["Image"].endswith("drift"):
        assert time.monotonic() < deadline, "drift not corrected"
        time.sleep(0.3)
    snapshots.append(cluster.wait("web", is_ready, timeout=60))

    # The Secret-derived env var becomes a literal while updatePolicy forbids the restart: the
    # blocked plan (status.plan, the UpdateBlocked Event) shows the change, not the value the
    # instance still holds.
    containers = secret_spec()["containers"]
    containers[0]["env"][1] = {"name": "DB_PASSWORD", "value": "no-longer-secret"}
    cluster.patch_spec("web", {"updatePolicy": "InPlaceOnly", "containers": containers})
    blocked = cluster.wait("web", is_stalled, timeout=60)
    assert "(sensitive value) -> " in json.dumps(blocked["status"]["plan"])
    snapshots.append(blocked)

    # A refusal by ECI of a request that carries the secrets: the Stalled message must not echo them.
    broken = container_group("broken", **secret_spec())
    del broken["spec"]["cpu"], broken["spec"]["memory"]
    broken["spec"]["containers"][0]["resources"] = {"requests": {"memory": "1000Gi"}}
    cluster.create(broken)
    snapshots.append(cluster.wait("broken", is_stalled, timeout=60))
    snapshots.append(cluster.events())

    cluster.delete("web")
    cluster.delete("broken")
    cluster.wait_gone("web", timeout=60)
    cluster.wait_gone("broken", timeout=60)
    assert emulator.instances() == []

    sources = {
        "operator log (debug)": operator.log(),
        "events": json.dumps(cluster.events()),
        "containergroups (status, annotations, at every step)": json.dumps(snapshots),
        "metrics": operator.metrics(),
        "emulator request log": json.dumps(emulator.requests()),
    }
    assert "ECI request" in sources["operator log (debug)"]  # debug lines were there to leak into
    found = {
        (what, where): text.count(value) + text.count(b64(value))
        for what, value in SECRETS.items()
        for where, text in sources.items()
        if value in text or b64(value) in text
    }
    assert found == {}, found
    record(
        "secrets",
        secret_values=len(SECRETS),
        sources=sorted(sources),
        bytes_scanned=sum(len(t) for t in sources.values()),
        found=len(found),
    )
