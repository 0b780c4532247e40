"""``eci-operator plan -f FILE``: what applying a ContainerGroup would change on its live instance."""

from __future__ import annotations

import argparse
import sys

HELP = "print the plan (changed ECI groups and their impact) of a ContainerGroup against its live instance"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from eci_operator.commands.render import add_files_argument

    add_files_argument(
        parser,
        "YAML file with a ContainerGroup (as applied, or `kubectl get -o yaml` output including status) "
        "and any Secrets/ConfigMaps it refers to",
    )
    parser.add_argument(
        "--endpoint",
        default=None,
        help="ECI endpoint host or URL (default https://eci.<regionId>.aliyuncs.com), e.g. a local emulator",
    )
    parser.add_argument(
        "--id",
        dest="container_group_id",
        default=None,
        help="instance ID (default: spec.containerGroupId, then status.containerGroupId, "
        "then a lookup by name)",
    )
    parser.add_argument("--signature", choices=("acs3", "hmac-sha1"), default="acs3", help="signature scheme")
    parser.add_argument("--deadline", type=float, default=60.0, help="overall seconds for the ECI calls")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from eci_operator.api.containergroup import Fingerprints
    from eci_operator.commands.render import translated
    from eci_operator.eci import models as eci
    from eci_operator.eci.client import EciClient
    from eci_operator.eci.credentials import CredentialsError
    from eci_operator.eci.errors import EciError
    from eci_operator.eci.transport import RetryPolicy
    from eci_operator.translate import OWNERSHIP_TAG_KEYS, plan, translate

    loaded = translated(args.files)
    if loaded is None:
        return 1
    group, refs, desired = loaded
    status = group.status
    wanted_id = (
        args.container_group_id or group.spec.container_group_id or (status and status.container_group_id)
    )
    applied = status.applied_fingerprints if status and status.applied_fingerprints else Fingerprints()

    async def observe() -> eci.ContainerGroupOut | None:
        policy = RetryPolicy(deadline=args.deadline, attempt_timeout=min(15.0, args.deadline))
        async with EciClient(
            region_id=group.spec.region_id, endpoint=args.endpoint, signature=args.signature, retry=policy
        ) as client:
            if wanted_id:
                return (await client.describe_by_ids([wanted_id])).get(wanted_id)
            request = eci.DescribeContainerGroupsRequest(
                region_id=group.spec.region_id, container_group_name=desired.request.container_group_name
            )
            found = [g async for g in client.iter_container_groups(request)]
            live = [g for g in found if g.status not in eci.FAILED and g.status != "Succeeded"]
            candidates = live or found
            return candidates[0] if candidates else None

    try:
        observed = asyncio.run(observe())
    except (EciError, CredentialsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if observed is None:
        what = wanted_id or f"named {desired.request.container_group_name!r}"
        print(f"No ECI instance {what} in {group.spec.region_id}: applying would create it.")
        return 0
    # The operator tags its instances with their owner; a preview keeps whatever ownership tags the
    # instance carries instead of planning to remove them.
    owner_tags = {t.key: t.value for t in observed.tags if t.key in OWNERSHIP_TAG_KEYS}
    if owner_tags:
        desired = translate(group, refs, owner_tags=owner_tags)
    result = plan(desired, observed, applied)
    print(f"ECI instance {observed.container_group_id} ({observed.status}) in {group.spec.region_id}")
    print(result.render())
    if not result.empty and not result.allowed_by(group.spec.update_policy):
        print(f"updatePolicy {group.spec.update_policy.value} does not allow this plan ({result.impact}).")
    return 0
