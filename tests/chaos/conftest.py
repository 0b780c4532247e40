"""Chaos tests reuse the end-to-end launcher and cluster helpers of tests/e2e (imported, not copied)."""

from tests.e2e.conftest import (  # noqa: F401  (fixtures and the report hook, registered for tests/chaos)
    cluster,
    operator_kubeconfig,
    pytest_runtest_makereport,
    start_operator,
)
