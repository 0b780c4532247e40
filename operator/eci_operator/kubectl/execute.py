"""``kubectl eci exec NAME [-c C] [-i] [-t] -- CMD [ARGS...]``.

Without ``-i``/``-t`` the command runs with ``Sync``: ECI answers with its output, which is printed.
That answer carries no exit status, so the status is 0 unless the container runtime refused to
start the command, which is told on stderr with status 127 (as a shell reports a missing program).
The call is made once, never retried: ECI takes no ClientToken for exec, and a retry could run the
command twice.

With ``-i``/``-t`` the session goes over the WebSocket ECI returns: frames whose first byte names
the stream (0 stdin, 1 stdout, 2 stderr, 3 the final status ``{"ExitCode": N}``). ``-t`` puts the
local terminal in raw mode so that the remote one does the echoing and line editing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import EciError
from eci_operator.eci.models import ExecContainerCommandRequest
from eci_operator.kubectl import session

HELP = "run a command in a container of a ContainerGroup's instance: exec NAME [-c C] [-it] -- CMD [ARGS...]"
NOT_FOUND = "executable file not found"
STDIN, STDOUT, STDERR, STATUS = 0, 1, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the ContainerGroup")
    parser.add_argument("-c", "--container", default=None, help="container (required when there are several)")
    parser.add_argument("-i", "--stdin", action="store_true", help="pass stdin to the command")
    parser.add_argument("-t", "--tty", action="store_true", help="stdin is a terminal")
    session.add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    command = list(args.rest)
    if not command:
        raise session.PluginError("a command is required: kubectl eci exec NAME -- CMD [ARGS...]")
    return asyncio.run(_run(args, command))


async def _run(args: argparse.Namespace, command: list[str]) -> int:
    async with session.connected(args) as (kube, namespace):
        target = await session.target(kube, namespace, args.name)
    target.instance_id()
    interactive = args.stdin or args.tty
    async with session.eci_client(args, target.region, attempts=1) as client:
        group = await session.instance(client, target)
        session.require_running(group)
        name = session.container(group, args.container, args.name, init=False)
        try:
            request = ExecContainerCommandRequest(
                region_id=target.region,
                container_group_id=group.container_group_id,
                container_name=name,
                command=command,
                sync=not interactive,
                tty=args.tty,
                stdin=args.stdin,
            )
        except ValueError as exc:
            raise session.PluginError(f"the command cannot be sent to ECI: {exc}") from None
        try:
            answer = await client.exec_container_command(request)
        except (EciError, CredentialsError) as exc:
            raise session.eci_failure(exc, f" (container {name})") from None
    if not interactive:
        if NOT_FOUND in answer.sync_response:
            sys.stderr.write(answer.sync_response)
            return 127
        sys.stdout.write(answer.sync_response)
        return 0
    if not answer.web_socket_uri:
        raise session.PluginError("ECI returned no WebSocket URL for the session")
    return await _converse(answer.web_socket_uri, args.tty)


async def _converse(uri: str, tty: bool) -> int:
    import aiohttp

    loop = asyncio.get_running_loop()
    code = 0
    async with aiohttp.ClientSession() as http, http.ws_connect(uri) as ws:
        reader = asyncio.StreamReader()
        stdin = os.fdopen(os.dup(0), "rb")
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        except ValueError:  # a regular file (stdin redirected from one): sent as it is
            reader.feed_data(stdin.read())
            reader.feed_eof()
            stdin.close()

        async def pump() -> None:
            while chunk := await reader.read(4096):
                await ws.send_bytes(bytes([STDIN]) + chunk)

        with _raw(tty):
            sender = asyncio.create_task(pump())
            try:
                async for message in ws:
                    data: Any = message.data
                    if message.type != aiohttp.WSMsgType.BINARY or not data:
                        continue
                    if data[0] == STDOUT:
                        sys.stdout.buffer.write(data[1:])
                        sys.stdout.buffer.flush()
                    elif data[0] == STDERR:
                        sys.stderr.buffer.write(data[1:])
                        sys.stderr.buffer.flush()
                    elif data[0] == STATUS:
                        code = _exit_code(data[1:])
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
    return code


def _exit_code(raw: bytes) -> int:
    try:
        value = json.loads(raw).get("ExitCode", 0)
    except (ValueError, AttributeError):
        return 1
    return value if isinstance(value, int) and 0 <= value < 256 else 1


@contextlib.contextmanager
def _raw(tty: bool) -> Iterator[None]:
    """The local terminal in raw mode for the session (restored however it ends)."""
    if not tty or not sys.stdin.isatty():
        yield
        return
    import termios
    import tty as ttys

    saved = termios.tcgetattr(0)
    try:
        ttys.setraw(0)
        yield
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
