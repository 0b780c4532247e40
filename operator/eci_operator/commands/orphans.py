"""``eci-operator orphans --region R``: instances this cluster's operator tagged whose ContainerGroup is gone.

An instance carries its ContainerGroup's cluster, namespace, name and uid in tags. When that object no
longer exists (its finalizer was removed by hand, the namespace was force-deleted, etcd was restored
from an old backup), nothing will ever delete the instance — and it keeps costing money. This command
lists such instances for an admin to review: it reads ECI (the tag search, paged) and Kubernetes (one
``get`` per owner named), and it never deletes or changes anything.

An instance is listed when the ContainerGroup its tags name does not exist, or exists with another
uid (deleted and re-created under the same name). Instances released with ``deletionPolicy: Orphan``
carry no ownership tags and are not listed: they were let go on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys

HELP = "list ECI instances whose ContainerGroup no longer exists (review only: nothing is deleted)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, help="region to list, e.g. cn-hangzhou")
    parser.add_argument(
        "--cluster-id",
        default=os.environ.get("ECI_OPERATOR_CLUSTER_ID", "default"),
        help="the operator's --cluster-id: only instances tagged with it are considered "
        "(default: $ECI_OPERATOR_CLUSTER_ID or 'default')",
    )
    parser.add_argument(
        "--eci-endpoint",
        default=os.environ.get("ECI_ENDPOINT"),
        metavar="URL",
        help="ECI endpoint (default: $ECI_ENDPOINT, else the region's public endpoint)",
    )
    parser.add_argument(
        "--kubeconfig", default=None, help="kubeconfig (default: in-cluster, else $KUBECONFIG)"
    )
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table", help="output format")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from eci_operator.controller.kube import KubeApi, KubeError, load_config
    from eci_operator.eci.client import EciClient
    from eci_operator.eci.credentials import CredentialsError
    from eci_operator.eci.errors import EciError
    from eci_operator.eci.models import DESCRIBE_MAX_IDS, DescribeContainerGroupsRequest, TagFilter
    from eci_operator.translate import owner_from_tags
    from eci_operator.translate.ownership import TAG_CLUSTER

    async def find() -> list[dict[str, str]]:
        kube = KubeApi(load_config(args.kubeconfig))
        rows: list[dict[str, str]] = []
        try:
            async with EciClient(region_id=args.region, endpoint=args.eci_endpoint) as eci:
                request = DescribeContainerGroupsRequest(
                    region_id=args.region,
                    tags=[TagFilter(key=TAG_CLUSTER, value=args.cluster_id)],
                    limit=DESCRIBE_MAX_IDS,
                )
                async for group in eci.iter_container_groups(request):
                    owner = owner_from_tags((t.key, t.value) for t in group.tags)
                    if owner is None or owner.cluster != args.cluster_id or group.status == "Terminating":
                        continue
                    body = await kube.get_containergroup(owner.namespace, owner.name)
                    uid = (body or {}).get("metadata", {}).get("uid")
                    if body is not None and uid == owner.uid:
                        continue
                    rows.append(
                        {
                            "containerGroupId": group.container_group_id,
                            "name": group.container_group_name,
                            "status": group.status,
                            "created": group.creation_time,
                            "owner": f"{owner.namespace}/{owner.name}",
                            "ownerUid": owner.uid,
                            "why": "ContainerGroup not found"
                            if body is None
                            else f"ContainerGroup has uid {uid}",
                        }
                    )
        finally:
            await kube.close()
        return rows

    try:
        rows = asyncio.run(find())
    except (EciError, CredentialsError, KubeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.output == "json":
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"No orphaned instances of cluster {args.cluster_id!r} in {args.region}.")
        return 0
    columns = ("containerGroupId", "status", "owner", "ownerUid", "created", "why")
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(row[c].ljust(widths[c]) for c in columns))
    print(f"{len(rows)} instance(s) whose ContainerGroup is gone; nothing was deleted.")
    return 0
