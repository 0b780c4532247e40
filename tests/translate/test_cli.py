"""``eci-operator render`` and ``eci-operator plan`` as a user runs them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from eci_operator.cli import main
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.translate import References, fingerprints, parse_group, translate
from tests.api.corpus import EXAMPLES, INVALID

WORKER = EXAMPLES / "worker.yaml"


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_render_every_example(capsys: Any, example: str) -> None:
    code, out, err = run(capsys, "render", "-f", str(EXAMPLES / example))
    assert code == 0, err
    params = json.loads(out)
    assert params["RegionId"] and params["Container.1.Name"]


def test_render_masks_secret_values_unless_asked(capsys: Any) -> None:
    code, out, _ = run(capsys, "render", "-f", str(WORKER))
    assert code == 0
    params = json.loads(out)
    assert "change-me" not in out and "change-me-too" not in out
    assert params["ImageRegistryCredential.1.Password"] == "(sensitive value)"
    assert params["ImageRegistryCredential.1.Server"] == "registry-vpc.cn-hangzhou.aliyuncs.com"
    env = {
        params[k]: params[k.replace(".Key", ".Value")]
        for k in params
        if k.startswith("Container.1.EnvironmentVar.") and k.endswith(".Key")
    }
    assert env == {
        "DB_PASSWORD": "(sensitive value)",
        "QUEUE": "orders",
    }  # ConfigMap/literal values stay visible
    assert params["Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content"] == "(sensitive value)"

    code, out, _ = run(capsys, "render", "-f", str(WORKER), "--show-secrets")
    params = json.loads(out)
    assert params["ImageRegistryCredential.1.Password"] == "change-me"
    assert params["InitContainer.1.EnvironmentVar.1.Value"] == "change-me-too"


def test_render_update_action(capsys: Any) -> None:
    code, out, _ = run(
        capsys, "render", "-f", str(EXAMPLES / "adopt.yaml"), "--action", "UpdateContainerGroup"
    )
    assert code == 0
    params = json.loads(out)
    assert params["ContainerGroupId"] == "eci-uf6example0000000001"
    assert params["UpdateType"] == "IncrementalUpdate"
    assert "ContainerGroupName" not in params and "ZoneId" not in params  # not updatable


def test_render_secrets_from_separate_files(capsys: Any, tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all(WORKER.read_text()))
    group = next(d for d in docs if d["kind"] == "ContainerGroup")
    (tmp_path / "cg.yaml").write_text(yaml.safe_dump(group))
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump_all([d for d in docs if d["kind"] == "Secret"]))
    code, _, err = run(capsys, "render", "-f", str(tmp_path / "cg.yaml"))
    assert code == 1 and "spec.imagePullSecrets[0]: Secret 'worker-registry' not found" in err
    code, _, err = run(
        capsys, "render", "-f", str(tmp_path / "cg.yaml"), "-f", str(tmp_path / "secrets.yaml")
    )
    assert code == 0, err


def test_render_refusal_names_the_field(capsys: Any) -> None:
    code, out, err = run(capsys, "render", "-f", str(INVALID / "port-out-of-range.yaml"))
    assert code == 1 and out == ""
    assert err.startswith("error: spec.containers[0].ports[0].containerPort: ")


@pytest.mark.parametrize("case", sorted(INVALID.glob("name-*.yaml")), ids=lambda p: p.stem)
def test_render_refuses_names_that_are_not_object_names(capsys: Any, case: Path) -> None:
    field = case.read_text().splitlines()[0].removeprefix("# field: ")
    code, out, err = run(capsys, "render", "-f", str(case))
    assert code == 1 and out == ""
    assert err.startswith(f"error: {field}: must be a lowercase RFC 1123 subdomain"), err


def test_render_uses_only_objects_of_the_groups_namespace(capsys: Any, tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all(WORKER.read_text()))
    group = next(d for d in docs if d["kind"] == "ContainerGroup")
    group["metadata"]["namespace"] = "shop"
    for doc in docs:
        if doc["kind"] == "Secret":
            doc["metadata"]["namespace"] = "victim"
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(docs))
    code, out, err = run(capsys, "render", "-f", str(tmp_path / "all.yaml"))
    assert code == 1 and out == ""
    assert "is in namespace 'victim'" in err


def test_render_needs_exactly_one_group(capsys: Any, tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("kind: ConfigMap\nmetadata: {name: x}\n")
    code, _, err = run(capsys, "render", "-f", str(tmp_path / "empty.yaml"))
    assert code == 1 and "exactly one ContainerGroup" in err


# ------------------------------------------------------------------ plan against the emulator


@pytest.fixture
def keys(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emulator.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emulator.access_key_secret)
    return emulator


def _create(emulator: Any, manifest: dict[str, Any], refs: References | None = None) -> str:
    desired = translate(parse_group(manifest), refs)

    async def go() -> str:
        creds = StaticCredentials(emulator.access_key_id, emulator.access_key_secret)
        async with EciClient(region_id="cn-hangzhou", credentials=creds, endpoint=emulator.url) as client:
            return (await client.create_container_group(desired.request)).container_group_id

    return asyncio.run(go())


MANIFEST: dict[str, Any] = {
    "apiVersion": "eci.operator.dev/v1alpha1",
    "kind": "ContainerGroup",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "regionId": "cn-hangzhou",
        "tags": {"team": "a"},
        "containers": [{"name": "web", "image": "nginx:1.27"}],
    },
}


def test_plan_against_the_live_instance(capsys: Any, keys: Any, tmp_path: Path) -> None:
    gid = _create(keys, MANIFEST)
    changed = json.loads(json.dumps(MANIFEST))
    changed["spec"]["tags"]["team"] = "b"
    changed["spec"]["containers"][0]["image"] = "nginx:1.28"
    # status as `kubectl get -o yaml` shows it: the ID and the applied fingerprints
    changed["status"] = {
        "containerGroupId": gid,
        "appliedFingerprints": fingerprints(translate(parse_group(MANIFEST))).to_dict(),
    }
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump(changed))
    code, out, err = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0, err
    assert f"ECI instance {gid}" in out
    assert '~ Tag  (NoRestart)\n    Tag[team]: "a" -> "b"' in out
    assert '~ Container  (Restart)\n    Container[web].Image: "nginx:1.27" -> "nginx:1.28"' in out
    assert out.rstrip().endswith("overall impact: Restart.")
    assert not keys.requests("UpdateContainerGroup")  # plan only reads


def test_plan_finds_the_instance_by_name_and_reports_no_changes(
    capsys: Any, keys: Any, tmp_path: Path
) -> None:
    _create(keys, MANIFEST)
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump(MANIFEST))
    code, out, _ = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0
    assert "No changes" in out


def test_plan_without_an_instance(capsys: Any, keys: Any, tmp_path: Path) -> None:
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump(MANIFEST))
    code, out, _ = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0 and "applying would create it" in out


def test_plan_says_when_update_policy_forbids_it(capsys: Any, keys: Any, tmp_path: Path) -> None:
    gid = _create(keys, MANIFEST)
    changed = json.loads(json.dumps(MANIFEST))
    changed["spec"].update(containerGroupId=gid, updatePolicy="InPlaceOnly", restartPolicy="Never")
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump(changed))
    code, out, _ = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0
    assert "~ RestartPolicy  (Restart)" in out
    assert "updatePolicy InPlaceOnly does not allow this plan (Restart)." in out


def test_plan_keeps_the_operators_ownership_tags(capsys: Any, keys: Any, tmp_path: Path) -> None:
    from eci_operator.translate import ownership_tags

    owner = ownership_tags(cluster="prod", namespace="shop", name="web", uid="0f1e")
    desired = translate(parse_group(MANIFEST), owner_tags=owner)

    async def go() -> str:
        creds = StaticCredentials(keys.access_key_id, keys.access_key_secret)
        async with EciClient(region_id="cn-hangzhou", credentials=creds, endpoint=keys.url) as client:
            return (await client.create_container_group(desired.request)).container_group_id

    gid = asyncio.run(go())
    manifest = {
        **MANIFEST,
        "status": {"containerGroupId": gid, "appliedFingerprints": fingerprints(desired).to_dict()},
    }
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump(manifest))
    code, out, _ = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0
    assert "No changes" in out, out


def test_plan_never_shows_the_secret_an_env_var_held_before_it_became_a_literal(
    capsys: Any, keys: Any, tmp_path: Path
) -> None:
    token = "tok-7c1e9a3f5b"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app"}, "stringData": {"t": token}}
    applied = json.loads(json.dumps(MANIFEST))
    applied["spec"]["containers"][0]["env"] = [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app", "key": "t"}}}
    ]
    refs = References.from_objects([secret])
    gid = _create(keys, applied, refs)
    changed = json.loads(json.dumps(applied))
    changed["spec"]["containers"][0]["env"] = [{"name": "TOKEN", "value": "plain"}]
    changed["status"] = {
        "containerGroupId": gid,
        "appliedFingerprints": fingerprints(translate(parse_group(applied), refs)).to_dict(),
    }
    path = tmp_path / "cg.yaml"
    path.write_text(yaml.safe_dump_all([changed, secret]))
    code, out, err = run(capsys, "plan", "-f", str(path), "--endpoint", keys.url)
    assert code == 0, err
    assert 'Container[web].EnvironmentVars[TOKEN].Value: (sensitive value) -> "plain"' in out
    assert token not in out + err
