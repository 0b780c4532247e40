"""What the batched observer keeps per ContainerGroup: the heap cost of one cached Describe answer.

    python -m tests.bench.group_memory [N]

Builds N instances in an in-process emulator (one container with env, a probe, ports, a
config-file volume, the ownership tags), reads them as the controller does (20 IDs per
DescribeContainerGroups, with and without ``WithEvent``) and measures with tracemalloc the heap
held by the parsed models, and by the compressed JSON the observer keeps instead. Each instance
carries the ECI events of its lifecycle plus a crash loop (aggregated by ECI: a few entries).
It also measures what the controller keeps of each ContainerGroup's body (``ObjectMemory``): the
parsed watch body without ``managedFields`` (as kept before) and the packed form kept now.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from typing import Any

from eci_operator.controller.memory import ObjectMemory
from eci_operator.controller.runtime import pack_group
from eci_operator.eci.models import ContainerGroupOut
from eci_operator.emulator import admin
from eci_operator.emulator.actions import describe
from eci_operator.emulator.state import Store


def example(i: int) -> dict[str, Any]:
    return {
        "ContainerGroupName": f"web-{i}",
        "Tags": [
            {"Key": f"eci.operator.dev/{k}", "Value": f"value-{k}-{i}"}
            for k in ("cluster", "namespace", "name", "uid")
        ],
        "Containers": [
            {
                "Name": "web",
                "Image": "registry.example.com/shop/web:1.27.3",
                "Cpu": 0.5,
                "Memory": 1.0,
                "Ports": [{"Port": 80, "Protocol": "TCP"}],
                "EnvironmentVars": [{"Key": f"VAR_{n}", "Value": f"value-{n}-{i}"} for n in range(8)],
                "ReadinessProbe": {
                    "HttpGet": {"Path": "/healthz", "Port": 80, "Scheme": "HTTP"},
                    "PeriodSeconds": 5,
                },
                "VolumeMounts": [{"Name": "conf", "MountPath": "/etc/nginx/conf.d", "ReadOnly": True}],
            }
        ],
        "Volumes": [
            {
                "Name": "conf",
                "Type": "ConfigFileVolume",
                "ConfigFileVolumeConfigFileToPaths": [
                    {"Path": "default.conf", "Content": "c2VydmVyIHsgbGlzdGVuIDgwOyB9" * 4}
                ],
            }
        ],
    }


def running_body(i: int) -> dict[str, Any]:
    """A Running ContainerGroup as the apiserver sends it (the bench's spec, defaults filled in,
    the status the operator writes), without ``managedFields``."""
    gid = f"eci-{i:020d}"
    stamp = "2026-12-02T13:23:47Z"
    conditions = [
        {
            "lastTransitionTime": stamp,
            "message": m,
            "observedGeneration": 1,
            "reason": r,
            "status": st,
            "type": t,
        }
        for t, st, r, m in (
            ("Ready", "True", "Running", f"instance {gid} is running"),
            ("Reconciling", "False", "Settled", ""),
            ("Stalled", "False", "NotStalled", ""),
        )
    ]
    return {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {
            "creationTimestamp": stamp,
            "finalizers": ["eci.operator.dev/finalizer"],
            "generation": 1,
            "name": f"cg-{i}",
            "namespace": "live-5000",
            "resourceVersion": str(1000 + i),
            "uid": f"0e4a0f9b-4bc7-447d-a3f9-{i:012d}",
        },
        "spec": {
            "containers": [
                {"image": "nginx:1.27", "name": "web", "ports": [{"containerPort": 80, "protocol": "TCP"}]}
            ],
            "cpu": 1,
            "deletionPolicy": "Delete",
            "driftPolicy": "Enforce",
            "memory": 2,
            "regionId": "cn-hangzhou",
            "restartPolicy": "Always",
            "tags": {"app": "bench"},
            "unenforceableFields": "Refuse",
            "updatePolicy": "AllowRestart",
        },
        "status": {
            "appliedFingerprints": {
                "envKeys": {"web": []},
                "imageRegistryCredentialCount": 0,
                "tagKeys": [
                    "app",
                    *(f"eci.operator.dev/{k}" for k in ("cluster", "name", "namespace", "uid")),
                ],
            },
            "conditions": conditions,
            "containerGroupId": gid,
            "containers": [
                {
                    "name": "web",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": stamp}},
                }
            ],
            "internalIp": f"172.16.{i // 250}.{i % 250}",
            "lastObservedTime": stamp,
            "observedGeneration": 1,
            "phase": "Running",
        },
    }


def measure_bodies(n: int, packed: bool) -> float:
    wire = [json.dumps(running_body(i)) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [ObjectMemory.of(json.loads(w)) if packed else json.loads(w) for w in wire]
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(kept) == n
    return held / n


def measure(store: Store, ids: list[str], with_event: bool, packed: bool = False) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept: list[object] = []
    for start in range(0, len(ids), 20):
        params = {
            "RegionId": "cn-hangzhou",
            "ContainerGroupIds": json.dumps(ids[start : start + 20]),
            "WithEvent": with_event,
        }
        body = json.loads(json.dumps(describe(store, params)))  # as off the wire
        models = [ContainerGroupOut.model_validate(g) for g in body["ContainerGroups"]]
        if packed:
            kept.extend(pack_group(m) for m in models)
        else:
            kept.extend(models)
        del models
        del body
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(kept) == len(ids)
    return held / len(ids)


def main(n: int) -> None:
    store = Store(0.0)
    ids = [admin.seed(store, example(i)).id for i in range(n)]
    for ident in ids:  # a crash loop, as ECI records it: aggregated warnings
        for restart in range(1, 4):
            admin.patch(
                store,
                ident,
                {
                    "Containers": [
                        {
                            "Name": "web",
                            "RestartCount": restart,
                            "CurrentState": {"State": "Waiting", "Reason": "CrashLoopBackOff"},
                        }
                    ]
                },
            )
            admin.patch(store, ident, {"Containers": [{"Name": "web", "CurrentState": {"State": "Running"}}]})
    events = sum(len(store.instances[i].view["Events"]) for i in ids) / n
    full = measure(store, ids, True)
    lean = measure(store, ids, False)
    packed = measure(store, ids, False, packed=True)
    print(f"N={n}, ECI events per instance: {events:.1f}")
    print(f"cached Describe model per group, with events:    {full / 1024:.1f} KiB")
    print(f"cached Describe model per group, without events: {lean / 1024:.1f} KiB")
    print(f"as the observer keeps it (compressed JSON):      {packed / 1024:.2f} KiB")
    print(f"ContainerGroup body as parsed dicts (kept before): {measure_bodies(n, False) / 1024:.2f} KiB")
    print(f"the whole ObjectMemory, body packed (kept now):  {measure_bodies(n, True) / 1024:.2f} KiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
