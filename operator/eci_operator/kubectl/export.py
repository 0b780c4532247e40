"""``kubectl eci export INSTANCE_ID --region R [--name N] [--namespace NS]``: a ContainerGroup manifest
that adopts an existing instance (``spec.containerGroupId``) and describes it as it is
(``translate.export``), as ``terraform import`` brings a resource under management.

Before printing, the manifest is checked with ``plan`` against the instance (with the config files'
contents, in memory only): the header says that applying it changes nothing, or lists what it
would change. What the user must fill in (ConfigMaps for config-file volumes, registry
credentials) is listed in the header; no file content and no write-only value is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import re

import yaml

from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import EciError
from eci_operator.eci.models import GROUP_ID
from eci_operator.kubectl import session
from eci_operator.translate import References, TranslationError, parse_group, plan, translate
from eci_operator.translate.export import export

HELP = (
    "print a ContainerGroup manifest adopting an existing ECI instance, so that applying it changes nothing"
)
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instance", metavar="INSTANCE_ID", help="the ECI instance, e.g. eci-bp1...")
    parser.add_argument("--region", required=True, help="its region, e.g. cn-hangzhou")
    parser.add_argument(
        "--name", default=None, help="the ContainerGroup's name (default: the instance's name)"
    )
    session.add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    print(asyncio.run(_run(args)), end="")
    return 0


def _namespace(args: argparse.Namespace) -> str:
    if args.namespace:
        return str(args.namespace)
    try:
        return session.namespace_of(args, session.kube_config(args))
    except session.PluginError:
        return "default"  # no kubeconfig: the manifest is printed all the same


async def _run(args: argparse.Namespace) -> str:
    if not GROUP_ID.match(args.instance):
        raise session.PluginError(f"{args.instance!r} is not an ECI instance ID (eci-...)")
    async with session.eci_client(args, args.region) as client:
        try:
            group = (await client.describe_by_ids([args.instance])).get(args.instance)
        except (EciError, CredentialsError) as exc:
            raise session.eci_failure(exc) from None
    if group is None:
        raise session.PluginError(f"ECI instance {args.instance} not found in {args.region}")
    name = args.name or group.container_group_name
    if not _NAME.match(name) or len(name) > 253:
        raise session.PluginError(f"{name!r} is not a Kubernetes name; give one with --name")
    exported = export(group, name, _namespace(args))
    config_maps = [
        {
            "kind": "ConfigMap",
            "metadata": {"name": n},
            "data": {k: v.decode("utf-8", "replace") for k, v in f.items()},
        }
        for n, f in exported.config_files.items()
    ]
    header = [f"Adopts ECI instance {group.container_group_id} ({args.region}, {group.status})."]
    try:
        desired = translate(parse_group(exported.manifest), References.from_objects(config_maps))
        result = plan(desired, group, None)
    except (TranslationError, ValueError) as exc:
        header.append(f"This manifest does not describe the instance exactly: {exc}")
    else:
        if result.empty:
            header.append(
                "Applying it (with what is listed below filled in as it is on the instance) changes nothing."
            )
        else:
            header.append("Applying it would still change:")
            header += ["  " + line for line in result.render().splitlines()]
    if exported.notes:
        header.append("To fill in:")
        header += [f"- {note}" for note in exported.notes]
    comments = "".join(f"# {line}\n" for line in header)
    return comments + yaml.safe_dump(exported.manifest, sort_keys=False, allow_unicode=True)
