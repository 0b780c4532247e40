"""The ``eci-operator emulator`` process: ready line, port 0, signals, the state file, flag errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.emulator.rpc import Api
from tests.support.emulator import EmulatorHandle


def test_port_zero_prints_ready_line_and_serves(emulator: EmulatorHandle) -> None:
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.port > 0
    assert httpx.get(f"{emulator.url}/_emulator/instances").json() == {"ContainerGroups": []}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_signal(start_emulator: Callable[..., EmulatorHandle], sig: int) -> None:
    handle = start_emulator()
    assert handle.stop(sig) == 0


async def test_state_file_survives_restart(
    start_emulator: Callable[..., EmulatorHandle], tmp_path: Path
) -> None:
    state = tmp_path / "state" / "eci.json"
    first = start_emulator(state_file=state, transition_delay=0)
    api = Api.for_handle(first)
    created = await api.ok("CreateContainerGroup", **api.group("kept"), ClientToken="tok-1")
    assert first.stop() == 0
    saved = json.loads(state.read_text())
    assert [i["view"]["ContainerGroupId"] for i in saved["instances"]] == [created["ContainerGroupId"]]
    assert not list(state.parent.glob(".eci.json.*")), "no temporary file is left behind"

    second = start_emulator(state_file=state, transition_delay=0)
    again = Api.for_handle(second)
    [inst] = second.instances()
    assert inst["ContainerGroupId"] == created["ContainerGroupId"]
    assert inst["Status"] == "Running"
    # The ClientToken record survives too: the retry of the same Create returns the same instance.
    retry = await again.ok("CreateContainerGroup", **api.group("kept"), ClientToken="tok-1")
    assert retry["ContainerGroupId"] == created["ContainerGroupId"]
    assert len(second.instances()) == 1


async def test_a_transition_in_progress_continues_after_a_restart(
    start_emulator: Callable[..., EmulatorHandle], tmp_path: Path
) -> None:
    state = tmp_path / "eci.json"
    first = start_emulator(state_file=state, transition_delay=0.5)
    created = await Api.for_handle(first).ok("CreateContainerGroup", **Api.for_handle(first).group("moving"))
    assert first.stop() == 0
    second = start_emulator(state_file=state, transition_delay=0.5)
    assert (
        second.wait_status(created["ContainerGroupId"], "Running", timeout=10)["Containers"][0]["Ready"]
        is True
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--quota", "Nope=5"], "--quota"),
        (["--quota", "UpdateContainerGroup=x"], "--quota"),
        (["--fault-rate", "1.5"], "--fault-rate"),
        (["--access-key-id", "only-id"], "--access-key-secret"),
    ],
)
def test_bad_flags_name_the_flag(flags: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eci_operator.cli", "emulator", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_unreadable_state_file_is_reported(tmp_path: Path) -> None:
    state = tmp_path / "broken.json"
    state.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "eci_operator.cli", "emulator", "--port", "0", "--state-file", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "--state-file" in result.stderr and "Traceback" not in result.stderr


def test_state_file_write_is_atomic(tmp_path: Path) -> None:
    from eci_operator.emulator.persistence import StateFile

    state = StateFile(tmp_path / "eci.json")
    state.save({"instances": [], "next_seq": 1})
    with pytest.raises(TypeError):
        state.save({"instances": [object()]})  # fails half-way through writing
    assert state.load() == {"instances": [], "next_seq": 1}, "the previous state is intact"
    assert [p.name for p in tmp_path.iterdir()] == ["eci.json"], "no temporary file is left behind"
