"""``eci-operator emulator``: a local ECI service for development, demos and tests."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eci_operator.emulator.server import EmulatorConfig

HELP = "Run a local emulated ECI endpoint (both signature schemes, ECI's rules and error codes)."
READY_LINE = "eci-emulator listening on http://{host}:{port}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)"
    )
    parser.add_argument(
        "--access-key-id", help="the one AccessKeyId accepted; without it signatures are not checked"
    )
    parser.add_argument("--access-key-secret", help="the AccessKeySecret of --access-key-id")
    parser.add_argument(
        "--extra-access-key",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="one more accepted AccessKey pair (repeatable), e.g. the new pair of a key rotation",
    )
    parser.add_argument(
        "--state-file", help="keep instances in this JSON file (saved atomically, reloaded on start)"
    )
    parser.add_argument(
        "--transition-delay",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="time each lifecycle step takes, e.g. Scheduling→Pending (default 2)",
    )
    parser.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="ACTION=PER_MINUTE",
        help="calls per minute for an action (default: ECI's quotas; 0 = unlimited); repeatable",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of requests that fail (0-1)",
    )
    parser.add_argument(
        "--fault-delay",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how late a slow reply comes (default 30, longer than a usual client timeout)",
    )
    parser.add_argument("--seed", type=int, help="seed for faults and generated IDs (reproducible runs)")
    parser.add_argument("--region", default="cn-hangzhou", help="region of seeded instances that name none")
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ARN",
        help="a RAM role STS's AssumeRole and AssumeRoleWithOIDC may issue keys for (repeatable)",
    )
    parser.add_argument(
        "--oidc-provider",
        action="append",
        default=[],
        metavar="ARN=TOKEN",
        help="an OIDC provider and a token AssumeRoleWithOIDC accepts from it (repeatable, also "
        "to accept several tokens of one provider)",
    )
    parser.add_argument(
        "--sts-lifetime",
        type=float,
        metavar="SECONDS",
        help="seconds STS's keys live, whatever DurationSeconds asks (to watch them expire in a test)",
    )


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Check the flags and build the emulator's configuration; ``ValueError`` names the bad flag."""
    from eci_operator.emulator.actions import HANDLERS
    from eci_operator.emulator.server import EmulatorConfig

    if (args.access_key_id is None) != (args.access_key_secret is None):
        raise ValueError("--access-key-id and --access-key-secret go together")
    extra_keys: dict[str, str] = {}
    for pair in args.extra_access_key:
        key_id, sep, secret = pair.partition(":")
        if not sep or not key_id or not secret:
            raise ValueError("--extra-access-key: give ID:SECRET")
        extra_keys[key_id] = secret
    if extra_keys and args.access_key_id is None:
        raise ValueError("--extra-access-key needs --access-key-id (without it no signature is checked)")
    quotas: dict[str, int] = {}
    for item in args.quota:
        action, sep, value = item.partition("=")
        if not sep or action not in HANDLERS:
            raise ValueError(
                f"--quota {item!r}: expected ACTION=PER_MINUTE with ACTION one of {', '.join(HANDLERS)}"
            )
        try:
            quotas[action] = int(value)
        except ValueError:
            raise ValueError(f"--quota {item!r}: PER_MINUTE must be a whole number") from None
        if quotas[action] < 0:
            raise ValueError(f"--quota {item!r}: PER_MINUTE must not be negative")
    if not 0.0 <= args.fault_rate <= 1.0:
        raise ValueError(f"--fault-rate {args.fault_rate}: must be between 0 and 1")
    if args.transition_delay < 0:
        raise ValueError(f"--transition-delay {args.transition_delay}: must not be negative")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port {args.port}: must be 0-65535")
    oidc_tokens: dict[str, list[str]] = {}
    for item in args.oidc_provider:
        arn, sep, token = item.partition("=")
        if not sep or not arn or not token:
            raise ValueError("--oidc-provider: give ARN=TOKEN")
        oidc_tokens.setdefault(arn, []).append(token)
    if args.sts_lifetime is not None and args.sts_lifetime <= 0:
        raise ValueError(f"--sts-lifetime {args.sts_lifetime}: must be positive")
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        access_key_id=args.access_key_id,
        access_key_secret=args.access_key_secret,
        extra_keys=extra_keys,
        state_file=args.state_file,
        transition_delay=args.transition_delay,
        quotas=quotas,
        fault_rate=args.fault_rate,
        fault_delay=args.fault_delay,
        seed=args.seed,
        region=args.region,
        roles=list(args.role),
        oidc_tokens=oidc_tokens,
        sts_lifetime=args.sts_lifetime,
    )


async def serve(config: EmulatorConfig) -> None:
    """Serve until SIGTERM or SIGINT, then save the state and return."""
    import asyncio
    import signal

    from aiohttp import web

    from eci_operator.emulator.server import Emulator

    emulator = Emulator(config)
    runner = web.AppRunner(emulator.app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = runner.addresses[0][1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    # Printed only once signals are handled, so a supervisor may stop us right after reading it.
    print(READY_LINE.format(host=host, port=port), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        emulator.save()


def run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"eci-operator emulator: {exc}", file=sys.stderr)
        return 2
    from eci_operator.emulator.persistence import StateFileError

    try:
        asyncio.run(serve(config))
    except StateFileError as exc:  # the message names the file and the problem
        print(f"eci-operator emulator: --state-file {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"eci-operator emulator: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    return 0
