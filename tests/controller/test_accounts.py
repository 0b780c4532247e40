"""EciAccounts: each ContainerGroup's ECI calls go to its account's endpoint with its account's keys;
a namespace the account does not allow gets AccountNotAllowed and no call reaches any endpoint;
a rotated Secret switches the calls to the new key without a failed reconcile.

Three emulators on loopback: the operator's own endpoint (which must hear nothing from account
objects) and one per account, each accepting only its account's key pairs. Kubernetes is in memory.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from eci_operator.controller.runtime import Controller
from tests.controller.harness import MemoryKube, memory_controller
from tests.support.emulator import EmulatorHandle, launch
from tests.support.manifests import container_group

REFRESH = 0.3


@pytest.fixture
def accounts() -> Iterator[tuple[EmulatorHandle, EmulatorHandle]]:
    a = launch(access_key_id="KEYA1", access_key_secret="secret-a1", transition_delay=0.1)
    b = launch(
        access_key_id="KEYB1",
        access_key_secret="secret-b1",
        extra_access_key="KEYB2:secret-b2",
        transition_delay=0.1,
    )
    yield a, b
    a.stop()
    b.stop()


def keys(namespace: str, name: str, key_id: str, secret: str) -> dict[str, Any]:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return {
        "kind": "Secret",
        "metadata": {"namespace": namespace, "name": name},
        "data": {"accessKeyId": b64(key_id), "accessKeySecret": b64(secret)},
    }


def account(name: str, endpoint: str, secret: str, **allow: Any) -> dict[str, Any]:
    return {
        "kind": "EciAccount",
        "metadata": {"namespace": "", "name": name},
        "spec": {
            "endpoint": endpoint,
            "credentials": {"secretRef": {"namespace": "ops", "name": secret}},
            **allow,
        },
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"namespace": "", "name": name, "labels": labels}}


def condition(kube: MemoryKube, ns: str, name: str, type_: str) -> dict[str, Any]:
    body = kube.get("ContainerGroup", ns, name) or {}
    for c in (body.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    return {}


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(30):
        while True:
            if await check():
                return
            await asyncio.sleep(0.1)


async def _async(value: bool) -> bool:
    return value


def add(kube: MemoryKube, controller: Controller, ns: str, name: str, account_name: str) -> None:
    body = container_group(name=name, namespace=ns, accountRef={"name": account_name})
    controller.on_containergroup_event("ADDED", kube.put(body))


async def test_each_account_its_endpoint_and_keys_and_a_forbidden_namespace_reaches_none(
    emulator: Any, accounts: tuple[EmulatorHandle, EmulatorHandle]
) -> None:
    em_a, em_b = accounts
    kube, controller = memory_controller(emulator, account_refresh=REFRESH, resync=1.0)
    kube.put(keys("ops", "a-keys", "KEYA1", "secret-a1"))
    kube.put(keys("ops", "b-keys", "KEYB1", "secret-b1"))
    kube.put(account("team-a", em_a.url, "a-keys", allowedNamespaces=["team-a"]))
    kube.put(account("team-b", em_b.url, "b-keys", namespaceSelector={"matchLabels": {"team": "b"}}))
    kube.put(keys("ops", "stale-keys", "KEYA1", "not-the-secret"))
    kube.put(account("stale", em_a.url, "stale-keys", allowedNamespaces=["team-a"]))
    kube.put(namespace("team-a"))
    kube.put(namespace("shop-b", team="b"))
    kube.put(namespace("intruder", team="x"))
    await emulator.aclear_requests()
    controller.start()
    try:
        add(kube, controller, "team-a", "web", "team-a")
        add(kube, controller, "shop-b", "web", "team-b")
        add(kube, controller, "intruder", "uses-a", "team-a")  # not in allowedNamespaces
        add(kube, controller, "intruder", "uses-b", "team-b")  # labels do not match the selector
        add(kube, controller, "team-a", "uses-b", "team-b")  # an allowed namespace of another account
        add(kube, controller, "team-a", "ghost", "no-such-account")
        add(kube, controller, "team-a", "stale", "stale")

        async def settled() -> bool:
            ready = [condition(kube, ns, "web", "Ready").get("status") for ns in ("team-a", "shop-b")]
            refused = [
                condition(kube, ns, name, "Stalled").get("reason")
                for ns, name in (("intruder", "uses-a"), ("intruder", "uses-b"), ("team-a", "uses-b"))
            ]
            return ready == ["True", "True"] and refused == ["AccountNotAllowed"] * 3

        await until(settled)
        assert condition(kube, "team-a", "ghost", "Stalled")["reason"] == "AccountNotFound"
        assert (kube.get("ContainerGroup", "shop-b", "web") or {})["status"]["account"] == "team-b"

        def account_ready(name: str) -> dict[str, Any]:
            body = kube.get("EciAccount", "", name) or {}
            (ready,) = (body.get("status") or {}).get("conditions") or [{}]
            return dict(ready)

        assert account_ready("team-a")["reason"] == "CredentialsValid"
        assert account_ready("team-b")["status"] == "True"

        def quota(name: str) -> dict[str, tuple[int, int]]:
            use = ((kube.get("EciAccount", "", name) or {}).get("status") or {}).get("quota") or {}
            return {a["action"]: (a["usedLastMinute"], a["limitPerMinute"]) for a in use.get("actions", [])}

        # Each account's status shows its own quota use: team-b's one Create, and its reads.
        await until(lambda: _async(quota("team-b").get("CreateContainerGroup") == (1, 1000)))
        assert quota("team-b")["DescribeContainerGroups"][0] >= 1
        assert quota("team-b")["DescribeContainerGroups"][1] == 2000
        assert quota("team-a").get("CreateContainerGroup") == (1, 1000)
        await until(lambda: _async(account_ready("stale").get("reason") == "AuthFailed"))
        assert "not-the-secret" not in str(kube.get("EciAccount", "", "stale"))
        assert "not-the-secret" not in str(kube.get("ContainerGroup", "team-a", "stale"))
        calls = {
            name: sorted(Counter(f"{r['Action']}:{r['Code'] or 'OK'}" for r in await em.arequests()).items())
            for name, em in (("team-a+stale", em_a), ("team-b", em_b), ("own", emulator))
        }
        print(f"\nECI calls per account until settled: {calls}")
        assert (
            "does not allow namespace intruder" in condition(kube, "intruder", "uses-a", "Stalled")["message"]
        )

        (in_a,) = await em_a.ainstances()
        (in_b,) = await em_b.ainstances()
        assert "team-a" in {t["Value"] for t in in_a["Tags"]}  # the ownership tags name the namespace
        assert "shop-b" in {t["Value"] for t in in_b["Tags"]}
        answered = [r for r in await em_a.arequests() if r["Code"] is None]  # the stale account's are refused
        assert answered and {r["AccessKeyId"] for r in answered} == {"KEYA1"}
        assert {r["AccessKeyId"] for r in await em_b.arequests()} == {"KEYB1"}
        assert await emulator.arequests() == []  # the operator's own endpoint heard nothing
        for ns, name in (("intruder", "uses-a"), ("intruder", "uses-b"), ("team-a", "uses-b")):
            body = kube.get("ContainerGroup", ns, name)
            assert body is not None
            assert "eci.operator.dev/finalizer" not in body["metadata"].get("finalizers", [])
            uid = body["metadata"]["uid"]
            for em in (em_a, em_b):
                assert not [r for r in await em.arequests() if uid in str(r["Params"])]

        samples = {
            s.labels["account"]
            for m in controller.metrics.registry.collect()
            if m.name == "eci_operator_eci_requests"
            for s in m.samples
        }
        assert {"team-a", "team-b"} <= samples  # metrics name the account

        # Rotation: the Secret now holds the second pair; the calls switch to it, none fails.
        await em_b.aclear_requests()
        kube.put(keys("ops", "b-keys", "KEYB2", "secret-b2"))
        await asyncio.sleep(2 * REFRESH)
        controller.on_containergroup_event(
            "MODIFIED", kube.edit_spec("shop-b", "web", tags={"team": "payments"})
        )

        async def rotated() -> bool:
            (instance,) = await em_b.ainstances()
            return {"Key": "team", "Value": "payments"} in instance["Tags"]

        await until(rotated)
        requests = await em_b.arequests()
        assert {r["AccessKeyId"] for r in requests} == {"KEYB2"}
        assert all(r["Code"] is None for r in requests)
        failed = [
            s
            for m in controller.metrics.registry.collect()
            if m.name == "eci_operator_reconcile"
            for s in m.samples
            if s.name.endswith("_total") and s.labels["result"] == "error" and s.value > 0
        ]
        assert failed == []
    finally:
        await controller.stop()
