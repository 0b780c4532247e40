"""``eci-operator render -f FILE ...``: the ECI parameters a ContainerGroup translates to."""

from __future__ import annotations

import argparse
import sys

HELP = (
    "print the flattened ECI parameters of a ContainerGroup (with the Secrets/ConfigMaps in the same "
    "files) as one JSON object; Secret values are masked unless --show-secrets"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f",
        "--filename",
        dest="files",
        action="append",
        required=True,
        metavar="FILE",
        help="YAML file with a ContainerGroup and any Secrets/ConfigMaps it refers to "
        "('-' = stdin); repeatable",
    )
    parser.add_argument(
        "--action",
        choices=("CreateContainerGroup", "UpdateContainerGroup"),
        default="CreateContainerGroup",
        help="which request to render (default CreateContainerGroup; Update carries every updatable group)",
    )
    parser.add_argument("--show-secrets", action="store_true", help="print Secret-derived values in clear")


def run(args: argparse.Namespace) -> int:
    import json

    from eci_operator.commands._manifests import ManifestError, load_group
    from eci_operator.translate import TranslationError, translate
    from eci_operator.translate.parameters import parameter_sort_key, parameters

    try:
        group, refs = load_group(args.files)
        desired = translate(group, refs)
    except (ManifestError, TranslationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    params = parameters(
        desired,
        args.action,
        show_secrets=args.show_secrets,
        container_group_id=group.spec.container_group_id,
    )
    ordered = {k: params[k] for k in sorted(params, key=parameter_sort_key)}
    print(json.dumps(ordered, indent=2, ensure_ascii=False))
    return 0
