"""Prometheus metrics of the operator, on a registry of their own (served by ``eci-operator run``).

No per-object labels: series stay bounded however many ContainerGroups exist. Gauges that describe
current state (groups by phase, queue depth, observer lag) are computed at scrape time from the
controller's memory, so deleted objects never leave stale series behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

PREFIX = "eci_operator"


class Metrics:
    """All series of one operator process. Tests create their own instance."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.reconciles = Counter(
            f"{PREFIX}_reconcile_total",
            "Reconciles of ContainerGroups by result (ready, progressing, stalled, error, deleted).",
            ["result"],
            registry=self.registry,
        )
        self.reconcile_seconds = Histogram(
            f"{PREFIX}_reconcile_duration_seconds",
            "Time one reconcile took.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.eci_requests = Counter(
            f"{PREFIX}_eci_requests_total",
            "ECI API requests by action, result code (OK for success) and EciAccount (empty: the "
            "operator's own credentials).",
            ["action", "code", "account"],
            registry=self.registry,
        )
        self.drift = Counter(
            f"{PREFIX}_drift_detected_total",
            "Out-of-band differences between an instance and its spec, by action (enforced, reported).",
            ["action"],
            registry=self.registry,
        )
        self.kube_writes = Counter(
            f"{PREFIX}_kube_writes_total",
            "Writes to the Kubernetes API by kind (status, finalizer, event).",
            ["kind"],
            registry=self.registry,
        )
        self.leader = Gauge(
            f"{PREFIX}_leader",
            "1 while this replica holds the leader-election Lease (with --shards: at least one shard; "
            "or runs without election), else 0.",
            registry=self.registry,
        )
        self.shard = Gauge(
            f"{PREFIX}_shard_held",
            "With --shards: 1 for each shard whose Lease this replica holds, 0 for the others.",
            ["shard"],
            registry=self.registry,
        )

    def add_state_collector(
        self,
        phases: Callable[[], Mapping[str, int]],
        queue_depth: Callable[[], int],
        observer_lag: Callable[[], Mapping[str, float]],
    ) -> None:
        self.registry.register(_StateCollector(phases, queue_depth, observer_lag))


class _StateCollector(Collector):
    def __init__(
        self,
        phases: Callable[[], Mapping[str, int]],
        queue_depth: Callable[[], int],
        observer_lag: Callable[[], Mapping[str, float]],
    ) -> None:
        self._phases = phases
        self._queue_depth = queue_depth
        self._observer_lag = observer_lag

    def collect(self) -> Iterable[Metric]:
        groups = GaugeMetricFamily(
            f"{PREFIX}_containergroups",
            "ContainerGroups by ECI phase (Unknown before the first observation).",
            labels=["phase"],
        )
        for phase, count in sorted(self._phases().items()):
            groups.add_metric([phase], count)
        yield groups
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_depth",
            "ContainerGroups waiting for or in a reconcile.",
            value=self._queue_depth(),
        )
        lag = GaugeMetricFamily(
            f"{PREFIX}_observer_lag_seconds",
            "Seconds since the batched observer last read every instance of a region.",
            labels=["region"],
        )
        for region, seconds in sorted(self._observer_lag().items()):
            lag.add_metric([region], seconds)
        yield lag
