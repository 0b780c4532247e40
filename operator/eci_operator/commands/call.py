"""``eci-operator call ACTION [Key=Value ...]``: send one signed ECI request, print the JSON answer."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "send one signed ECI request (credentials from the standard chain) and print the JSON answer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", metavar="ACTION", help="API action, e.g. DescribeContainerGroups")
    parser.add_argument(
        "params",
        metavar="Key=Value",
        nargs="*",
        help="flattened request parameters, e.g. RegionId=cn-hangzhou Container.1.Name=web",
    )
    parser.add_argument(
        "--region",
        default=None,
        help="region id (default: the RegionId parameter, else $ALIBABA_CLOUD_REGION_ID); "
        "also sent as RegionId when that parameter is not given",
    )
    parser.add_argument(
        "--endpoint",
        default=None,
        help="endpoint host or URL (default https://eci.<region>.aliyuncs.com; http:// only when given)",
    )
    parser.add_argument("--signature", choices=("acs3", "hmac-sha1"), default="acs3", help="signature scheme")
    parser.add_argument("--deadline", type=float, default=60.0, help="overall seconds, retries included")


def _parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"parameter {item!r} is not Key=Value")
        params[key] = value
    return params


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from eci_operator.eci.client import EciClient
    from eci_operator.eci.credentials import CredentialsError
    from eci_operator.eci.errors import EciError
    from eci_operator.eci.transport import RetryPolicy

    try:
        params = _parse_params(args.params)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    region = args.region or params.get("RegionId") or os.environ.get("ALIBABA_CLOUD_REGION_ID", "")
    if not region and not args.endpoint:
        print("error: give --region, a RegionId=... parameter or --endpoint", file=sys.stderr)
        return 2
    if region:
        params.setdefault("RegionId", region)

    async def send() -> dict[str, object]:
        policy = RetryPolicy(deadline=args.deadline, attempt_timeout=min(15.0, args.deadline))
        async with EciClient(
            region_id=region, endpoint=args.endpoint, signature=args.signature, retry=policy
        ) as client:
            return await client.call(args.action, params)

    try:
        answer = asyncio.run(send())
    except EciError as exc:
        print(f"code: {exc.code or type(exc).__name__}", file=sys.stderr)
        print(f"message: {exc.message}", file=sys.stderr)
        print(f"request id: {exc.request_id or '-'}", file=sys.stderr)
        if exc.http_status is not None:
            print(f"http status: {exc.http_status}", file=sys.stderr)
        return 1
    except (CredentialsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0
