"""How many DescribeContainerGroups calls (20 IDs each) per second the emulator serves.

Starts a real ``eci-operator emulator`` process (quota for Describe lifted), creates 20 instances,
then runs signed Describe calls from concurrent keep-alive clients for a fixed time and prints one
JSON line. Client and server share the machine, so calls_per_second is a lower bound for the
server; server_calls_per_cpu_second (calls per second of the server process's own CPU time) is what
one core spent on the emulator alone would serve.

    .venv/bin/python tests/bench/emulator_describe_rate.py [--seconds 10] [--concurrency 8] \\
        [--scheme rpc|acs3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from eci_operator.eci import signing
from tests.support.emulator import EmulatorHandle, launch

VERSION = "2018-08-08"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell server cost from client cost."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signed(
    handle: EmulatorHandle, scheme: str, action: str, params: dict[str, str]
) -> tuple[str, dict[str, str]]:
    key_id, secret = handle.access_key_id or "", handle.access_key_secret or ""
    nonce, stamp = signing.new_nonce(), signing.format_timestamp()
    if scheme == "acs3":
        headers = signing.sign_acs3_headers(
            action=action, version=VERSION, host=handle.endpoint, query=params, body=b"",
            access_key_id=key_id, access_key_secret=secret, nonce=nonce, timestamp=stamp,
        )  # fmt: skip
        return "/?" + urlencode(params), headers
    full = signing.sign_rpc_params(
        action=action, version=VERSION, params=params, access_key_id=key_id, access_key_secret=secret,
        nonce=nonce, timestamp=stamp,
    )  # fmt: skip
    return "/?" + urlencode(full), {}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scheme", choices=["rpc", "acs3"], default="rpc")
    args = parser.parse_args()

    handle = launch(transition_delay=0, quota={"DescribeContainerGroups": 0, "CreateContainerGroup": 0})
    try:
        async with httpx.AsyncClient(base_url=handle.url, timeout=30) as client:
            ids = []
            for n in range(20):
                params = {
                    "RegionId": handle.region,
                    "ContainerGroupName": f"bench-{n}",
                    "Container.1.Name": "web",
                    "Container.1.Image": "nginx:1.25",
                    "Container.1.Cpu": "1",
                    "Container.1.Memory": "2",
                    "Container.1.Port.1.Port": "80",
                    "Container.1.EnvironmentVar.1.Key": "MODE",
                    "Container.1.EnvironmentVar.1.Value": "bench",
                    "Tag.1.Key": "bench",
                    "Tag.1.Value": "yes",
                }
                url, headers = signed(handle, args.scheme, "CreateContainerGroup", params)
                ids.append((await client.post(url, headers=headers)).json()["ContainerGroupId"])
            query = {"RegionId": handle.region, "ContainerGroupIds": json.dumps(ids)}

            done = 0
            failed = 0
            deadline = time.monotonic() + args.seconds

            async def worker() -> None:
                nonlocal done, failed
                while time.monotonic() < deadline:
                    url, headers = signed(handle, args.scheme, "DescribeContainerGroups", query)
                    response = await client.post(url, headers=headers)
                    body = response.json()
                    if response.status_code == 200 and len(body["ContainerGroups"]) == 20:
                        done += 1
                    else:
                        failed += 1

            assert handle.process is not None
            server_cpu = cpu_seconds(handle.process.pid)
            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            elapsed = time.monotonic() - started
            server_cpu = cpu_seconds(handle.process.pid) - server_cpu
    finally:
        handle.stop()
    print(
        json.dumps(
            {
                "benchmark": "emulator_describe_rate",
                "scheme": args.scheme,
                "ids_per_call": 20,
                "concurrency": args.concurrency,
                "seconds": round(elapsed, 2),
                "calls": done,
                "failed": failed,
                "calls_per_second": round(done / elapsed, 1),
                "server_cpu_ms_per_call": round(1000 * server_cpu / max(done, 1), 3),
                "server_calls_per_cpu_second": round(done / server_cpu, 1) if server_cpu else None,
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
