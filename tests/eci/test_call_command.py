"""``eci-operator call``: a real process, credentials from the environment, a server on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from eci_operator.eci import signing

from .scripted_server import Reply, ScriptedServer, error

SECRET = "cli-secret-value-123"


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(
        HOME=str(tmp_path),  # no profile files
        ALIBABA_CLOUD_ACCESS_KEY_ID="cliid",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
    )
    return env


async def run_cli(
    tmp_path: Path, *args: str, credentials: tuple[str, str] | None = None
) -> tuple[int, str, str]:
    """``eci-operator call ARGS`` as a process; ``credentials`` (id, secret) replace the test's keys."""
    env = cli_env(tmp_path)
    if credentials is not None:
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = credentials
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eci_operator.cli",
        "call",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_call_prints_json_answer(tmp_path: Path) -> None:
    answer = {"RequestId": "r-1", "TotalCount": 0, "NextToken": "", "ContainerGroups": []}
    async with ScriptedServer([Reply(body=answer)]) as server:
        code, out, err = await run_cli(
            tmp_path, "DescribeContainerGroups", "RegionId=cn-hangzhou", "--endpoint", server.url
        )
    assert code == 0, err
    assert json.loads(out) == answer
    (req,) = server.requests
    assert req.query == {"RegionId": "cn-hangzhou"}
    auth = signing.parse_acs3_authorization(req.headers["authorization"])
    assert auth.access_key_id == "cliid"
    canonical = signing.acs3_canonical_request("POST", "/", req.query, req.headers, auth.signed_headers, b"")
    assert signing.acs3_signature(SECRET, signing.acs3_string_to_sign(canonical)) == auth.signature


async def test_call_error_goes_to_stderr_with_nonzero_exit(tmp_path: Path) -> None:
    async with ScriptedServer([error("InvalidParameter.NotFound", 404, "no such group")]) as server:
        code, out, err = await run_cli(
            tmp_path,
            "UpdateContainerGroup",
            "ContainerGroupId=eci-x",
            "Container.1.Name=a",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            server.url,
            "--signature",
            "hmac-sha1",
        )
    assert code != 0
    assert out == ""
    assert (
        "InvalidParameter.NotFound" in err
        and "no such group" in err
        and "req-InvalidParameter.NotFound" in err
    )
    assert SECRET not in err
    (req,) = server.requests
    assert req.query["RegionId"] == "cn-hangzhou" and req.query["ClientToken"]
    assert signing.rpc_signature(SECRET, "POST", req.query) == req.query["Signature"]


async def test_call_rejects_malformed_parameter(tmp_path: Path) -> None:
    code, _, err = await run_cli(tmp_path, "DescribeContainerGroups", "RegionId")
    assert code == 2 and "'RegionId' is not Key=Value" in err


async def test_call_without_credentials_says_so(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    del env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eci_operator.cli",
        "call",
        "DescribeContainerGroups",
        "RegionId=cn-hangzhou",
        "--endpoint",
        "http://127.0.0.1:9",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "no Alibaba Cloud credentials found" in err.decode()
