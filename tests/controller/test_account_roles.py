"""EciAccounts on a RAM role: ``credentials.assumeRole`` (signed with the operator's own keys) and
``credentials.rrsa`` (a projected ServiceAccount token). Each account's instance is created with
the role's temporary keys, renewed as they expire, the token file read again at each renewal; a
role or token STS refuses stalls the ContainerGroup with NoCredentials naming the role, and no ECI
call is made for it.

One emulator serves the accounts' STS and ECI (its issued keys live 3 s, so renewals happen within
the test); the operator's own endpoint must hear nothing. Kubernetes is in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.controller.harness import MemoryKube, memory_controller
from tests.controller.test_accounts import add, condition, until
from tests.support.emulator import EmulatorHandle, launch

ROLE = "acs:ram::1234567890:role/team-eci"
PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c123"
TOKEN_1 = "eyJhbGciOiJSUzI1NiJ9.first.sig1"
TOKEN_2 = "eyJhbGciOiJSUzI1NiJ9.second.sig2"
REFUSED = "eyJhbGciOiJSUzI1NiJ9.refused.sig0"
REFRESH = 0.3


@pytest.fixture
def role_endpoint() -> Iterator[EmulatorHandle]:
    # Accepts the operator's own key pair (to sign AssumeRole) and the keys its STS issues.
    handle = launch(
        role=[ROLE], oidc_provider={PROVIDER: [TOKEN_1, TOKEN_2]}, sts_lifetime=3, transition_delay=0.1
    )
    yield handle
    handle.stop()


def account(name: str, em: EmulatorHandle, credentials: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {
        "kind": "EciAccount",
        "metadata": {"namespace": "", "name": name, "generation": 1},
        "spec": {
            "endpoint": em.url,
            "stsEndpoint": em.url,
            "credentials": credentials,
            "allowedNamespaces": [namespace],
        },
    }


def rrsa(token_file: Path) -> dict[str, Any]:
    return {"rrsa": {"roleArn": ROLE, "oidcProviderArn": PROVIDER, "oidcTokenFile": str(token_file)}}


def ready(kube: MemoryKube, name: str) -> dict[str, Any]:
    body = kube.get("EciAccount", "", name) or {}
    return dict(next(iter((body.get("status") or {}).get("conditions") or [{}])))


async def test_role_accounts_create_with_temporary_keys_renewed_and_refused_roles_reach_no_eci(
    emulator: Any, role_endpoint: EmulatorHandle, tmp_path: Path
) -> None:
    em = role_endpoint
    token, refused = tmp_path / "token", tmp_path / "refused"
    token.write_text(TOKEN_1)
    refused.write_text(REFUSED)
    kube, controller = memory_controller(emulator, account_refresh=REFRESH, resync=1.0, gone_grace=1.0)
    kube.put(account("assumed", em, {"assumeRole": {"roleArn": ROLE}}, "team-r"))
    kube.put(account("oidc", em, rrsa(token), "team-o"))
    no_such = "acs:ram::1234567890:role/no-such-role"
    kube.put(account("wrong-role", em, {"assumeRole": {"roleArn": no_such}}, "team-r"))
    kube.put(account("wrong-token", em, rrsa(refused), "team-o"))
    await emulator.aclear_requests()
    controller.start()
    try:
        add(kube, controller, "team-r", "web", "assumed")
        add(kube, controller, "team-o", "web", "oidc")
        add(kube, controller, "team-r", "nope", "wrong-role")
        add(kube, controller, "team-o", "nope", "wrong-token")

        async def settled() -> bool:
            web = [condition(kube, ns, "web", "Ready").get("status") for ns in ("team-r", "team-o")]
            nope = [condition(kube, ns, "nope", "Stalled").get("reason") for ns in ("team-r", "team-o")]
            return web == ["True", "True"] and nope == ["NoCredentials"] * 2

        await until(settled)
        assert len(await em.ainstances()) == 2
        wrong_role = condition(kube, "team-r", "nope", "Stalled")["message"]
        assert no_such in wrong_role and "EntityNotExist.Role" in wrong_role
        wrong_token = condition(kube, "team-o", "nope", "Stalled")["message"]
        assert ROLE in wrong_token and "AuthenticationFail.OIDCToken.InvalidSignature" in wrong_token
        assert "refused" not in wrong_token
        await until(lambda: _now(ready(kube, "wrong-role").get("reason") == "NoCredentials"))
        await until(lambda: _now(ready(kube, "assumed").get("reason") == "CredentialsValid"))

        requests = await em.arequests()
        sts = {"AssumeRole", "AssumeRoleWithOIDC"}
        eci = [r for r in requests if r["Action"] not in sts]
        assert eci and all(str(r["AccessKeyId"]).startswith("STS.") for r in eci)
        assert {r["AccessKeyId"] for r in requests if r["Action"] == "AssumeRole"} == {emulator.access_key_id}
        assert {r["AccessKeyId"] for r in requests if r["Action"] == "AssumeRoleWithOIDC"} == {None}
        assert TOKEN_1 not in str(requests) and REFUSED not in str(requests)
        for ns in ("team-r", "team-o"):
            uid = (kube.get("ContainerGroup", ns, "nope") or {})["metadata"]["uid"]
            assert not [r for r in eci if uid in str(r["Params"])]
        assert await emulator.arequests() == []  # the operator's own endpoint heard nothing

        # The kubelet rotates the token; the keys expire and are renewed with the new token, and an
        # edit made after that is applied with the renewed keys, without a failed call.
        token.write_text(TOKEN_2)
        await em.aclear_requests()

        async def renewed() -> bool:
            return any(r["Action"] == "AssumeRoleWithOIDC" for r in await em.arequests())

        await until(renewed)
        await em.aclear_requests()
        controller.on_containergroup_event("MODIFIED", kube.edit_spec("team-o", "web", tags={"team": "o"}))

        async def edited() -> bool:
            instances = await em.ainstances()
            return any({"Key": "team", "Value": "o"} in i["Tags"] for i in instances)

        await until(edited)
        updates = await em.arequests("UpdateContainerGroup")
        assert updates and all(r["Code"] is None for r in updates)
        refused_sessions = {"eci-operator-wrong-role", "eci-operator-wrong-token"}
        failed = [
            r
            for r in await em.arequests()
            if r["Code"] is not None and r["Params"].get("RoleSessionName") not in refused_sessions
        ]
        assert failed == []

        # Deletion goes through the same temporary keys.
        controller.on_containergroup_event("MODIFIED", kube.delete("team-o", "web"))

        async def deleted() -> bool:
            body = kube.get("ContainerGroup", "team-o", "web")
            return body is None or "eci.operator.dev/finalizer" not in body["metadata"].get("finalizers", [])

        await until(deleted)
        assert len(await em.ainstances()) == 1
        deletes = await em.arequests("DeleteContainerGroup")
        assert deletes and all(str(r["AccessKeyId"]).startswith("STS.") for r in deletes)
    finally:
        await controller.stop()


async def _now(value: bool) -> bool:
    return value
