"""Shared pytest configuration.

Fixture plugins, registered here so every test folder can use them:
- tests.kube.testenv: the real control plane (kube-apiserver + etcd) from tests/kube-testenv
- tests.emulator.fixtures: the local ECI emulator on loopback
"""

pytest_plugins = ["tests.kube.testenv", "tests.emulator.fixtures"]
