"""``kubectl eci events NAME``: the instance's ECI events and the object's Kubernetes Events, merged
in time order (by when each was last seen).

ECI keeps the last 50 events of an instance (DescribeContainerGroups ``Events``); Kubernetes keeps
Events for an hour by default. An object without an instance yet shows its Kubernetes Events only.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import Any

from eci_operator.controller.kube import KubeError
from eci_operator.kubectl import session

HELP = "show the ECI events of the instance and the Kubernetes Events of the ContainerGroup, in time order"


@dataclass(frozen=True)
class Row:
    last_seen: str
    type: str
    reason: str
    source: str
    count: int
    message: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the ContainerGroup")
    session.add_connection_arguments(parser)


def kube_rows(events: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for e in events:
        when = e.get("lastTimestamp") or e.get("eventTime") or e.get("firstTimestamp") or ""
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or "kubernetes"
        rows.append(
            Row(
                _second(str(when)),
                str(e.get("type") or ""),
                str(e.get("reason") or ""),
                str(source),
                _count(e.get("count")),
                str(e.get("message") or ""),
            )
        )
    return rows


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 1


def _second(stamp: str) -> str:
    """RFC 3339 to the second, so that both sources sort together (MicroTime has a fraction)."""
    whole = stamp.rstrip("Z").split(".")[0]
    return f"{whole}Z" if whole else ""


def render(rows: list[Row]) -> str:
    header = Row("LAST SEEN", "TYPE", "REASON", "SOURCE", 0, "MESSAGE")
    ordered = sorted(rows, key=lambda r: r.last_seen)
    table = [header, *ordered]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("last_seen", "type", "reason", "source")]
    lines = []
    for r in table:
        cells = [r.last_seen, r.type, r.reason, r.source]
        count = "COUNT" if r is header else str(r.count)
        lines.append(
            "   ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            + f"   {count:<5}   {r.message}"
        )
    return "\n".join(line.rstrip() for line in lines) + "\n"


def run(args: argparse.Namespace) -> int:
    print(asyncio.run(_run(args)), end="")
    return 0


async def _run(args: argparse.Namespace) -> str:
    async with session.connected(args) as (kube, namespace):
        target = await session.target(kube, namespace, args.name)
        try:
            rows = kube_rows(await kube.list_events(namespace, target.uid))
        except KubeError as exc:
            raise session.kube_failure(exc) from None
    if target.group_id is not None:
        async with session.eci_client(args, target.region) as client:
            group = await session.instance(client, target)
        rows += [
            Row(
                _second(e.last_timestamp or e.first_timestamp),
                e.type,
                e.reason,
                "eci",
                e.count or 1,
                e.message,
            )
            for e in group.events
        ]
    if not rows:
        return f"No events for ContainerGroup {target.namespace}/{target.name}.\n"
    return render(rows)
