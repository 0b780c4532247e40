"""What the hostile tests measure: instances per owner, the operator's memory, secrets in every channel."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tests.support.cluster import Cluster

FULL = os.environ.get("HOSTILE_FULL") == "1"


def instances_by_owner(emulator: Any) -> Counter[str]:
    """Live instances per owner uid (Terminating ones are already on their way out)."""
    owners: Counter[str] = Counter()
    for instance in emulator.instances():
        if instance["Status"] == "Terminating":
            continue
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags") or []}
        owners[tags.get("eci.operator.dev/uid", "")] += 1
    return owners


def wait_for(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.5) -> float:
    """Poll ``check`` until true; returns the seconds it took (raises TimeoutError naming ``what``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:g}s")
        time.sleep(interval)
    return time.monotonic() - started


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def channels(cluster: Cluster, names: Iterable[str], log: str) -> dict[str, str]:
    """Everything a user or an admin can read about the objects: log, Events, status, annotations."""
    out = {"log": log}
    for name in names:
        body = cluster.get(name) or {}
        out[f"{name}.status"] = repr(body.get("status"))
        out[f"{name}.annotations"] = repr((body.get("metadata") or {}).get("annotations"))
        out[f"{name}.events"] = repr([(e.get("reason"), e.get("message")) for e in cluster.events(name)])
    return out
