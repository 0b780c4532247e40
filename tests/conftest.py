"""Shared pytest configuration.

Fixture plugins, registered here so every test folder can use them:
- tests.kube.testenv: the real control plane (kube-apiserver + etcd) from tests/kube-testenv
- tests.emulator.fixtures: the local ECI emulator on loopback
"""

import os

from hypothesis import settings

# Property tests draw the same examples on every run (a test suite that passes or fails by the luck of
# a random seed is flaky); HYPOTHESIS_PROFILE=explore draws new ones, to hunt for bugs on purpose.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Tests never ask a cloud metadata service for credentials: only loopback is ever a target.
# Set before anything imports alibabacloud_credentials, which reads it once at import.
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

pytest_plugins = ["tests.kube.testenv", "tests.emulator.fixtures"]
