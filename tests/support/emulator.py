"""A real ``eci-operator emulator`` process on loopback, and a handle on its admin API."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ACCESS_KEY_ID = "testid"
ACCESS_KEY_SECRET = "testsecret"
REGION = "cn-hangzhou"
READY_PREFIX = "eci-emulator listening on "
SESSION_TRANSITION_DELAY = 0.2


@dataclass
class EmulatorHandle:
    """A running emulator: where it listens, which key it accepts, and its admin API."""

    url: str
    access_key_id: str | None = ACCESS_KEY_ID
    access_key_secret: str | None = ACCESS_KEY_SECRET
    region: str = REGION
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    stderr_path: str | None = None

    @property
    def endpoint(self) -> str:
        """``host:port``, as the official SDK and the client take it (with ``protocol='http'``)."""
        return self.url.removeprefix("http://")

    @property
    def host(self) -> str:
        return self.endpoint.rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.endpoint.rpartition(":")[2])

    # -- admin API, synchronous ----------------------------------------------------------------

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.request(method, f"/_emulator/{path}", json=body)
        if response.status_code >= 400:
            raise AssertionError(f"admin {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def instances(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = self._admin("GET", "instances")["ContainerGroups"]
        return groups

    def instance(self, container_group_id: str) -> dict[str, Any] | None:
        return next((i for i in self.instances() if i["ContainerGroupId"] == container_group_id), None)

    def patch(self, container_group_id: str, partial: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("PATCH", f"instances/{container_group_id}", partial)
        return result

    def remove(self, container_group_id: str) -> None:
        """The instance disappears at once, as when ECI finishes deleting it."""
        self._admin("DELETE", f"instances/{container_group_id}")

    def seed(self, obj: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("POST", "instances", obj)
        return result

    def requests(self, action: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._admin("GET", "requests")["Requests"]
        return [e for e in entries if action is None or e["Action"] == action]

    def clear_requests(self) -> None:
        self._admin("DELETE", "requests")

    def append_logs(self, container_group_id: str, container: str, lines: list[str]) -> None:
        """Lines the container writes now (DescribeContainerLog shows them)."""
        self._admin("POST", f"instances/{container_group_id}/logs", {"container": container, "lines": lines})

    def reset(self) -> None:
        self._admin("POST", "reset")

    def wait_status(self, container_group_id: str, status: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            inst = self.instance(container_group_id)
            if inst is not None and inst["Status"] == status:
                return inst
            if time.monotonic() > deadline:
                raise AssertionError(f"{container_group_id} is {inst and inst['Status']}, not {status}")
            time.sleep(0.02)

    # -- admin API, asynchronous twins -----------------------------------------------------------

    async def _aadmin(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            response = await client.request(method, f"/_emulator/{path}", json=body)
        if response.status_code >= 400:
            raise AssertionError(f"admin {method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def ainstances(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = (await self._aadmin("GET", "instances"))["ContainerGroups"]
        return groups

    async def apatch(self, container_group_id: str, partial: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._aadmin("PATCH", f"instances/{container_group_id}", partial)
        return result

    async def aseed(self, obj: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._aadmin("POST", "instances", obj)
        return result

    async def arequests(self, action: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self._aadmin("GET", "requests"))["Requests"]
        return [e for e in entries if action is None or e["Action"] == action]

    async def aclear_requests(self) -> None:
        await self._aadmin("DELETE", "requests")

    async def areset(self) -> None:
        await self._aadmin("POST", "reset")

    async def await_status(
        self, container_group_id: str, status: str, within: float = 10.0
    ) -> dict[str, Any]:
        import asyncio

        deadline = time.monotonic() + within
        while True:
            inst = next(
                (i for i in await self.ainstances() if i["ContainerGroupId"] == container_group_id), None
            )
            if inst is not None and inst["Status"] == status:
                return inst
            if time.monotonic() > deadline:
                raise AssertionError(f"{container_group_id} is {inst and inst['Status']}, not {status}")
            await asyncio.sleep(0.02)

    # -- process -------------------------------------------------------------------------------

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Stop the process with ``sig``; returns its exit code (None if this handle owns no process)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def _flag_args(flags: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in flags.items():
        if value is None:
            continue
        option = "--" + name.replace("_", "-")
        if name == "quota":
            for action, limit in dict(value).items():
                args += ["--quota", f"{action}={limit}"]
        elif name == "oidc_provider":  # {provider ARN: [tokens]}
            for arn, tokens in dict(value).items():
                args += [a for token in tokens for a in ("--oidc-provider", f"{arn}={token}")]
        elif isinstance(value, list | tuple):  # a repeatable flag
            args += [a for item in value for a in (option, str(item))]
        else:
            args += [option, str(value)]
    return args


def launch(startup_timeout: float = 30.0, **flags: Any) -> EmulatorHandle:
    """Start ``eci-operator emulator --port 0`` with ``flags`` and wait for its ready line."""
    flags.setdefault("access_key_id", ACCESS_KEY_ID)
    flags.setdefault("access_key_secret", ACCESS_KEY_SECRET)
    flags.setdefault("transition_delay", SESSION_TRANSITION_DELAY)
    flags.setdefault("host", "127.0.0.1")
    flags.setdefault("port", 0)
    command = [sys.executable, "-m", "eci_operator.cli", "emulator", *_flag_args(flags)]
    stderr = tempfile.NamedTemporaryFile(prefix="eci-emulator-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ})
    stderr.close()
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + startup_timeout
    line = ""
    while not line.endswith("\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None or not selector.select(remaining):
            process.kill()
            process.wait()
            raise RuntimeError(f"emulator did not start: {line!r} {Path(stderr.name).read_text()}")
        chunk = process.stdout.readline()
        if not chunk:
            continue
        line += chunk
    selector.close()
    if not line.startswith(READY_PREFIX):
        process.kill()
        raise RuntimeError(f"unexpected first line from the emulator: {line!r}")
    return EmulatorHandle(
        url=line.strip().removeprefix(READY_PREFIX),
        access_key_id=flags["access_key_id"],
        access_key_secret=flags["access_key_secret"],
        process=process,
        stderr_path=stderr.name,
    )
