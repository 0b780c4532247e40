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


NOT_STATE = "not an emulator state file: "
SCHEDULE = b'{"instances": [{"view": {"ContainerGroupId": "eci-1"}, "seq": 1, "schedule": [[1, "up"]]}]}'


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[]", NOT_STATE + "expected a JSON object, found list"),
        (b'{"instances": {}}', NOT_STATE + "'instances' must be a list"),
        (b'{"instances": [1]}', NOT_STATE + "instances[0] must be an object"),
        (
            b'{"instances": [{"view": "x"}]}',
            NOT_STATE + "instances[0].view must be an object with a ContainerGroupId string",
        ),
        (
            b'{"instances": [{"view": {"ContainerGroupId": "eci-1"}}]}',
            NOT_STATE + "instances[0].seq must be a whole number",
        ),
        (SCHEDULE, NOT_STATE + "instances[0].schedule must be a list of [due, status, restart] steps"),
        (b'{"next_seq": "abc"}', NOT_STATE + "'next_seq' must be a whole number"),
        (
            b'{"tokens": {"t": 1}}',
            NOT_STATE + "'tokens' must map each ClientToken to its fingerprint and answer",
        ),
        (None, "cannot read it: Is a directory"),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "array",
        "instances-object",
        "instance-number",
        "view-string",
        "no-seq",
        "bad-schedule",
        "next-seq-text",
        "bad-token",
        "directory",
    ],
)
def test_a_malformed_state_file_names_itself_and_the_problem(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    from eci_operator.emulator.persistence import StateFile, StateFileError

    state = tmp_path / "broken.json"
    if content is None:
        state.mkdir()
    else:
        state.write_bytes(content)
    with pytest.raises(StateFileError) as info:
        StateFile(state).load()
    assert str(info.value) == f"{state}: {problem}"


@pytest.mark.parametrize("content", [b"{not json", b'{"instances": [{"view": "x"}]}'])
def test_the_command_reports_a_malformed_state_file_in_one_line(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "broken.json"
    state.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "eci_operator.cli", "emulator", "--port", "0", "--state-file", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"eci-operator emulator: --state-file {state}: not ")
    assert result.stdout == "", "it never said it was listening"


def test_state_file_write_is_atomic(tmp_path: Path) -> None:
    from eci_operator.emulator.persistence import StateFile

    state = StateFile(tmp_path / "eci.json")
    state.save({"instances": [], "next_seq": 1})
    with pytest.raises(TypeError):
        state.save({"instances": [object()]})  # fails half-way through writing
    assert state.load() == {"instances": [], "next_seq": 1}, "the previous state is intact"
    assert [p.name for p in tmp_path.iterdir()] == ["eci.json"], "no temporary file is left behind"
