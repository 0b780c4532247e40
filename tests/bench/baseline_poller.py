"""The per-object poller every comparable controller uses: one Describe per instance per interval.

This is the baseline the batched observer is measured against. Each instance gets its own timer
(a random phase, then one ``DescribeContainerGroups`` with that single ID every interval), as a
per-resource requeue or resync timer does. It uses our ECI client with the same client-side quotas
as the operator, so when N calls per interval exceed the account's Describe quota it falls behind
instead of being throttled — the figure it reports is the calls it actually managed.

    python -m tests.bench.baseline_poller --endpoint http://127.0.0.1:PORT --interval 60 \
        --intervals 3 --ids-file ids.txt

Prints one JSON object: ``calls``, ``errors``, ``seconds``, ``calls_per_interval``.
Credentials come from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.errors import EciError
from eci_operator.eci.models import DescribeContainerGroupsRequest


async def poll(
    endpoint: str, region: str, ids: list[str], interval: float, intervals: int
) -> dict[str, float]:
    credentials = StaticCredentials(
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    )
    calls = errors = 0
    started = time.monotonic()
    stop_at = started + interval * intervals

    async with EciClient(region_id=region, credentials=credentials, endpoint=endpoint) as eci:

        async def one(group_id: str) -> None:
            nonlocal calls, errors
            due = started + random.uniform(0, interval)
            while due < stop_at:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if time.monotonic() >= stop_at:
                    return
                try:
                    await eci.describe_container_groups(
                        DescribeContainerGroupsRequest(region_id=region, container_group_ids=[group_id])
                    )
                    calls += 1
                except EciError:
                    errors += 1
                due += interval

        await asyncio.gather(*(one(g) for g in ids))
    seconds = time.monotonic() - started
    return {
        "calls": calls,
        "errors": errors,
        "seconds": round(seconds, 1),
        "calls_per_interval": round(calls / intervals, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--intervals", type=int, default=3)
    parser.add_argument("--ids-file", type=Path, required=True)
    args = parser.parse_args(argv)
    ids = [line.strip() for line in args.ids_file.read_text().splitlines() if line.strip()]
    result = asyncio.run(poll(args.endpoint, args.region, ids, args.interval, args.intervals))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
