"""Shared pytest configuration.

Fixture plugins, registered here so every test folder can use them:
- tests.kube.testenv: the real control plane (kube-apiserver + etcd) from tests/kube-testenv
- tests.emulator.fixtures: the local ECI emulator on loopback
"""

import os

# Tests never ask a cloud metadata service for credentials: only loopback is ever a target.
# Set before anything imports alibabacloud_credentials, which reads it once at import.
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

pytest_plugins = ["tests.kube.testenv", "tests.emulator.fixtures"]
