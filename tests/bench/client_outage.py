"""Figures for the ECI client against a failing endpoint (not part of ``make test``).

    .venv/bin/python -m tests.bench.client_outage [--outage 60] [--callers 10 1000] [--rss-mib 50]

- **Memory**: peak RSS of a fresh process whose one Describe gets a ``--rss-mib`` MiB answer
  (with and without Content-Length), through the hostile proxy.
- **Outage**: N callers behave as the controller does — call again after a success, back off 1 s
  after an error, come back at ``retry_at`` when the breaker is open — against the emulator behind
  the hostile proxy, which answers 503 (or black-holes every request) for ``--outage`` seconds.
  Reported: requests the endpoint saw during the outage, the busiest 60 s, seconds from the end of
  the outage until the breaker heard the recovery and until every caller had succeeded again.
  ``--no-breaker`` runs the same with a breaker that never opens, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from eci_operator.eci import errors
from eci_operator.eci.breaker import BreakerSettings
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import DescribeContainerGroupsRequest
from eci_operator.eci.quotas import QuotaLimiter
from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, launch
from tests.support.hostile_proxy import HostileProxy

_RSS_CHILD = """
import asyncio, resource, sys
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import DescribeContainerGroupsRequest
from eci_operator.eci.quotas import QuotaLimiter

async def main() -> None:
    async with EciClient(region_id="cn-hangzhou", endpoint=sys.argv[1], limiter=QuotaLimiter(),
                         credentials=StaticCredentials("id", "secret")) as eci:
        try:
            await eci.describe_container_groups(DescribeContainerGroupsRequest(region_id="cn-hangzhou"))
            print("accepted", file=sys.stderr)
        except Exception as exc:
            print(type(exc).__name__, file=sys.stderr)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)

asyncio.run(main())
"""


def peak_rss_mib(mib: float, declare_length: bool) -> dict[str, Any]:
    with HostileProxy() as proxy:
        proxy.huge(mib, declare_length=declare_length)
        done = subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, proxy.url], capture_output=True, text=True, timeout=300
        )
    return {
        "answer_mib": mib,
        "content_length": declare_length,
        "outcome": done.stderr.strip().splitlines()[-1],
        "peak_rss_mib": int(done.stdout.strip()),
    }


async def outage(kind: str, callers: int, seconds: float, breaker: bool) -> dict[str, Any]:
    emulator = launch()
    try:
        with HostileProxy(emulator.url) as proxy:
            settings = BreakerSettings() if breaker else BreakerSettings(failure_threshold=10**9)
            eci = EciClient(
                region_id=REGION,
                endpoint=proxy.url,
                credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
                limiter=QuotaLimiter(),
                breaker_settings=settings,
            )
            recovered = asyncio.Event()
            eci.breaker.subscribe(recovered.set)
            last_ok: dict[int, float] = {}
            stop, all_back = asyncio.Event(), asyncio.Event()
            end = float("inf")

            async def caller(n: int) -> None:
                request = DescribeContainerGroupsRequest(region_id=REGION)
                while not stop.is_set():
                    try:
                        await eci.describe_container_groups(request)
                        last_ok[n] = time.monotonic()
                        if sum(1 for t in last_ok.values() if t > end) == callers:
                            all_back.set()
                        await asyncio.sleep(1.0)
                    except errors.CircuitOpenError as exc:
                        await asyncio.sleep(exc.retry_after)
                    except errors.EciError:
                        await asyncio.sleep(1.0)

            if kind == "503":
                proxy.fail(503)
            else:
                proxy.black_hole()
            start = time.monotonic()
            tasks = [asyncio.create_task(caller(n)) for n in range(callers)]
            await asyncio.sleep(seconds)
            end = time.monotonic()
            proxy.clear()
            during = proxy.count(since=start, until=end)
            busiest = proxy.busiest_minute(since=start, until=end)
            heard = None
            if breaker:
                await asyncio.wait_for(recovered.wait(), 120)
                heard = time.monotonic() - end
            await asyncio.wait_for(all_back.wait(), 180)
            converged = time.monotonic() - end
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await eci.aclose()
    finally:
        emulator.stop()
    return {
        "outage": kind,
        "callers": callers,
        "seconds": seconds,
        "breaker": breaker,
        "requests_during_outage": during,
        "requests_per_minute": round(during / seconds * 60, 1),
        "busiest_minute": busiest,
        "recovery_heard_s": None if heard is None else round(heard, 1),
        "all_callers_ok_s": round(converged, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--callers", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--kinds", nargs="+", default=["503", "black-hole"])
    parser.add_argument("--rss-mib", type=float, default=50.0)
    parser.add_argument("--no-breaker", action="store_true", help="also run each outage without a breaker")
    args = parser.parse_args()
    for declare in (True, False):
        print(json.dumps(peak_rss_mib(args.rss_mib, declare)), flush=True)
    for kind in args.kinds:
        for callers in args.callers:
            for breaker in (True, False) if args.no_breaker else (True,):
                print(json.dumps(asyncio.run(outage(kind, callers, args.outage, breaker))), flush=True)


if __name__ == "__main__":
    main()
