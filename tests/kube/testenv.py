"""Session fixture for the kube-testenv control plane (filled in by the kube-testenv work)."""
