"""Round trip against the emulator, property-based: translate -> CreateContainerGroup -> Describe ->
normalise equals the desired state, and the plan is empty (no phantom drift). Then an update
produced by the plan lands, and the next plan is empty again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

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
from eci_operator.translate.normalise import desired_state
from tests.translate.helpers import config_map, dockerconfigjson, secret
from tests.translate.strategies import REFS, manifest_of, specs


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
        parse_group(manifest_of(spec)),
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
    base: dict[str, Any] = {
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
    first = translate(parse_group(manifest_of(base)), REFS)
    changed_spec = {
        **base,
        "tags": {"team": "b"},
        "containers": [{**base["containers"][0], "image": "nginx:1.28"}],
    }
    changed_refs = References.from_objects(
        [
            secret("db", {"password": "rotated"}),
            config_map("conf", {"app.conf": "a=2\n"}),
            dockerconfigjson(
                "reg", {"https://reg.example.com": {"username": "u", "password": "reg-pass-789"}}
            ),
        ]
    )
    second = translate(parse_group(manifest_of(changed_spec)), changed_refs)

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
    first = translate(parse_group(manifest_of(before)), REFS, owner_tags=owner)
    second = translate(parse_group(manifest_of(after)), REFS, owner_tags=owner)

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


@pytest.mark.slow
def test_every_mapped_pod_field_round_trips_through_the_emulator(emulator: Any) -> None:
    """Each row of the mapping table (tests/translate/test_pod_fields.py): Create on the emulator,
    Describe, normalise: no phantom drift, and the next plan is empty."""
    from tests.translate.test_pod_fields import MAPPINGS, build

    async def roundtrip() -> list[str]:
        drift = []
        async with _client(emulator) as client:
            for name, patch, _ in MAPPINGS:
                desired = build(patch)
                gid = (await client.create_container_group(desired.request)).container_group_id
                observed = (await client.describe_by_ids([gid]))[gid]
                applied = fingerprints(desired)
                result = plan(desired, observed, applied)
                if (
                    normalise(observed, desired, applied)
                    != desired_state(desired.request, dict(desired.sensitive.env))
                    or not result.empty
                ):
                    drift.append(f"{name}:\n{result.render()}")
        return drift

    emulator.reset()
    assert asyncio.run(roundtrip()) == []
