"""Every setting of the operator process, in one typed, documented object (as Kopf's ``OperatorSettings``).

``eci-operator run`` builds it from its flags; tests build it directly. Nested groups say which part
of the operator a setting concerns; every attribute is documented where it is declared. All times
are in seconds. The objects are frozen: a setting never changes while the operator runs.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field

from eci_operator.controller.leases import Timing
from eci_operator.eci.breaker import BreakerSettings
from eci_operator.eci.transport import RetryPolicy


@dataclass(frozen=True)
class ReconcileSettings:
    """How often the controller looks, and how long it waits."""

    resync_interval: float = 600.0
    """Start-to-start period of the batched drift sweep of every managed instance. The change feed
    (``FeedSettings``) reports status changes within seconds, so the sweep only has to find drift
    that changes no status (tags, out-of-band edits): at N = 5000 it costs 250 Describe calls per
    sweep, 25 a minute at 600 s, which with the feed's 13 calls a minute stays within
    ceil(N/20)/10 + 15 = 40. Without the feed (``FeedSettings.interval`` 0) use 60."""

    poll_interval: float = 2.0
    """First delay when polling an ECI transition (Scheduling, Updating...); grows x1.5 per poll up to
    ``resync_interval`` so a slow transition costs few reads."""

    concurrency: int = 16
    """ContainerGroups reconciled at the same time."""

    retry_base: float = 1.0
    """First delay after a retryable failure; doubles per consecutive failure (with jitter)."""

    retry_cap: float = 300.0
    """Longest delay after retryable failures. A failure streak ends with the first success."""

    secret_recheck: float = 60.0
    """A settled ContainerGroup that reads Secrets is reconciled this often, besides the sweep:
    Secrets are not watched, and a rotated one should reach ECI within a minute, not a sweep. It
    costs Kubernetes reads only while nothing changed (the instance comes from the observer's
    cache, and an unchanged status is not written)."""

    gone_grace: float = 60.0
    """An instance whose ID is recorded counts as gone only when direct reads of that ID have found
    nothing for this long (ECI's reads lag its writes by a few seconds: a new instance can be missing
    from Describe answers for a while). Then a lost instance is re-created, or a deletion finishes."""

    gone_reads: int = 3
    """At least this many direct reads, spread over ``gone_grace``, must find nothing."""

    @property
    def gone_spacing(self) -> float:
        """How far apart those reads are."""
        return self.gone_grace / max(1, self.gone_reads - 1)

    reference_grace: float = 300.0
    """A missing referenced Secret or ConfigMap (another controller such as External Secrets may
    create it a moment later) is reported as Reconciling and re-checked with short backoff for this
    long; after that the ContainerGroup is Stalled and the reference is re-checked at the resync
    interval."""


@dataclass(frozen=True)
class FeedSettings:
    """The change feed: what changed on ECI, read every few seconds instead of re-reading everything."""

    interval: float = 5.0
    """Start-to-start period of the status-feed read per (credentials, region); 0 turns the feed off
    (then only the sweep notices changes). 12 calls a minute per region at 5 s."""

    overlap: float = 5.0
    """Seconds each read reaches back beyond the previous read's start: covers ECI's whole-second
    event timestamps and a change that becomes visible a little after its time. Reads are relative
    to ECI's own clock (``SinceSecond``), so a skewed local clock does not open a gap."""

    event_interval: float = 60.0
    """The event feed is read in every interval in which the status feed reported a change (and the
    next one, for events recorded a moment later), and at least this often, for repeats of an event
    (ECI aggregates them: count and last time) that change no status."""

    max_window: float = 600.0
    """The longest window a read may cover. After a longer gap (the feed failed that long) a full
    sweep runs instead, so nothing that changed meanwhile is missed."""

    fallback_interval: float = 60.0
    """While the feed fails (throttled, ECI down), full sweeps run at most this far apart."""


@dataclass(frozen=True)
class CloudSettings:
    """How the operator reaches ECI."""

    endpoint: str | None = None
    """ECI endpoint; None means the region's public one, ``https://eci.<region>.aliyuncs.com``."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Attempts, delays, deadline, timeouts and the answer size cap of one ECI call."""

    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    """When an endpoint counts as down, and how often it is probed then."""


@dataclass(frozen=True)
class AdoptionSettings:
    """Who may bring an existing, untagged ECI instance under a ContainerGroup (``spec.containerGroupId``)."""

    namespaces: frozenset[str] | None = None
    """Namespaces whose ContainerGroups may adopt an instance that no ContainerGroup owns yet; None
    allows every namespace. Adoption gives the adopting namespace control of the instance (updates,
    deletion), so restrict it where namespaces are separate teams. An instance whose ownership tags
    name another ContainerGroup is never adopted, whatever this says."""

    def allows(self, namespace: str) -> bool:
        return self.namespaces is None or namespace in self.namespaces


@dataclass(frozen=True)
class MetricsSettings:
    """The Prometheus endpoint."""

    port: int | None = None
    """Serve ``/metrics`` on this port; None turns it off."""

    host: str = "127.0.0.1"
    """Address to listen on (``0.0.0.0`` in a pod, so that Prometheus can scrape the pod IP)."""


@dataclass(frozen=True)
class AccountSettings:
    """EciAccounts (spec.accountRef)."""

    refresh: float = 10.0
    """An EciAccount and its Secret are read again (get, by name) once this many seconds have passed:
    a rotated key or a changed allow-list is in force within this time."""


def _identity() -> str:
    # The pod name (the hostname in a pod) tells people which replica leads; the suffix tells apart
    # two processes of one pod (a container restart), which must not take each other's Lease.
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaderElectionSettings:
    """Leader election on a ``coordination.k8s.io/v1`` Lease: one replica reconciles, the others
    stand by (watching Kubernetes only) and take over when its Lease runs out."""

    namespace: str
    """Where the Lease lives (the operator's own namespace)."""

    name: str = "eci-operator"
    """The Lease's name; replicas with the same namespace and name elect one leader."""

    identity: str = field(default_factory=_identity)
    """This process's holder identity in the Lease."""

    timing: Timing = field(default_factory=Timing)
    """Lease duration, renew deadline and retry period (controller-runtime's: 15 s, 10 s, 2 s)."""

    shards: int = 1
    """Shard Leases (``run --shards``): with more than one, each replica holds a fair share of
    ``<name>-shard-<i>`` and reconciles only the namespaces hashed to them (``shards.py``); one is a
    single leader on the Lease ``name``."""

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise ValueError("there must be at least one shard")


@dataclass(frozen=True)
class OperatorSettings:
    """The whole configuration of one operator process."""

    cluster_id: str = "default"
    """This cluster's name in the ownership tags of every instance (tells clusters sharing an account
    apart)."""

    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means all."""

    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    feed: FeedSettings = field(default_factory=FeedSettings)
    cloud: CloudSettings = field(default_factory=CloudSettings)
    adoption: AdoptionSettings = field(default_factory=AdoptionSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    election: LeaderElectionSettings | None = None
    """None: this process reconciles from the start (one replica only)."""
