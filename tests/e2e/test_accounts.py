"""An EciAccount on a real apiserver, under deploy/'s RBAC: the operator reads the account and its
Secret by name, creates the instance with the account's keys at the account's endpoint, and refuses
a namespace the account does not allow before calling anything.

``tests/controller/test_accounts.py`` covers two accounts, label selectors and key rotation in
memory; this test proves the CRD, the permissions and the process wiring.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import pytest

from tests.support.cluster import Cluster, condition, is_ready, is_stalled
from tests.support.emulator import EmulatorHandle
from tests.support.manifests import container_group
from tests.support.operator import SA_NAMESPACE

pytestmark = pytest.mark.kube

ACCOUNTS = "/apis/eci.operator.dev/v1alpha1/eciaccounts"


def test_a_container_group_uses_its_account_and_a_foreign_namespace_is_refused(
    cluster: Cluster, emulator: Any, start_emulator: Any, start_operator: Any, kube_env: Any
) -> None:
    team: EmulatorHandle = start_emulator(access_key_id="TEAMKEY1", access_key_secret="team-secret-1")
    kube_env.wait_crd_established("eciaccounts.eci.operator.dev")
    secret = f"team-keys-{uuid.uuid4().hex[:6]}"
    Cluster(kube_env, SA_NAMESPACE).put_core(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret},
            "data": {
                "accessKeyId": base64.b64encode(b"TEAMKEY1").decode(),
                "accessKeySecret": base64.b64encode(b"team-secret-1").decode(),
            },
        }
    )
    account = f"team-{uuid.uuid4().hex[:6]}"
    response = kube_env.http().post(
        ACCOUNTS,
        json={
            "apiVersion": "eci.operator.dev/v1alpha1",
            "kind": "EciAccount",
            "metadata": {"name": account},
            "spec": {
                "endpoint": team.url,
                "credentials": {"secretRef": {"namespace": SA_NAMESPACE, "name": secret}},
                "allowedNamespaces": [cluster.namespace],
            },
        },
    )
    assert response.status_code == 201, response.text
    outsider = f"outsider-{uuid.uuid4().hex[:6]}"
    kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": outsider}})
    elsewhere = Cluster(kube_env, outsider)

    # These two namespaces only (objects other tests left elsewhere would use the operator's own
    # endpoint); the operator's own keys are the session emulator's.
    start_operator([cluster.namespace, outsider], emulator)
    cluster.create(container_group("web", accountRef={"name": account}))
    elsewhere.create(container_group("web", accountRef={"name": account}))

    body = cluster.wait("web", is_ready)
    assert body["status"]["account"] == account
    refused = elsewhere.wait("web", is_stalled)
    assert condition(refused, "Stalled")["reason"] == "AccountNotAllowed"
    assert [i["ContainerGroupId"] for i in team.instances()] == [body["status"]["containerGroupId"]]
    assert {r["AccessKeyId"] for r in team.requests()} == {"TEAMKEY1"}
    assert emulator.instances() == [] and emulator.requests() == []  # nothing on the operator's own
    uid = refused["metadata"]["uid"]
    assert not [r for r in team.requests() if uid in str(r["Params"])]
    status = kube_env.http().get(f"{ACCOUNTS}/{account}").json().get("status") or {}
    assert [(c["type"], c["status"], c["reason"]) for c in status.get("conditions") or []] == [
        ("Ready", "True", "CredentialsValid")
    ]
    # The quota use, as the CRD's schema keeps it: this account's one Create among its calls.
    deadline = time.monotonic() + 30
    while True:
        status = kube_env.http().get(f"{ACCOUNTS}/{account}").json().get("status") or {}
        use = {a["action"]: a for a in (status.get("quota") or {}).get("actions", [])}
        if "CreateContainerGroup" in use:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert (use["CreateContainerGroup"]["usedLastMinute"], use["CreateContainerGroup"]["limitPerMinute"]) == (
        1,
        1000,
    )
    assert status["quota"]["observedAt"].endswith("Z")
    kube_env.http().delete(f"{ACCOUNTS}/{account}")


def test_an_rrsa_account_creates_with_the_roles_temporary_keys(
    cluster: Cluster, emulator: Any, start_emulator: Any, start_operator: Any, kube_env: Any, tmp_path: Any
) -> None:
    """credentials.rrsa through the real apiserver's schema (stsEndpoint included) and the operator
    process: the token file is exchanged at the account's STS, the instance is created with the
    temporary keys, and the account reports them valid."""
    role = "acs:ram::1234567890:role/team-eci"
    provider = "acs:ram::1234567890:oidc-provider/ack-rrsa-e2e"
    token = "eyJhbGciOiJSUzI1NiJ9.e2e-token.sig"
    team: EmulatorHandle = start_emulator(role=[role], oidc_provider={provider: [token]})
    token_file = tmp_path / "token"
    token_file.write_text(token)
    kube_env.wait_crd_established("eciaccounts.eci.operator.dev")
    account = f"rrsa-{uuid.uuid4().hex[:6]}"
    response = kube_env.http().post(
        ACCOUNTS,
        json={
            "apiVersion": "eci.operator.dev/v1alpha1",
            "kind": "EciAccount",
            "metadata": {"name": account},
            "spec": {
                "endpoint": team.url,
                "stsEndpoint": team.url,
                "credentials": {
                    "rrsa": {"roleArn": role, "oidcProviderArn": provider, "oidcTokenFile": str(token_file)}
                },
                "allowedNamespaces": [cluster.namespace],
            },
        },
    )
    assert response.status_code == 201, response.text
    start_operator([cluster.namespace], emulator)
    cluster.create(container_group("web", accountRef={"name": account}))

    body = cluster.wait("web", is_ready)
    assert [i["ContainerGroupId"] for i in team.instances()] == [body["status"]["containerGroupId"]]
    requests = team.requests()
    exchanges = [r for r in requests if r["Action"] == "AssumeRoleWithOIDC"]
    assert exchanges and all(r["Code"] is None for r in exchanges)
    eci_keys = {r["AccessKeyId"] for r in requests if r["Action"] != "AssumeRoleWithOIDC"}
    assert eci_keys and all(str(k).startswith("STS.") for k in eci_keys)
    assert token not in str(requests)
    assert emulator.requests() == []  # nothing on the operator's own endpoint
    status = kube_env.http().get(f"{ACCOUNTS}/{account}").json().get("status") or {}
    assert [(c["type"], c["status"], c["reason"]) for c in status.get("conditions") or []] == [
        ("Ready", "True", "CredentialsValid")
    ]
    kube_env.http().delete(f"{ACCOUNTS}/{account}")
