"""Shared pytest configuration. Fixtures for the real control plane live in tests/kube/."""
