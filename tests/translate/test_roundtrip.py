"""Round trip against the emulator, property-based: translate -> CreateContainerGroup -> Describe ->
normalise equals the desired state, and the plan is empty (no phantom drift). Then an update
produced by the plan lands, and the next plan is empty again."""

from __future__ import annotations

import asyncio
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.transport import RetryPolicy
from eci_operator.translate import (
    Impact,
    References,
    fingerprints,
    normalise,
    ownership_tags,
    parse_group,
    plan,
    translate,
)
from eci_operator.translate.state import desired_state
from tests.translate.helpers import config_map, dockerconfigjson, secret

NAMES = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " -_./:=", min_size=1, max_size=24)
ENV_KEYS = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)
REFS = References.from_objects(
    [
        secret("db", {"password": "pw-123", "user": "app"}),
        config_map("conf", {"app.conf": "a=1\n", "extra.conf": "b=2\n"}),
        dockerconfigjson("reg", {"https://reg.example.com": {"username": "u", "password": "p"}}),
    ]
)


@st.composite
def probes(draw: st.DrawFn, port: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["httpGet", "tcpSocket", "exec"]))
    handler: dict[str, Any] = {
        "httpGet": {
            "port": port,
            **draw(
                st.fixed_dictionaries(
                    {}, optional={"path": st.just("/healthz"), "scheme": st.sampled_from(["HTTP", "HTTPS"])}
                )
            ),
        },
        "tcpSocket": {"port": port},
        "exec": {"command": draw(st.lists(WORDS, min_size=1, max_size=3))},
    }[kind]
    timings = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "initialDelaySeconds": st.integers(0, 30),
                "periodSeconds": st.integers(1, 30),
                "timeoutSeconds": st.integers(1, 10),
                "failureThreshold": st.integers(1, 5),
            },
        )
    )
    return {kind: handler, **timings}


@st.composite
def containers(draw: st.DrawFn, name: str, volumes: list[str], init: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name,
        "image": draw(st.sampled_from(["nginx:1.27", "busybox:1.36", "redis:7"])),
    }
    if draw(st.booleans()):
        c["command"] = draw(st.lists(WORDS, min_size=1, max_size=3))
    if draw(st.booleans()):
        c["args"] = draw(st.lists(WORDS, min_size=1, max_size=3))
    env_keys = draw(st.lists(ENV_KEYS, max_size=4, unique=True))
    env = []
    for i, key in enumerate(env_keys):
        choice = i % 4 if draw(st.booleans()) else 0
        if choice == 0:
            env.append({"name": key, "value": draw(st.text(alphabet=string.printable.strip(), max_size=20))})
        elif choice == 1:
            env.append({"name": key, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
        elif choice == 2:
            env.append({"name": key, "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}})
        else:
            env.append({"name": key, "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "app.conf"}}})
    if env:
        c["env"] = env
    ports = draw(st.lists(st.integers(1, 65535), max_size=2, unique=True))
    if ports:
        c["ports"] = [{"containerPort": p, "protocol": draw(st.sampled_from(["TCP", "UDP"]))} for p in ports]
    resources = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "cpu": st.sampled_from(["250m", "500m", "1", 2]),
                "memory": st.sampled_from(["512Mi", "1Gi", "2Gi"]),
            },
        )
    )
    if resources:
        c["resources"] = {draw(st.sampled_from(["requests", "limits"])): resources}
    mounts = draw(st.lists(st.sampled_from(volumes), unique=True, max_size=len(volumes))) if volumes else []
    if mounts:
        c["volumeMounts"] = [
            {
                "name": v,
                "mountPath": f"/mnt/{v}",
                **draw(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "readOnly": st.booleans(),
                            "subPath": st.sampled_from(["a", "b/c"]),
                            "mountPropagation": st.sampled_from(["None", "HostToContainer", "Bidirectional"]),
                        },
                    )
                ),
            }
            for v in mounts
        ]
    if draw(st.booleans()):
        c["securityContext"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "readOnlyRootFilesystem": st.just(True),
                    "runAsUser": st.integers(0, 65535),
                    "capabilities": st.just({"add": ["NET_ADMIN"]}),
                },
            )
        )
    c.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "workingDir": st.just("/srv"),
                    "imagePullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
                },
            )
        )
    )
    if not init:
        c.update(
            draw(
                st.fixed_dictionaries(
                    {}, optional={"stdin": st.booleans(), "stdinOnce": st.booleans(), "tty": st.booleans()}
                )
            )
        )
        port = ports[0] if ports else 8080
        if draw(st.booleans()):
            c["readinessProbe"] = draw(probes(port))
        if draw(st.booleans()):
            c["livenessProbe"] = draw(probes(port))
    return c


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = []
    for i, kind in enumerate(
        draw(st.lists(st.sampled_from(["emptyDir", "nfs", "configMap", "secret"]), max_size=3))
    ):
        name = f"v{i}"
        if kind == "emptyDir":
            volumes.append(
                {
                    "name": name,
                    "emptyDir": draw(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "medium": st.sampled_from(["", "Memory"]),
                                "sizeLimit": st.sampled_from(["256Mi", "1Gi"]),
                            },
                        )
                    ),
                }
            )
        elif kind == "nfs":
            volumes.append(
                {
                    "name": name,
                    "nfs": {"server": "nas.example.com", "path": "/share", "readOnly": draw(st.booleans())},
                }
            )
        elif kind == "configMap":
            items = draw(st.sampled_from([None, [{"key": "extra.conf", "path": "conf/extra.conf"}]]))
            volumes.append(
                {"name": name, "configMap": {"name": "conf", **({"items": items} if items else {})}}
            )
        else:
            volumes.append({"name": name, "secret": {"secretName": "db"}})
    volume_names = [v["name"] for v in volumes]
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    split = draw(st.integers(1, len(names)))
    spec: dict[str, Any] = {
        "regionId": "cn-hangzhou",
        "restartPolicy": draw(st.sampled_from(["Always", "OnFailure", "Never"])),
        "containers": [draw(containers(n, volume_names, init=False)) for n in names[:split]],
    }
    if names[split:]:
        spec["initContainers"] = [draw(containers(n, volume_names, init=True)) for n in names[split:]]
    if volumes:
        spec["volumes"] = volumes
    if draw(st.booleans()):
        spec["tags"] = draw(
            st.dictionaries(NAMES, st.text(alphabet=string.ascii_letters, max_size=8), max_size=3)
        )
    if draw(st.booleans()):
        spec["dnsConfig"] = {
            "nameservers": ["10.0.0.2"],
            "searches": ["svc.local"],
            "options": [{"name": "ndots", "value": "2"}],
        }
    if draw(st.booleans()):
        spec["imagePullSecrets"] = [{"name": "reg"}]
    spec.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "zoneId": st.just("cn-hangzhou-h"),
                    "vSwitchId": st.sampled_from(["vsw-a", "vsw-a,vsw-b"]),
                    "securityGroupId": st.just("sg-test1"),
                },
            )
        )
    )
    if draw(st.booleans()):
        spec.update(cpu=8, memory=16)
    return spec


def _manifest(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {"name": "prop", "namespace": "test", "uid": "u-1"},
        "spec": spec,
    }


def _client(emulator: Any) -> EciClient:
    return EciClient(
        region_id="cn-hangzhou",
        credentials=StaticCredentials(emulator.access_key_id, emulator.access_key_secret),
        endpoint=emulator.url,
        retry=RetryPolicy(deadline=20, attempt_timeout=10),
    )


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs())
def test_create_describe_normalise_has_no_phantom_drift(emulator: Any, spec: dict[str, Any]) -> None:
    desired = translate(
        parse_group(_manifest(spec)),
        REFS,
        owner_tags=ownership_tags(cluster="c", namespace="test", name="prop", uid="u-1"),
    )
    applied = fingerprints(desired)

    async def roundtrip() -> Any:
        async with _client(emulator) as client:
            created = await client.create_container_group(desired.request)
            found = await client.describe_by_ids([created.container_group_id])
            return found[created.container_group_id]

    emulator.reset()
    observed = asyncio.run(roundtrip())
    assert normalise(observed, desired, applied) == desired_state(
        desired.request, dict(desired.sensitive.env)
    )
    result = plan(desired, observed, applied)
    assert result.empty, result.render()


@pytest.mark.slow
def test_update_from_a_plan_lands_and_then_the_plan_is_empty(emulator: Any) -> None:
    base = {
        "regionId": "cn-hangzhou",
        "tags": {"team": "a"},
        "imagePullSecrets": [{"name": "reg"}],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                "volumeMounts": [{"name": "c", "mountPath": "/etc/app"}],
            }
        ],
        "volumes": [{"name": "c", "configMap": {"name": "conf"}}],
    }
    first = translate(parse_group(_manifest(base)), REFS)
    changed_spec = {
        **base,
        "tags": {"team": "b"},
        "containers": [{**base["containers"][0], "image": "nginx:1.28"}],
    }
    changed_refs = References.from_objects(
        [
            secret("db", {"password": "rotated"}),
            config_map("conf", {"app.conf": "a=2\n"}),
            dockerconfigjson("reg", {"https://reg.example.com": {"username": "u", "password": "p"}}),
        ]
    )
    second = translate(parse_group(_manifest(changed_spec)), changed_refs)

    async def scenario() -> tuple[Any, Any]:
        async with _client(emulator) as client:
            created = await client.create_container_group(first.request)
            gid = created.container_group_id
            await emulator.await_status(gid, "Running")
            before = (await client.describe_by_ids([gid]))[gid]
            result = plan(second, before, fingerprints(first))
            assert result.groups == ["Tag", "Volume", "Container"]
            assert result.update is not None
            await client.update_container_group(result.update)
            await emulator.await_status(gid, "Running")
            after = (await client.describe_by_ids([gid]))[gid]
            return result, after

    emulator.reset()
    result, after = asyncio.run(scenario())
    assert plan(second, after, result.fingerprints).empty
    # and the first spec now differs from the instance in exactly those groups
    assert plan(first, after, result.fingerprints).groups == ["Tag", "Volume", "Container"]


INSTANCE_FIELDS = ("zoneId", "vSwitchId", "securityGroupId", "cpu", "memory")


@pytest.mark.slow
@settings(
    max_examples=15,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking through HTTP is slow
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(before=specs(), after=specs())
def test_any_in_place_plan_lands(emulator: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    """From any spec to any other: the plan's UpdateContainerGroup makes the next plan empty."""
    for spec in (before, after):
        for name in INSTANCE_FIELDS:
            spec.pop(name, None)
    owner = ownership_tags(cluster="c", namespace="test", name="prop", uid="u-1")
    first = translate(parse_group(_manifest(before)), REFS, owner_tags=owner)
    second = translate(parse_group(_manifest(after)), REFS, owner_tags=owner)

    async def scenario() -> tuple[Any, Any]:
        async with _client(emulator) as client:
            gid = (await client.create_container_group(first.request)).container_group_id
            await emulator.await_status(gid, "Running")
            result = plan(second, (await client.describe_by_ids([gid]))[gid], fingerprints(first))
            if result.empty or result.update is None or result.impact is Impact.REPLACE:
                return result, None
            await client.update_container_group(result.update)
            await emulator.await_status(gid, "Running")
            return result, (await client.describe_by_ids([gid]))[gid]

    emulator.reset()
    result, after_update = asyncio.run(scenario())
    if after_update is not None:
        again = plan(second, after_update, result.fingerprints)
        assert again.empty, f"after applying\n{result.render()}\nstill:\n{again.render()}"
