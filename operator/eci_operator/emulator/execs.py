"""ExecContainerCommand: a few commands that run deterministically, and interactive sessions.

The emulated container knows ``echo ARGS``, ``env`` (``HOSTNAME`` and the container's environment
from its spec), ``hostname`` (the instance name) and ``sh``/``bash`` (a shell
that runs those, one line at a time, until ``exit``). Any other program answers as a container
without that binary does: the runtime's "executable file not found" message.

With ``Sync=true`` the answer carries the output (``SyncResponse``); otherwise a single-use
session is opened and ``WebSocketUri`` names it (``/exec/?s=TOKEN``, made absolute by the server
with the host the request came to). A session must be opened within ``SESSION_SECONDS``, once.
Its frames are binary, the first byte naming the stream as Kubernetes' ``channel.k8s.io`` does:
0 stdin (client to server), 1 stdout, 3 the final status (``{"ExitCode": N}``).
"""

from __future__ import annotations

import json
import secrets
import shlex
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, incorrect_status, invalid, length_exceeded, missing
from .schema import MAX_COMMAND_CHARS, MAX_COMMANDS
from .state import Instance

SESSION_SECONDS = 30.0
SHELLS = ("sh", "bash", "/bin/sh", "/bin/bash")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Session:
    instance_id: str
    container: str
    command: list[str]
    tty: bool
    expires: float


def not_found(program: str) -> str:
    return (
        "OCI runtime exec failed: exec failed: unable to start container process: "
        f'exec: "{program}": executable file not found in $PATH: unknown\n'
    )


def parse_command(raw: Any) -> list[str]:
    if not raw:
        raise missing("Command")
    try:
        command = json.loads(raw)
    except ValueError:
        raise invalid("Command", 'must be a JSON array of strings, e.g. ["/bin/sh","-c","ls -a"]') from None
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise invalid("Command", 'must be a JSON array of strings, e.g. ["/bin/sh","-c","ls -a"]')
    if len(command) > MAX_COMMANDS:
        raise length_exceeded("Command", f"{len(command)} entries, at most {MAX_COMMANDS} allowed")
    for item in command:
        if len(item) > MAX_COMMAND_CHARS:
            raise length_exceeded("Command", f"an entry of {len(item)} characters, at most 256 allowed")
    return command


def container(inst: Instance, name: Any) -> dict[str, Any]:
    """The running container ``name`` of ``inst`` (exec reaches no init container)."""
    if not name:
        raise missing("ContainerName")
    if inst.status != "Running":
        raise incorrect_status(inst.status, "ExecContainerCommand")
    for c in inst.view.get("Containers", []):
        if c.get("Name") == name:
            if c.get("CurrentState", {}).get("State") != "Running":
                raise ApiError("IncorrectStatus", f"The container {name} is not running.")
            return dict(c)
    raise invalid("ContainerName", f"the instance has no container named {name!r}")


def environment(inst: Instance, spec: dict[str, Any]) -> list[str]:
    """``KEY=value`` lines: HOSTNAME, then the container's env as Describe shows it (the spec's,
    then the image's ``PATH``), field refs resolved as ECI does."""
    out = [f"HOSTNAME={hostname(inst)}"]
    variables = spec.get("EnvironmentVars", [])
    for var in variables:
        path = ((var.get("ValueFrom") or {}).get("FieldRef") or {}).get("FieldPath")
        value = str(inst.view.get("IntranetIp", "")) if path == "status.podIP" else var.get("Value", "")
        out.append(f"{var.get('Key')}={value}")
    if not any(var.get("Key") == "PATH" for var in variables):
        out.append(f"PATH={DEFAULT_PATH}")
    return out


def hostname(inst: Instance) -> str:
    return str(inst.view.get("ContainerGroupName") or inst.id)


def run(inst: Instance, spec: dict[str, Any], command: list[str]) -> str:
    """The output of one non-interactive command."""
    program, args = command[0], command[1:]
    base = program.rsplit("/", 1)[-1]
    if base == "echo":
        return " ".join(args) + "\n"
    if base == "env" and not args:
        return "".join(line + "\n" for line in environment(inst, spec))
    if base == "hostname" and not args:
        return hostname(inst) + "\n"
    if program in SHELLS and args[:1] == ["-c"] and len(args) >= 2:
        return "".join(run_line(inst, spec, line) for line in args[1].split(";"))
    return not_found(program)


def run_line(inst: Instance, spec: dict[str, Any], line: str) -> str:
    """One shell line; an empty line prints nothing."""
    try:
        words = shlex.split(line)
    except ValueError:
        return "sh: syntax error: unterminated quoted string\n"
    if not words:
        return ""
    output = run(inst, spec, words)
    if output.startswith("OCI runtime exec failed"):
        return f"sh: {words[0]}: not found\n"
    return output


def open_session(
    sessions: dict[str, Session], inst: Instance, name: str, command: list[str], tty: bool, now: float
) -> str:
    """A single-use session token for the WebSocket endpoint; expired ones are dropped."""
    for token in [t for t, s in sessions.items() if s.expires < now]:
        del sessions[token]
    token = secrets.token_urlsafe(24)
    sessions[token] = Session(inst.id, name, command, tty, now + SESSION_SECONDS)
    return token


STDIN, STDOUT, STATUS = 0, 1, 3


class Shell:
    """The interactive side of a session: bytes in, bytes out, ``exit [N]`` ends it.

    A TTY session echoes what is typed and ends lines with CRLF, as a terminal in cooked mode does.
    """

    def __init__(self, inst: Instance, spec: dict[str, Any], tty: bool) -> None:
        self.inst, self.spec, self.tty = inst, spec, tty
        self.buffer = ""
        self.exit_code: int | None = None

    @property
    def prompt(self) -> str:
        return "# " if self.tty else ""

    def _out(self, text: str) -> str:
        return text.replace("\n", "\r\n") if self.tty else text

    def feed(self, data: str) -> str:
        """What the session prints back for ``data``; sets ``exit_code`` on ``exit``."""
        out: list[str] = []
        for ch in data:
            if self.exit_code is not None:
                break
            if ch in "\r\n":
                if self.tty:
                    out.append("\r\n")
                line, self.buffer = self.buffer, ""
                words = line.split()
                if words[:1] == ["exit"]:
                    self.exit_code = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
                    break
                out.append(self._out(run_line(self.inst, self.spec, line)) + self.prompt)
            elif ch in "\x7f\b":
                if self.buffer:
                    self.buffer = self.buffer[:-1]
                    out.append("\b \b" if self.tty else "")
            elif ch == "\x04" and not self.buffer:  # Ctrl-D on an empty line
                self.exit_code = 0
            else:
                self.buffer += ch
                if self.tty:
                    out.append(ch)
        return "".join(out)
