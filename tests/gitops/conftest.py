"""GitOps fixtures: the e2e ones (operator process under the deploy/ RBAC, cluster) plus kubectl.

The tools are the real ones from ``tests/gitops-tools`` (``tests.support.tools``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import cluster, operator_kubeconfig, start_operator
from tests.support.tools import Kubectl

__all__ = ["cluster", "kubectl", "operator_kubeconfig", "start_operator"]


@pytest.fixture
def kubectl(kube_env: Any, kube_namespace: str) -> Kubectl:
    """kubectl as the cluster admin, in the test's namespace."""
    return Kubectl(kube_env.kubeconfig, kube_namespace)
