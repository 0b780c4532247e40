"""Properties of translate/plan over generated specs, without a server (fast, many examples)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from eci_operator.eci.flatten import flatten
from eci_operator.translate import Impact, fingerprints, ownership_tags, parse_group, plan, translate
from tests.translate.describe import describe
from tests.translate.helpers import shown
from tests.translate.strategies import REFS, manifest_of, specs

OWNER = ownership_tags(cluster="c", namespace="test", name="prop", uid="u-1")
SECRETS = ("pw-123", "reg-pass-789")  # the values behind REFS' Secret keys used by the strategies
# Flattened parameter prefix of each plan group (Cpu/Memory etc. are never sent in an update).
SENT_AS = {
    "RestartPolicy": "RestartPolicy",
    "ResourceGroupId": "ResourceGroupId",
    "Tag": "Tag",
    "ImageRegistryCredential": "ImageRegistryCredential",
    "DnsConfig": "DnsConfig",
    "Volume": "Volume",
    "InitContainer": "InitContainer",
    "Container": "Container",
}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _desired(spec: dict[str, Any]) -> Any:
    return translate(parse_group(manifest_of(spec)), REFS, owner_tags=OWNER)


@FAST
@given(spec=specs())
def test_same_spec_no_changes(spec: dict[str, Any]) -> None:
    desired = _desired(spec)
    assert plan(desired, describe(desired.request), fingerprints(desired)).empty


@FAST
@given(before=specs(), after=specs())
def test_update_carries_exactly_the_changed_in_place_groups(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    first, second = _desired(before), _desired(after)
    result = plan(second, describe(first.request), fingerprints(first))
    in_place = {c.group for c in result.changes if c.impact is not Impact.REPLACE}
    if result.update is None:
        assert not in_place
        return
    sent = {k.split(".")[0] for k in flatten(result.update)} - {"RegionId", "ContainerGroupId", "UpdateType"}
    assert sent == {SENT_AS[g] for g in in_place}
    # every group is sent whole: the sent containers are exactly the desired ones
    if "Container" in in_place:
        assert result.update.containers == second.request.containers
    if "Volume" in in_place:
        assert result.update.volumes == second.request.volumes


@FAST
@given(before=specs(), after=specs())
def test_impact_follows_the_rules(before: dict[str, Any], after: dict[str, Any]) -> None:
    first, second = _desired(before), _desired(after)
    result = plan(second, describe(first.request), fingerprints(first))
    for change in result.changes:
        if change.impact is Impact.REPLACE:
            assert (
                change.group
                in {
                    "ContainerGroupName",
                    "ZoneId",
                    "VSwitchId",
                    "SecurityGroupId",
                    "InstanceType",
                    "Cpu",
                    "Memory",
                }
                or change.reason
            )
        elif change.group == "Tag":
            assert change.impact is Impact.NO_RESTART
        elif change.group == "ImageRegistryCredential":
            alone = [c.group for c in result.changes if c.impact is not Impact.REPLACE] == [change.group]
            assert (change.impact is Impact.NO_RESTART) == (
                alone
                and len(second.request.image_registry_credentials or [])
                <= len(first.request.image_registry_credentials or [])
            )
        else:
            assert change.impact is Impact.RESTART


@FAST
@given(before=specs(), after=specs())
def test_secret_values_never_shown(before: dict[str, Any], after: dict[str, Any]) -> None:
    first, second = _desired(before), _desired(after)
    result = plan(second, describe(first.request), fingerprints(first))
    status = result.status()
    shown = result.render() + repr(result) + repr(first) + (str(status.to_dict()) if status else "")
    shown += str(fingerprints(second).to_dict())
    for value in SECRETS:
        assert f'"{value}"' not in shown and f"'{value}'" not in shown


def test_secret_values_never_shown_when_a_secret_env_var_becomes_a_literal() -> None:
    """The example the property above found: an env var set from a Secret, then set to a literal;
    the instance still holds the Secret's value when the plan is made."""
    secret_ref = {"secretKeyRef": {"name": "db", "key": "password"}}
    before: dict[str, Any] = {"regionId": "cn-hangzhou", "containers": [{"name": "a", "image": "redis:7"}]}
    before["containers"][0]["env"] = [{"name": "X", "valueFrom": secret_ref}]
    after = {**before, "containers": [{"name": "a", "image": "redis:7", "env": [{"name": "X", "value": ""}]}]}
    first, second = _desired(before), _desired(after)
    result = plan(second, describe(first.request), fingerprints(first))
    assert result.groups == ["Container"]
    assert result.changes[0].changes == ('Container[a].EnvironmentVars[X].Value: (sensitive value) -> ""',)
    assert "pw-123" not in shown(result)
