"""ECI answers that are slow, odd, huge or that echo the request: no stall, no leak, bounded memory."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from tests.chaos.figures import record
from tests.hostile.measures import channels, peak_rss_mib
from tests.support.cluster import Cluster, is_ready, is_stalled
from tests.support.hostile_proxy import HostileProxy
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube

# Secret values of every awkward kind: quotes and backslashes (JSON-escaped differently), non-ASCII
# (escaped as \\u00fc by ensure_ascii), three characters, and long. None of them can appear in a
# log or an Event by coincidence.
SECRETS = {
    "quoted": 'p"w\\d-Qx7',
    "unicode": "pässwörd-ü§",
    "short": "ü§¶",
    "long": "Lk9-" + "z" * 200 + "-end",
}


def spellings(value: str) -> set[str]:
    """Every form an echo can take (raw, percent-encoded once and twice, form, JSON with and without
    ensure_ascii)."""
    once = quote(value, safe="")
    return {
        value,
        once,
        quote(once, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def secret(name: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def with_secret_env(name: str) -> dict[str, Any]:
    env = [{"name": k.upper(), "valueFrom": {"secretKeyRef": {"name": "app", "key": k}}} for k in SECRETS]
    return container_group(name, containers=[{"name": "web", "image": "nginx:1.27", "env": env}])


@pytest.mark.parametrize("shape", ["json", "text", "header", "ok"])
def test_a_secret_echoed_by_eci_reaches_no_channel(
    shape: str, cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    operator = start_operator(cluster.namespace, emulator, endpoint=proxy.url)
    cluster.put_core(secret("app", SECRETS))
    proxy.echo(shape, actions={"CreateContainerGroup"}, times=2, pad=300)
    cluster.create(with_secret_env("echoed"))
    # A JSON echo is a terminal InvalidParameter (Stalled); the others are answers that are not ECI's,
    # retried within the call until the proxy forwards again (Ready). Either way the echo was handled.
    cluster.wait("echoed", lambda b: is_ready(b) or is_stalled(b), timeout=90)
    assert proxy.count("CreateContainerGroup") >= 1
    found = {
        (channel, which)
        for channel, text in channels(cluster, ["echoed"], operator.log()).items()
        for which, value in SECRETS.items()
        if any(form in text for form in spellings(value))
    }
    record("echoed_secrets", shape=shape, secret_values_found=len(found))
    assert found == set()


@pytest.mark.parametrize("odd", ["not_json", "json_array", "ok_with_code", "unknown_code"])
def test_odd_answers_delay_an_edit_but_never_stall_it(
    odd: str, cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, endpoint=proxy.url)
    cluster.create(container_group("web"))
    cluster.wait("web", is_ready)
    if odd == "unknown_code":
        proxy.fail(400, code="Weird.NeverSeenBefore", message="no idea")
    else:
        getattr(proxy, odd)()
    cluster.patch_spec("web", {"containers": [{"name": "web", "image": "nginx:1.28"}]})
    time.sleep(10)  # the edit meets odd answers only
    proxy.clear()
    body = cluster.wait("web", lambda b: is_ready(b) and b["metadata"]["generation"] == 2, timeout=90)
    instance = emulator.instance(body["status"]["containerGroupId"])
    assert instance is not None and instance["Containers"][0]["Image"] == "nginx:1.28"


def test_huge_answers_keep_the_operator_within_its_memory_limit(
    cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    operator = start_operator(cluster.namespace, emulator, resync=3.0, endpoint=proxy.url)
    for i in range(3):
        cluster.create(container_group(f"big-{i}"))
    for i in range(3):
        cluster.wait(f"big-{i}", is_ready)
    proxy.huge(50, actions={"DescribeContainerGroups"})  # a valid, empty answer of 50 MiB
    time.sleep(15)
    assert operator.process is not None
    peak = peak_rss_mib(operator.process.pid)
    proxy.clear()
    for i in range(3):
        cluster.wait(f"big-{i}", is_ready, timeout=90)
    instances = [i for i in emulator.instances() if i["Status"] != "Terminating"]
    record("huge_answers", peak_rss_mib=round(peak, 1), instances=len(instances))
    assert peak < 512  # the Deployment's memory limit
    assert len(instances) == 3  # an empty answer is not proof that anything is gone


def test_a_dripping_answer_cannot_hold_an_edit_hostage(
    cluster: Cluster, emulator: Any, proxy: HostileProxy, start_operator: Any
) -> None:
    start_operator(cluster.namespace, emulator, endpoint=proxy.url)
    cluster.create(container_group("web"))
    cluster.wait("web", is_ready)
    proxy.drip(2.0, size=1)  # one byte every 2 s: each attempt runs into its whole-attempt timeout
    cluster.patch_spec("web", {"containers": [{"name": "web", "image": "nginx:1.28"}]})
    time.sleep(20)
    proxy.clear()
    cluster.wait("web", lambda b: is_ready(b) and b["metadata"]["generation"] == 2, timeout=90)
