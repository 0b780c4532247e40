"""``eci-operator run``: reconcile ContainerGroups against ECI until stopped."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "Run the operator: watch ContainerGroups and keep their ECI instances in line with them."


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return number


def _shard_count(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError(f"must be between 1 and 64, got {value}")
    return number


def _not_negative(value: str) -> float:
    number = float(value)
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, 0 or more, got {value}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--namespace",
        "-n",
        dest="namespaces",
        action="append",
        default=[],
        metavar="NS",
        help="watch only this namespace (repeatable); default: all namespaces",
    )
    parser.add_argument(
        "--eci-endpoint",
        default=os.environ.get("ECI_ENDPOINT"),
        metavar="URL",
        help="ECI API endpoint, e.g. http://127.0.0.1:8080 for the emulator "
        "(default: $ECI_ENDPOINT, else the regional public endpoint eci.<region>.aliyuncs.com)",
    )
    parser.add_argument(
        "--resync-interval",
        type=_positive,
        default=None,
        metavar="S",
        help="seconds between batched drift reads of all instances (jittered; default 600 with the "
        "change feed, 60 without): the sweep finds drift that changes no status",
    )
    parser.add_argument(
        "--feed-interval",
        type=_not_negative,
        default=5.0,
        metavar="S",
        help="seconds between reads of ECI's change feeds (status and events) per region; "
        "0 turns them off (default 5)",
    )
    parser.add_argument(
        "--gone-grace",
        type=_positive,
        default=60.0,
        metavar="S",
        help="seconds that direct reads must find nothing before a recorded instance counts as gone "
        "(re-created, or its deletion finished); ECI's reads lag its writes (default 60)",
    )
    parser.add_argument(
        "--secret-recheck-interval",
        type=_positive,
        default=60.0,
        metavar="S",
        help="seconds between looks at the Secrets a settled ContainerGroup reads (Secrets are not "
        "watched; a rotated one reaches ECI within this); Kubernetes reads only (default 60)",
    )
    parser.add_argument(
        "--reference-grace",
        type=_positive,
        default=300.0,
        metavar="S",
        help="seconds a missing referenced Secret/ConfigMap is waited for (Reconciling) before the "
        "ContainerGroup is Stalled; another controller may create it a moment later (default 300)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="P",
        help="serve Prometheus metrics on this port at /metrics (default: off)",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="ADDR",
        help="address for the metrics server (default 127.0.0.1: this host only; 0.0.0.0 to be scraped)",
    )
    parser.add_argument(
        "--liveness",
        default=None,
        metavar="URL",
        help="serve Kopf's liveness probe at this URL, e.g. http://0.0.0.0:8080/healthz",
    )
    parser.add_argument(
        "--cluster-id",
        default=os.environ.get("ECI_OPERATOR_CLUSTER_ID", "default"),
        help="this cluster's name in the ownership tags (default: $ECI_OPERATOR_CLUSTER_ID or 'default')",
    )
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        help="elect one active replica through a coordination.k8s.io Lease; the others stand by "
        "(watching Kubernetes only) and take over when it stops renewing (default: off, one replica)",
    )
    parser.add_argument(
        "--leader-election-namespace",
        default=None,
        metavar="NS",
        help="namespace of the Lease (default: the operator's own, from its ServiceAccount or kubeconfig)",
    )
    parser.add_argument(
        "--leader-election-id",
        default="eci-operator",
        metavar="NAME",
        help="name of the Lease: replicas using the same Lease elect one leader (default eci-operator)",
    )
    parser.add_argument(
        "--shards",
        type=_shard_count,
        default=1,
        metavar="K",
        help="split the work into K shards, each a Lease (<leader-election-id>-shard-<i>); every replica "
        "holds a fair share of them and reconciles the namespaces hashed to its shards; implies "
        "--leader-elect (default 1: one leader reconciles everything)",
    )
    parser.add_argument(
        "--lease-duration",
        type=_positive,
        default=15.0,
        metavar="S",
        help="seconds a standby waits after the Lease last changed before taking over (default 15)",
    )
    parser.add_argument(
        "--renew-deadline",
        type=_positive,
        default=10.0,
        metavar="S",
        help="seconds the leader keeps trying to renew before it stops reconciling (default 10)",
    )
    parser.add_argument(
        "--retry-period",
        type=_positive,
        default=2.0,
        metavar="S",
        help="seconds between two attempts to take or renew the Lease (default 2)",
    )
    parser.add_argument(
        "--log-format",
        choices=("plain", "full", "json"),
        default="full",
        help="log line format; json gives structured logs (default full)",
    )
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="kubeconfig file out of a cluster (default: in-cluster, else $KUBECONFIG, else ~/.kube/config)",
    )
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    import logging

    import kopf

    from eci_operator import handlers
    from eci_operator.controller.kube import load_config
    from eci_operator.controller.leases import Timing
    from eci_operator.controller.settings import (
        CloudSettings,
        FeedSettings,
        LeaderElectionSettings,
        MetricsSettings,
        OperatorSettings,
        ReconcileSettings,
    )

    # Before Kopf configures logging: a bad kubeconfig is one line on stderr.
    if args.kubeconfig or args.context:
        try:
            handlers.Runtime.kube_config = load_config(args.kubeconfig, args.context)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    kopf.configure(verbose=args.verbose, log_format=kopf.LogFormat[args.log_format.upper()])
    if not args.verbose:
        # Per-event handler successes, liveness probe hits and credential-refresh chatter: noise.
        for noisy in ("httpx", "kopf.objects", "aiohttp.access", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    namespaces = list(dict.fromkeys(args.namespaces))
    resync = args.resync_interval
    if resync is None:
        resync = 600.0 if args.feed_interval > 0 else 60.0
    election = None
    if args.leader_elect or args.shards > 1:
        lease_namespace = args.leader_election_namespace
        if not lease_namespace:
            try:
                handlers.Runtime.kube_config = handlers.Runtime.kube_config or load_config()
            except (OSError, ValueError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            lease_namespace = handlers.Runtime.kube_config.default_namespace
        if not lease_namespace:
            raise SystemExit("--leader-election-namespace is needed: the operator's namespace is unknown")
        try:
            timing = Timing(args.lease_duration, args.renew_deadline, args.retry_period)
        except ValueError as exc:
            raise SystemExit(f"--lease-duration/--renew-deadline/--retry-period: {exc}") from None
        election = LeaderElectionSettings(
            namespace=lease_namespace, name=args.leader_election_id, timing=timing, shards=args.shards
        )
    stop_flag = asyncio.Event()
    handlers.configure(
        OperatorSettings(
            cluster_id=args.cluster_id,
            namespaces=tuple(namespaces),
            reconcile=ReconcileSettings(
                resync_interval=resync,
                gone_grace=args.gone_grace,
                reference_grace=args.reference_grace,
                secret_recheck=args.secret_recheck_interval,
            ),
            feed=FeedSettings(interval=args.feed_interval),
            cloud=CloudSettings(endpoint=args.eci_endpoint),
            metrics=MetricsSettings(port=args.metrics_port, host=args.metrics_host),
            election=election,
        ),
        stop_flag,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            kopf.operator(
                standalone=True,
                clusterwide=not namespaces,
                namespaces=namespaces,
                liveness_endpoint=args.liveness,
                settings=handlers.operator_settings(),
                stop_flag=stop_flag,
            )
        )
    return 1 if handlers.Runtime.lost_leadership else 0
