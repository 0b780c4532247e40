"""The ``eci-operator`` console script.

Each subcommand lives in ``eci_operator.commands.<name>`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Command modules keep heavy imports inside
``run`` so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("run", "emulator", "crd", "render", "plan", "call", "orphans")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eci-operator",
        description="Declare Alibaba Cloud ECI container groups as Kubernetes ContainerGroup resources.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"eci_operator.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"eci_operator.commands.{name}":
                raise
            continue  # not built yet
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args._run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
