"""``eci-operator crd``: print the ContainerGroup CustomResourceDefinition (YAML)."""

from __future__ import annotations

import argparse
import sys

HELP = "print the ContainerGroup CustomResourceDefinition generated from the models (YAML)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    from eci_operator.api.crd import crd_yaml

    sys.stdout.write(crd_yaml())
    return 0
