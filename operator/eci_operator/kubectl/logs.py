"""``kubectl eci logs NAME [-c C] [--tail N] [--since 10m] [--timestamps] [-f] [--previous]``.

DescribeContainerLog returns at most the newest 2000 lines (1 MiB) per call, so that is what an
unbounded ``--tail`` shows. ``-f`` polls: each poll asks for the lines since the last one printed
(with timestamps, whatever ``--timestamps`` says) and prints only those it has not printed yet —
lines later than the last timestamp, and at that timestamp only the ones after those printed — so a
line is never repeated however the polls overlap.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import math
import re
import sys
import time

from eci_operator.eci.credentials import CredentialsError
from eci_operator.eci.errors import EciError
from eci_operator.eci.models import DescribeContainerLogRequest
from eci_operator.kubectl import session

HELP = "print the logs of a container of a ContainerGroup's instance"
MAX_TAIL = 2000
OVERLAP_SECONDS = 60  # polls reach this far behind the last line, against clock skew
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def duration(text: str) -> int:
    """``10m``, ``1h30m``, ``45s`` → seconds."""
    match = _DURATION.match(text)
    if not text or match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 45s, 10m or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the ContainerGroup")
    parser.add_argument("-c", "--container", default=None, help="container (required when there are several)")
    parser.add_argument(
        "--tail", type=int, default=-1, help="lines to show, newest last (default: all, at most 2000)"
    )
    parser.add_argument("--since", type=duration, default=None, help="only lines newer than this, e.g. 10m")
    parser.add_argument("--timestamps", action="store_true", help="prefix each line with its RFC 3339 time")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument("-p", "--previous", action="store_true", help="the container before its last restart")
    parser.add_argument("--poll-interval", type=float, default=1.0, help=argparse.SUPPRESS)
    session.add_connection_arguments(parser)


def _epoch(stamp: str) -> float:
    """RFC 3339 UTC with up to nanoseconds → epoch seconds (fractions kept to microseconds)."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    base = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return base + (float("0." + fraction[:6]) if fraction else 0.0)


def _key(stamp: str) -> str:
    """A stamp that sorts as time does (RFC 3339 drops trailing zeros of the fraction)."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return f"{whole}.{fraction.ljust(9, '0')}"


class Follower:
    """Which stamped lines are new: later than the last one printed, or at its time and after the
    ones already printed there (lines sharing a stamp keep their order, and a ``--tail`` may have
    shown only the last of them: those before it are old)."""

    def __init__(self) -> None:
        self.last = ""
        self.last_stamp = ""
        self.seen_at_last: list[str] = []

    def new(self, content: str) -> list[tuple[str, str]]:
        at_last: list[tuple[str, str]] = []
        later: list[tuple[str, str, str]] = []
        for line in content.splitlines():
            stamp, _, text = line.partition(" ")
            key = _key(stamp)
            if key == self.last:
                at_last.append((stamp, text))
            elif key > self.last:
                later.append((key, stamp, text))
        out = _after(at_last, self.seen_at_last)
        self.seen_at_last += [text for _, text in out]
        for key, stamp, text in later:
            if key > self.last:
                self.last, self.last_stamp, self.seen_at_last = key, stamp, []
            self.seen_at_last.append(text)
            out.append((stamp, text))
        return out


def _after(group: list[tuple[str, str]], seen: list[str]) -> list[tuple[str, str]]:
    """The lines of ``group`` after the first run of ``seen`` in it; without such a run, those not
    in ``seen`` (each seen line cancels one equal line)."""
    texts = [text for _, text in group]
    for start in range(len(texts) - len(seen) + 1):
        if texts[start : start + len(seen)] == seen:
            return group[start + len(seen) :]
    left = list(seen)
    out = []
    for stamp, text in group:
        if text in left:
            left.remove(text)
        else:
            out.append((stamp, text))
    return out


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    async with session.connected(args) as (kube, namespace):
        target = await session.target(kube, namespace, args.name)
    target.instance_id()
    async with session.eci_client(args, target.region) as client:
        group = await session.instance(client, target)
        name = session.container(group, args.container, args.name)
        tail = MAX_TAIL if args.tail < 0 else min(args.tail, MAX_TAIL)
        request = DescribeContainerLogRequest(
            region_id=target.region,
            container_group_id=group.container_group_id,
            container_name=name,
            tail=tail,
            since_seconds=args.since,
            last_time=True if args.previous else None,
            timestamps=True if (args.timestamps or args.follow) else None,
        )
        follower = Follower()

        async def fetch(request: DescribeContainerLogRequest) -> str:
            try:
                return (await client.describe_container_log(request)).content
            except (EciError, CredentialsError) as exc:
                raise session.eci_failure(exc, f" (container {name})") from None

        content = await fetch(request)
        if not args.follow:
            sys.stdout.write(content)
            return 0
        _print(follower.new(content), args.timestamps)
        while True:
            await asyncio.sleep(args.poll_interval)
            since = OVERLAP_SECONDS
            if follower.last:
                since += math.ceil(max(0.0, time.time() - _epoch(follower.last_stamp)))
            content = await fetch(request.model_copy(update={"tail": MAX_TAIL, "since_seconds": since}))
            _print(follower.new(content), args.timestamps)


def _print(lines: list[tuple[str, str]], timestamps: bool) -> None:
    for stamp, text in lines:
        sys.stdout.write(f"{stamp} {text}\n" if timestamps else f"{text}\n")
    sys.stdout.flush()
