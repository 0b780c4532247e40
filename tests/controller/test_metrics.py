"""The metrics page carries the series operators alert on, without per-object labels."""

from __future__ import annotations

from prometheus_client import generate_latest

from eci_operator.controller.metrics import Metrics


def test_exposition_has_all_series() -> None:
    metrics = Metrics()
    metrics.reconciles.labels(result="ready").inc()
    metrics.reconcile_seconds.observe(0.2)
    metrics.eci_requests.labels(action="DescribeContainerGroups", code="OK", account="team2").inc(3)
    metrics.drift.labels(action="enforced").inc()
    metrics.add_state_collector(
        phases=lambda: {"Running": 2, "Pending": 1},
        queue_depth=lambda: 4,
        observer_lag=lambda: {"cn-hangzhou": 1.5},
    )
    text = generate_latest(metrics.registry).decode()
    assert 'eci_operator_reconcile_total{result="ready"} 1.0' in text
    assert "eci_operator_reconcile_duration_seconds_count 1.0" in text
    assert (
        'eci_operator_eci_requests_total{account="team2",action="DescribeContainerGroups",code="OK"} 3.0'
        in text
    )
    assert 'eci_operator_drift_detected_total{action="enforced"} 1.0' in text
    assert 'eci_operator_containergroups{phase="Running"} 2.0' in text
    assert "eci_operator_queue_depth 4.0" in text
    assert 'eci_operator_observer_lag_seconds{region="cn-hangzhou"} 1.5' in text


def test_two_instances_do_not_collide() -> None:
    Metrics()
    Metrics()  # a second registry, e.g. in another test, must not raise "Duplicated timeseries"
