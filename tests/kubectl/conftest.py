"""The kubectl plugin's fixtures: the GitOps ones (real kubectl, the operator as a process)."""

from __future__ import annotations

from tests.gitops.conftest import cluster, kubectl, operator_kubeconfig, start_operator

__all__ = ["cluster", "kubectl", "operator_kubeconfig", "start_operator"]
