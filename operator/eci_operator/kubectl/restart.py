"""``kubectl eci restart NAME``: asks the operator for a restart, as ``kubectl rollout restart`` does.

It sets the annotation ``eci.operator.dev/restartedAt`` to the current time (RFC 3339); the operator
calls RestartContainerGroup once for each new value. Nothing is sent to ECI from here, so the
restart needs only the right to patch the ContainerGroup, and it survives this command's exit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime

from eci_operator.api.containergroup import RESTART_ANNOTATION
from eci_operator.controller.kube import KubeError
from eci_operator.kubectl import session

HELP = "restart the ContainerGroup's instance (through the operator, once)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the ContainerGroup")
    session.add_connection_arguments(parser)


def stamp(previous: str | None) -> str:
    """Now in RFC 3339; with a fraction when the second is the one already asked for."""
    now = datetime.datetime.now(datetime.UTC)
    value = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value == previous else value


def run(args: argparse.Namespace) -> int:
    asyncio.run(_run(args))
    print(f"containergroup.eci.operator.dev/{args.name} restarted")
    return 0


async def _run(args: argparse.Namespace) -> None:
    async with session.connected(args) as (kube, namespace):
        target = await session.target(kube, namespace, args.name)
        target.instance_id()
        previous = (target.body.get("metadata", {}).get("annotations") or {}).get(RESTART_ANNOTATION)
        try:
            await kube.annotate(namespace, args.name, {RESTART_ANNOTATION: stamp(previous)})
        except KubeError as exc:
            raise session.kube_failure(exc) from None
