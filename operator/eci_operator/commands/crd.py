"""``eci-operator crd``: print a CustomResourceDefinition (YAML): ContainerGroup, or EciAccount."""

from __future__ import annotations

import argparse
import sys

HELP = "print a CustomResourceDefinition generated from the models (YAML)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind",
        choices=("ContainerGroup", "EciAccount"),
        default="ContainerGroup",
        help="which resource's CRD (default ContainerGroup: crds/containergroup.yaml; "
        "EciAccount: crds/eciaccount.yaml)",
    )


def run(args: argparse.Namespace) -> int:
    from eci_operator.api.crd import account_crd_yaml, crd_yaml

    sys.stdout.write(account_crd_yaml() if args.kind == "EciAccount" else crd_yaml())
    return 0
