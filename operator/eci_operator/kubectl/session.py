"""What every subcommand starts from: the kubeconfig context, the ContainerGroup, its instance, and an
ECI client for its region; and the one-line errors a person understands.

The ContainerGroup is the only source of the region and the instance ID: ``status.containerGroupId``
(checked against the form of an ID: status is a cache anyone with status rights can write), else
``spec.containerGroupId``. The instance is then read from ECI, so a stale status cannot send a
command to an instance that no longer exists.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from eci_operator.controller.kube import KubeApi, KubeConfig, KubeError, load_config
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import AuthError, EciError, IncorrectStatusError, NotFoundError
from eci_operator.eci.models import GROUP_ID, ContainerGroupOut
from eci_operator.eci.transport import RetryPolicy


class PluginError(Exception):
    """A failure told to the user in one line; the command exits non-zero."""


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", default=None, help="namespace (default: the context's)")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    parser.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG)")
    parser.add_argument(
        "--eci-endpoint",
        default=os.environ.get("ECI_ENDPOINT"),
        metavar="URL",
        help="ECI endpoint (default: $ECI_ENDPOINT, else https://eci.<region>.aliyuncs.com)",
    )


@dataclass
class Target:
    """A ContainerGroup and, when it has one, its live instance."""

    namespace: str
    name: str
    body: dict[str, Any]
    region: str
    group_id: str | None

    @property
    def uid(self) -> str:
        return str(self.body.get("metadata", {}).get("uid", ""))

    def instance_id(self) -> str:
        if self.group_id is None:
            raise PluginError(f"ContainerGroup {self.namespace}/{self.name} has no ECI instance yet")
        return self.group_id


def kube_config(args: argparse.Namespace) -> KubeConfig:
    try:
        return load_config(args.kubeconfig, args.context)
    except (OSError, ValueError) as exc:
        raise PluginError(str(exc)) from None


def namespace_of(args: argparse.Namespace, config: KubeConfig) -> str:
    return str(args.namespace or config.default_namespace or "default")


def kube_failure(exc: KubeError) -> PluginError:
    if exc.status in (401, 403):
        return PluginError(f"Kubernetes permission denied: {exc.message or exc.status}")
    return PluginError(f"Kubernetes API error: {exc.message or exc.status}")


async def target(kube: KubeApi, namespace: str, name: str) -> Target:
    try:
        body = await kube.get_containergroup(namespace, name)
    except KubeError as exc:
        raise kube_failure(exc) from None
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    if body is None:
        raise PluginError(f'containergroups.eci.operator.dev "{name}" not found in namespace {namespace}')
    spec, status = body.get("spec") or {}, body.get("status") or {}
    region = spec.get("regionId")
    if not isinstance(region, str) or not region:
        raise PluginError(f"ContainerGroup {namespace}/{name} has no spec.regionId")
    candidates = (status.get("containerGroupId"), spec.get("containerGroupId"))
    group_id = next((c for c in candidates if isinstance(c, str) and GROUP_ID.match(c)), None)
    return Target(namespace, name, body, region, group_id)


def eci_client(args: argparse.Namespace, region: str, *, attempts: int | None = None) -> EciClient:
    policy = RetryPolicy(deadline=60.0) if attempts is None else RetryPolicy(max_attempts=attempts)
    return EciClient(region_id=region, endpoint=args.eci_endpoint, retry=policy)


def eci_failure(exc: EciError | CredentialsError, what: str = "") -> PluginError:
    if isinstance(exc, CredentialsError):
        return PluginError(f"no Alibaba Cloud credentials: {exc}")
    if isinstance(exc, AuthError):
        return PluginError(f"ECI permission denied{what}: {exc.code}: {exc.message}")
    if isinstance(exc, NotFoundError):
        return PluginError(f"ECI instance not found{what}: {exc.message}")
    if isinstance(exc, IncorrectStatusError):
        return PluginError(f"ECI instance not Running{what}: {exc.message}")
    return PluginError(f"ECI error{what}: {exc.code or type(exc).__name__}: {exc.message}")


async def instance(client: EciClient, target: Target) -> ContainerGroupOut:
    gid = target.instance_id()
    try:
        found = (await client.describe_by_ids([gid])).get(gid)
    except (EciError, CredentialsError) as exc:
        raise eci_failure(exc) from None
    if found is None:
        raise PluginError(f"ECI instance {gid} of ContainerGroup {target.namespace}/{target.name} not found")
    return found


def require_running(group: ContainerGroupOut) -> None:
    if group.status != "Running":
        raise PluginError(
            f"ECI instance {group.container_group_id} is {group.status or 'Unknown'}, not Running"
        )


def container(group: ContainerGroupOut, asked: str | None, name: str, *, init: bool = True) -> str:
    """The container ``asked`` for, or the only one; as kubectl, a choice among several is required."""
    names = [c.name for c in group.containers] + ([c.name for c in group.init_containers] if init else [])
    if asked is not None:
        if asked not in names:
            raise PluginError(f"container {asked} is not valid for ContainerGroup {name}")
        return asked
    if len(group.containers) == 1:
        return group.containers[0].name
    listed = " ".join(c.name for c in group.containers)
    raise PluginError(
        f"a container name must be specified for ContainerGroup {name}, choose one of: [{listed}]"
    )


@asynccontextmanager
async def connected(args: argparse.Namespace) -> AsyncIterator[tuple[KubeApi, str]]:
    """A Kubernetes client for the chosen context, and the namespace to use."""
    config = kube_config(args)
    kube = KubeApi(config, component="kubectl-eci")
    try:
        yield kube, namespace_of(args, config)
    finally:
        await kube.close()
