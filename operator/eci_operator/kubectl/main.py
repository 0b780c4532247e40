"""The ``kubectl-eci`` console script: ``kubectl eci COMMAND ...`` when it is on PATH.

Errors are one line on stderr (``error: ...``) and a non-zero exit, as kubectl's own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from eci_operator.kubectl.session import PluginError

# subcommand -> module
COMMANDS = {
    "logs": "logs",
    "exec": "execute",
    "restart": "restart",
    "events": "events",
    "export": "export",
    "plan": "plan",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubectl eci", description="Day-2 operations on ECI ContainerGroups: logs, exec, restart, ..."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(f"eci_operator.kubectl.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"eci_operator.kubectl.{module_name}":
                raise
            continue
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # What follows ``--`` is a command for the container (exec), never flags of ours.
    rest: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, rest = words[:cut], words[cut + 1 :]
    args = build_parser().parse_args(words)
    args.rest = rest
    try:
        code: int = args._run(args)
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
