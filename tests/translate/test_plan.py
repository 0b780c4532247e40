"""The update rules of UpdateContainerGroup, one test per rule, against a Describe written like ECI's."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from eci_operator.api.containergroup import Fingerprints, UpdatePolicy
from eci_operator.eci import models as eci
from eci_operator.eci.flatten import flatten
from eci_operator.translate import (
    Desired,
    Impact,
    Plan,
    References,
    fingerprints,
    normalise,
    ownership_tags,
    parse_group,
    plan,
    translate,
)
from eci_operator.translate.normalise import desired_state
from tests.translate.describe import describe, describe_dict
from tests.translate.helpers import BASE, change_of, config_map, dockerconfigjson, secret, shown

PASSWORD = "registry-pass-123"
DB_PASSWORD = "db-pass-456"
OWNER = ownership_tags(cluster="c1", namespace="shop", name="web", uid="0f1e2d3c")


def full_spec() -> dict[str, Any]:
    m = copy.deepcopy(BASE)
    m["spec"] = {
        "regionId": "cn-hangzhou",
        "zoneId": "cn-hangzhou-h",
        "vSwitchId": "vsw-a,vsw-b",
        "securityGroupId": "sg-1",
        "instanceType": "ecs.c6.large,ecs.c7.large",
        "cpu": 2,
        "memory": 4,
        "resourceGroupId": "rg-1",
        "tags": {"team": "shop"},
        "restartPolicy": "Always",
        "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
        "imagePullSecrets": [{"name": "reg"}],
        "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "name": "http"}],
                "env": [
                    {"name": "MODE", "value": "prod"},
                    {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                ],
                "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                "volumeMounts": [
                    {"name": "conf", "mountPath": "/etc/nginx/conf.d"},
                    {"name": "data", "mountPath": "/data"},
                ],
            },
            {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]},
        ],
        "volumes": [
            {"name": "conf", "configMap": {"name": "nginx"}},
            {"name": "data", "nfs": {"server": "nas.example", "path": "/data"}},
        ],
    }
    return m


def the_refs(
    password: str = PASSWORD, db: str = DB_PASSWORD, conf: str = "server {}", registries: int = 1
) -> References:
    auths = {f"reg{i}.example": {"username": "robot", "password": password} for i in range(registries)}
    return References.from_objects(
        [
            dockerconfigjson("reg", auths),
            secret("db", {"password": db}),
            config_map("nginx", {"default.conf": conf}),
        ]
    )


def make(patch: Callable[[dict[str, Any]], Any] | None = None, refs: References | None = None) -> Desired:
    m = full_spec()
    if patch is not None:
        patch(m["spec"])
    return translate(parse_group(m), refs or the_refs(), owner_tags=OWNER)


BASELINE = make()
APPLIED = fingerprints(BASELINE)


def observed(**kwargs: Any) -> eci.ContainerGroupOut:
    """The live instance as created from the baseline, with Describe's extras (image env, foreign tags)."""
    kwargs.setdefault("extra_tags", {"acs:ecs:system": "x", "cost-center": "42"})
    return describe(BASELINE.request, **kwargs)


def plan_for(
    patch: Callable[[dict[str, Any]], Any] | None = None,
    refs: References | None = None,
    applied: Fingerprints | None = APPLIED,
) -> Plan:
    return plan(make(patch, refs), observed(), applied)


def only(result: Plan, group: str, impact: Impact) -> None:
    assert result.groups == [group], result.render()
    assert result.changes[0].impact is impact, result.render()
    assert result.impact is impact


def sent_groups(result: Plan) -> set[str]:
    """Top-level parameter groups of the UpdateContainerGroup request."""
    assert result.update is not None
    keys = {k.split(".")[0] for k in flatten(result.update)}
    return keys - {"RegionId", "ContainerGroupId", "UpdateType"}


# ------------------------------------------------------------------ nothing changed


def test_nothing_changed_is_an_empty_plan() -> None:
    result = plan(BASELINE, observed(), APPLIED)
    assert result.empty, result.render()
    assert result.update is None and result.impact is None
    assert result.status() is None
    assert result.render().startswith("No changes")


def test_image_env_vars_and_foreign_tags_are_not_drift() -> None:
    o = observed(
        image_env={"PATH": "/bin", "JAVA_HOME": "/opt/java"}, extra_tags={"acs:x": "1", "billing": "b"}
    )
    assert plan(BASELINE, o, APPLIED).empty


def test_describe_normalisation_gives_the_desired_state() -> None:
    assert normalise(observed(), BASELINE, APPLIED) == desired_state(
        BASELINE.request, dict(BASELINE.sensitive.env)
    )


# ------------------------------------------------------------------ Tag: no restart


def test_tags_only_no_restart_and_foreign_tags_kept() -> None:
    result = plan_for(lambda s: s["tags"].update(team="checkout"))
    only(result, "Tag", Impact.NO_RESTART)
    assert sent_groups(result) == {"Tag"}
    assert result.update is not None
    sent = {t.key: t.value for t in result.update.tags or []}
    assert sent["team"] == "checkout"
    assert sent["cost-center"] == "42"  # someone else's tag survives the whole-group update
    assert "acs:ecs:system" not in sent  # system tags cannot be sent
    assert OWNER.items() <= sent.items()
    assert result.changes[0].changes == ('Tag[team]: "shop" -> "checkout"',)


def test_removed_tag_that_we_applied_is_removed() -> None:
    result = plan_for(lambda s: s.pop("tags"))
    only(result, "Tag", Impact.NO_RESTART)
    assert result.update is not None
    assert "team" not in {t.key for t in result.update.tags or []}


def test_removed_tag_unknown_to_status_is_treated_as_foreign() -> None:
    applied = APPLIED.model_copy(update={"tag_keys": None})
    assert plan_for(lambda s: s.pop("tags"), applied=applied).empty


# ------------------------------------------------------------------ ImageRegistryCredential


def test_credentials_only_not_growing_no_restart() -> None:
    result = plan_for(refs=the_refs(password="rotated-password"))
    only(result, "ImageRegistryCredential", Impact.NO_RESTART)
    assert sent_groups(result) == {"ImageRegistryCredential"}
    assert result.update is not None and result.update.image_registry_credentials is not None
    assert result.update.image_registry_credentials[0].password == "rotated-password"


def test_credentials_growing_restart() -> None:
    result = plan_for(refs=the_refs(registries=2))
    only(result, "ImageRegistryCredential", Impact.RESTART)
    assert "more credentials" in (result.changes[0].reason or "")
    assert result.update is not None and len(result.update.image_registry_credentials or []) == 2


def test_credentials_shrinking_no_restart() -> None:
    two = make(refs=the_refs(registries=2))
    result = plan(make(), describe(two.request), fingerprints(two))
    only(result, "ImageRegistryCredential", Impact.NO_RESTART)


def test_credentials_with_another_group_restart() -> None:
    result = plan_for(lambda s: s["tags"].update(team="x"), refs=the_refs(password="rotated"))
    assert result.groups == ["Tag", "ImageRegistryCredential"]
    assert change_of(result, "Tag").impact is Impact.NO_RESTART
    assert change_of(result, "ImageRegistryCredential").impact is Impact.RESTART
    assert result.impact is Impact.RESTART
    assert sent_groups(result) == {"Tag", "ImageRegistryCredential"}


def test_credentials_never_recorded_count_as_changed_and_growing() -> None:
    result = plan(
        BASELINE,
        observed(),
        APPLIED.model_copy(
            update={"image_registry_credential": None, "image_registry_credential_count": None}
        ),
    )
    only(result, "ImageRegistryCredential", Impact.RESTART)


def test_removing_every_credential_needs_a_new_instance() -> None:
    result = plan_for(lambda s: s.pop("imagePullSecrets"))
    only(result, "ImageRegistryCredential", Impact.REPLACE)
    assert result.update is None


# ------------------------------------------------------------------ restart groups


def test_container_change_restarts_and_sends_every_container() -> None:
    result = plan_for(lambda s: s["containers"][0].update(image="nginx:1.28"))
    only(result, "Container", Impact.RESTART)
    assert sent_groups(result) == {"Container"}
    assert result.update is not None and [c.name for c in result.update.containers or []] == [
        "web",
        "sidecar",
    ]
    assert result.changes[0].changes == ('Container[web].Image: "nginx:1.27" -> "nginx:1.28"',)


def test_init_container_change_restarts() -> None:
    result = plan_for(lambda s: s["initContainers"][0].update(image="busybox:1.37"))
    only(result, "InitContainer", Impact.RESTART)
    assert sent_groups(result) == {"InitContainer"}


def test_adding_an_init_container_restarts() -> None:
    result = plan_for(lambda s: s["initContainers"].append({"name": "init2", "image": "busybox"}))
    only(result, "InitContainer", Impact.RESTART)
    assert result.update is not None and [c.name for c in result.update.init_containers or []] == [
        "init",
        "init2",
    ]


def test_reordering_init_containers_restarts() -> None:
    def patch(s: dict[str, Any]) -> None:
        s["initContainers"] = [{"name": "b", "image": "x"}, {"name": "a", "image": "x"}]

    first = make(
        lambda s: s.update(initContainers=[{"name": "a", "image": "x"}, {"name": "b", "image": "x"}])
    )
    result = plan(make(patch), describe(first.request), fingerprints(first))
    only(result, "InitContainer", Impact.RESTART)


def test_removing_every_init_container_needs_a_new_instance() -> None:
    only(plan_for(lambda s: s.pop("initContainers")), "InitContainer", Impact.REPLACE)


def test_volume_change_restarts() -> None:
    result = plan_for(lambda s: s["volumes"][1]["nfs"].update(path="/other"))
    only(result, "Volume", Impact.RESTART)
    assert sent_groups(result) == {"Volume"}
    assert result.changes[0].changes == ('Volume[data].Path: "/data" -> "/other"',)


def test_config_map_content_change_restarts_through_fingerprints() -> None:
    result = plan_for(refs=the_refs(conf="server { listen 8080; }"))
    only(result, "Volume", Impact.RESTART)
    assert result.changes[0].changes == ("Volume[conf].Files[default.conf]: (sensitive value changed)",)


def test_dns_config_change_restarts() -> None:
    result = plan_for(lambda s: s["dnsConfig"].update(searches=["svc.local"]))
    only(result, "DnsConfig", Impact.RESTART)
    assert sent_groups(result) == {"DnsConfig"}


def test_removing_dns_config_needs_a_new_instance() -> None:
    only(plan_for(lambda s: s.pop("dnsConfig")), "DnsConfig", Impact.REPLACE)


def test_restart_policy_restarts() -> None:
    result = plan_for(lambda s: s.update(restartPolicy="OnFailure"))
    only(result, "RestartPolicy", Impact.RESTART)
    assert result.update is not None and result.update.restart_policy == "OnFailure"
    assert sent_groups(result) == {"RestartPolicy"}


# ------------------------------------------------------------------ replacement


@pytest.mark.parametrize(
    ("group", "patch"),
    [
        ("Cpu", lambda s: s.update(cpu=4, memory=4)),
        ("Memory", lambda s: s.update(memory=8)),
        ("ZoneId", lambda s: s.update(zoneId="cn-hangzhou-i")),
        ("VSwitchId", lambda s: s.update(vSwitchId="vsw-c")),
        ("SecurityGroupId", lambda s: s.update(securityGroupId="sg-2")),
        ("InstanceType", lambda s: s.update(instanceType="ecs.g7.large")),
        ("ContainerGroupName", lambda s: s.update(containerGroupName="shop-web-2")),
    ],
)
def test_instance_fields_need_a_new_instance(group: str, patch: Callable[[dict[str, Any]], Any]) -> None:
    result = plan_for(patch)
    only(result, group, Impact.REPLACE)
    assert result.update is None
    assert not result.allowed_by(UpdatePolicy.ALLOW_RESTART)
    assert result.allowed_by(UpdatePolicy.ALLOW_REPLACE)


def test_vswitch_and_instance_type_chosen_from_the_list_are_not_drift() -> None:
    # Describe reports the one vSwitch (vsw-b) and instance type (ecs.c6.large) ECI picked.
    o = observed()
    assert (o.v_switch_id, o.instance_type) == ("vsw-b", "ecs.c6.large")
    assert plan(BASELINE, o, APPLIED).empty


def test_replace_with_in_place_groups_still_lists_every_group() -> None:
    result = plan_for(lambda s: (s.update(zoneId="cn-hangzhou-k"), s["tags"].update(team="t")))
    assert result.groups == ["ZoneId", "Tag"]
    assert result.impact is Impact.REPLACE
    assert sent_groups(result) == {"Tag"}


# ------------------------------------------------------------------ write-only values and redaction


def test_secret_env_change_is_a_redacted_container_change() -> None:
    result = plan_for(refs=the_refs(db="new-db-password"))
    only(result, "Container", Impact.RESTART)
    assert result.changes[0].changes == (
        "Container[web].EnvironmentVars[DB_PASSWORD].Value: (sensitive value changed)",
    )
    status = result.status()
    shown = result.render() + repr(result) + repr(status) + str(status.to_dict() if status else "")
    for value in ("new-db-password", DB_PASSWORD, PASSWORD):
        assert value not in shown
    assert result.update is not None
    web = next(c for c in result.update.containers or [] if c.name == "web")
    assert {v.key: v.value for v in web.environment_vars or []}["DB_PASSWORD"] == "new-db-password"


def test_hidden_secret_env_in_describe_is_trusted_by_fingerprint() -> None:
    data = describe_dict(BASELINE.request)
    for var in data["Containers"][0]["EnvironmentVars"]:
        if var["Key"] == "DB_PASSWORD":
            var["Value"] = ""  # EnvironmentVarHide or a mangled value
    o = eci.ContainerGroupOut.model_validate(data)
    assert plan(BASELINE, o, APPLIED).empty
    # Without a recorded fingerprint the hidden value cannot be trusted: the container is re-sent.
    assert plan(BASELINE, o, APPLIED.model_copy(update={"secret_env": None})).groups == ["Container"]


def test_config_file_content_from_describe_is_not_trusted_when_recorded() -> None:
    data = describe_dict(BASELINE.request)
    data["Volumes"][0]["ConfigFileVolumeConfigFileToPaths"][0]["Content"] = ""
    o = eci.ContainerGroupOut.model_validate(data)
    assert plan(BASELINE, o, APPLIED).empty
    assert plan(BASELINE, o, APPLIED.model_copy(update={"config_files": None})).groups == ["Volume"]


def _db_password(**entry: Any) -> Callable[[dict[str, Any]], Any]:
    def patch(s: dict[str, Any]) -> None:
        s["containers"][0]["env"][2] = {"name": "DB_PASSWORD", **entry}

    return patch


SECRET_REPLACED_BY = {
    "a literal": _db_password(value="not-a-secret"),
    "a ConfigMap key": _db_password(valueFrom={"configMapKeyRef": {"name": "nginx", "key": "default.conf"}}),
    "the pod IP": _db_password(valueFrom={"fieldRef": {"fieldPath": "status.podIP"}}),
}


@pytest.mark.parametrize("patch", list(SECRET_REPLACED_BY.values()), ids=list(SECRET_REPLACED_BY))
def test_env_var_switched_from_a_secret_does_not_show_the_secret(
    patch: Callable[[dict[str, Any]], Any],
) -> None:
    """The instance still holds the Secret's value until the change is applied: the plan shows the
    change without it."""
    result = plan_for(patch)
    only(result, "Container", Impact.RESTART)
    assert DB_PASSWORD not in shown(result)
    assert (
        result.changes[0]
        .changes[0]
        .startswith("Container[web].EnvironmentVars[DB_PASSWORD].Value: (sensitive value) -> ")
    )


def test_init_container_env_switched_from_a_secret_does_not_show_the_secret() -> None:
    def secret_env(s: dict[str, Any]) -> None:
        s["initContainers"][0]["env"] = [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ]

    before = make(secret_env)
    after = make(lambda s: s["initContainers"][0].update(env=[{"name": "TOKEN", "value": "x"}]))
    result = plan(after, describe(before.request), fingerprints(before))
    only(result, "InitContainer", Impact.RESTART)
    assert DB_PASSWORD not in shown(result)
    assert result.changes[0].changes == (
        'InitContainer[init].EnvironmentVars[TOKEN].Value: (sensitive value) -> "x"',
    )


def test_secret_env_key_names_are_recorded_and_only_names() -> None:
    assert APPLIED.secret_env_keys == {"web": ["DB_PASSWORD"]}
    assert make(_db_password(value="x")).sensitive.env == {}
    assert fingerprints(make(_db_password(value="x"))).secret_env_keys is None


def test_literal_values_show_once_applied_in_clear() -> None:
    """Once the literal was applied, an out-of-band change of it shows both values again."""
    literal = make(_db_password(value="not-a-secret"))
    data = describe_dict(literal.request)
    for var in data["Containers"][0]["EnvironmentVars"]:
        if var["Key"] == "DB_PASSWORD":
            var["Value"] = "changed-by-hand"
    result = plan(literal, eci.ContainerGroupOut.model_validate(data), fingerprints(literal))
    assert result.changes[0].changes == (
        'Container[web].EnvironmentVars[DB_PASSWORD].Value: "changed-by-hand" -> "not-a-secret"',
    )


def test_without_a_record_of_secret_keys_no_observed_value_is_shown() -> None:
    """A status written before the Secret key names were recorded, or none at all (an adopted
    instance): which values came from a Secret is unknown, so none is shown."""
    older = APPLIED.model_copy(update={"secret_env_keys": None})
    assert plan(BASELINE, observed(), older).empty  # an older record alone is no reason to update
    patch = _db_password(value="not-a-secret")
    for applied in (older, None):
        result = plan_for(patch, applied=applied)
        assert DB_PASSWORD not in shown(result)
        assert "EnvironmentVars[DB_PASSWORD].Value: (sensitive value) -> " in shown(result)


def test_hidden_values_equal_to_the_spec_are_not_a_change() -> None:
    """Not showing an observed value never makes an unchanged variable look changed."""
    literal = make(_db_password(value="not-a-secret"))
    assert plan(literal, describe(literal.request), fingerprints(literal)).empty
    unrecorded = plan(literal, describe(literal.request), None)
    assert "Container" not in unrecorded.groups  # (registry credentials cannot be known equal)


def test_config_files_and_registry_credentials_switched_between_sources_show_no_value() -> None:
    """The sibling cases: a config-file volume moved from a Secret to a ConfigMap (and back), and
    registry credentials replaced, show that something changed, never a value."""
    from_secret = make(
        lambda s: s["volumes"].__setitem__(0, {"name": "conf", "secret": {"secretName": "db"}})
    )
    for before, after in ((from_secret, BASELINE), (BASELINE, from_secret)):
        result = plan(after, describe(before.request), fingerprints(before))
        assert "Volume" in result.groups
        assert DB_PASSWORD not in shown(result) and "server {}" not in shown(result)
    rotated = plan_for(refs=the_refs(password="rotated-pass"))
    assert rotated.groups == ["ImageRegistryCredential"]
    assert PASSWORD not in shown(rotated) and "rotated-pass" not in shown(rotated)


def test_removed_env_var_we_applied_is_removed() -> None:
    result = plan_for(lambda s: s["containers"][0]["env"].pop(0))
    only(result, "Container", Impact.RESTART)
    assert result.changes[0].changes == (
        # the old value is not shown: the spec no longer says it is not a secret
        'Container[web].EnvironmentVars[MODE]: {"Value": "(sensitive value)"} -> (unset)',
    )


def test_changed_image_env_override_is_a_change() -> None:
    result = plan_for(lambda s: s["containers"][0]["env"].append({"name": "PATH", "value": "/opt/bin"}))
    only(result, "Container", Impact.RESTART)


# ------------------------------------------------------------------ Describe gotchas


def test_describe_gotchas_are_not_drift() -> None:
    data = describe_dict(BASELINE.request)
    sidecar = data["Containers"][1]
    assert sidecar["Cpu"] == 0 and sidecar["ReadinessProbe"] == {"HttpGet": {}, "TcpSocket": {}, "Execs": []}
    assert sidecar["ImagePullPolicy"] == "IfNotPresent"  # filled in by ECI, not in the spec
    web = data["Containers"][0]
    web["ReadinessProbe"].update(PeriodSeconds=0, TimeoutSeconds=0)  # 0 = default
    web["VolumeMounts"][0]["MountPropagation"] = ""
    o = eci.ContainerGroupOut.model_validate(data)
    assert plan(BASELINE, o, APPLIED).empty


def test_out_of_band_change_is_detected() -> None:
    data = describe_dict(BASELINE.request)
    data["Containers"][0]["Image"] = "nginx:evil"
    data["Containers"][0]["ReadinessProbe"]["PeriodSeconds"] = 30
    result = plan(BASELINE, eci.ContainerGroupOut.model_validate(data), APPLIED)
    only(result, "Container", Impact.RESTART)
    assert set(result.changes[0].changes) == {
        'Container[web].Image: "nginx:evil" -> "nginx:1.27"',
        "Container[web].ReadinessProbe.PeriodSeconds: 30 -> 10",
    }


# ------------------------------------------------------------------ plan object


def test_policy_gates() -> None:
    tags = plan_for(lambda s: s["tags"].update(team="x"))
    restart = plan_for(lambda s: s.update(restartPolicy="Never"))
    assert tags.allowed_by(UpdatePolicy.IN_PLACE_ONLY)
    assert not restart.allowed_by(UpdatePolicy.IN_PLACE_ONLY)
    assert restart.allowed_by(UpdatePolicy.ALLOW_RESTART)


def test_digest_is_stable_and_tracks_content() -> None:
    a = plan_for(lambda s: s["tags"].update(team="x"))
    b = plan_for(lambda s: s["tags"].update(team="x"))
    c = plan_for(lambda s: s["tags"].update(team="y"))
    assert a.digest == b.digest != c.digest
    assert len(a.digest) == 64


def test_status_summary_and_render() -> None:
    result = plan_for(lambda s: (s["tags"].update(team="x"), s.update(cpu=4, memory=8)))
    status = result.status(reason="updatePolicy AllowRestart does not allow Replace")
    assert status is not None
    dumped = status.to_dict()
    assert dumped["impact"] == "Replace"
    assert [g["group"] for g in dumped["groups"]] == ["Cpu", "Memory", "Tag"]
    text = result.render()
    assert "~ Cpu  (Replace)" in text and "~ Tag  (NoRestart)" in text
    assert text.endswith("overall impact: Replace.")


def test_update_request_is_incremental_and_addresses_the_instance() -> None:
    result = plan_for(lambda s: s["tags"].update(team="x"))
    assert result.update is not None
    params = flatten(result.update)
    assert params["UpdateType"] == "IncrementalUpdate"
    assert params["ContainerGroupId"] == "eci-bp1test000000000001"
    assert params["RegionId"] == "cn-hangzhou"
    assert result.fingerprints == fingerprints(make(lambda s: s["tags"].update(team="x")))


# ------------------------------------------------------------------ instance sized by ECI


def _sized(cpu: str, memory: str) -> Callable[[dict[str, Any]], Any]:
    def patch(s: dict[str, Any]) -> None:
        for field in ("cpu", "memory", "instanceType"):
            s.pop(field)
        s["containers"][0]["resources"] = {"requests": {"cpu": cpu, "memory": memory}}

    return patch


def test_containers_outgrowing_an_eci_sized_instance_need_a_new_instance() -> None:
    small = make(_sized("1", "2Gi"))
    live = describe(small.request)  # ECI sized the instance to fit: 1 vCPU / 2 GiB
    assert (live.cpu, live.memory) == (1.0, 2.0)
    within = plan(make(_sized("500m", "2Gi")), live, fingerprints(small))
    only(within, "Container", Impact.RESTART)
    beyond = plan(make(_sized("1", "4Gi")), live, fingerprints(small))
    assert beyond.groups == ["Memory", "Container"]
    assert change_of(beyond, "Memory").impact is Impact.REPLACE
    assert change_of(beyond, "Memory").changes == ("Memory: 2 -> at least 4 (what the containers need)",)
    assert beyond.impact is Impact.REPLACE
    assert beyond.update is not None and beyond.update.containers  # the in-place part, should policy allow


def test_removed_secret_env_var_is_not_shown() -> None:
    result = plan_for(lambda s: s["containers"][0]["env"].pop(2))
    only(result, "Container", Impact.RESTART)
    assert DB_PASSWORD not in shown(result)
    assert result.changes[0].changes == (
        'Container[web].EnvironmentVars[DB_PASSWORD]: {"Value": "(sensitive value)"} -> (unset)',
    )


def test_fingerprints_hold_no_values_and_are_salted_per_object() -> None:
    prints = fingerprints(BASELINE).to_dict()
    text = str(prints)
    for value in (PASSWORD, DB_PASSWORD, "server {}"):
        assert value not in text
    other = BASELINE.__class__(
        request=BASELINE.request,
        sensitive=BASELINE.sensitive,
        owned_tag_keys=BASELINE.owned_tag_keys,
        salt="other-uid",
    )
    assert fingerprints(other).image_registry_credential != prints["imageRegistryCredential"]
    assert prints["imageRegistryCredentialCount"] == 1
    assert prints["envKeys"] == {"init": [], "web": ["DB_PASSWORD", "IP", "MODE"], "sidecar": []}


def test_adding_a_volume_sends_the_containers_too() -> None:
    result = plan_for(lambda s: s["volumes"].append({"name": "scratch", "emptyDir": {}}))
    assert result.groups == ["Volume", "Container"]
    assert change_of(result, "Container").reason == "sent with the volumes, whose names changed"
    assert result.impact is Impact.RESTART
    assert sent_groups(result) == {"Volume", "Container"}


def test_changing_a_volume_in_place_sends_only_the_volumes() -> None:
    result = plan_for(lambda s: s["volumes"][1]["nfs"].update(readOnly=True))
    only(result, "Volume", Impact.RESTART)
    assert sent_groups(result) == {"Volume"}
