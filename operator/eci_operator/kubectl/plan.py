"""``kubectl eci plan -f FILE``: ``eci-operator plan`` under the plugin (same flags, same output)."""

from __future__ import annotations

import argparse
import os

from eci_operator.commands import plan

HELP = plan.HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    plan.add_arguments(parser)
    # The endpoint as every other subcommand takes it; eci-operator plan calls it --endpoint.
    parser.add_argument("--eci-endpoint", dest="endpoint", help=argparse.SUPPRESS)
    parser.set_defaults(endpoint=os.environ.get("ECI_ENDPOINT"))
    # Accepted as every subcommand accepts them; the plan reads the files and ECI, not the cluster.
    parser.add_argument("-n", "--namespace", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--context", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    return plan.run(args)
