"""A mixed workload of ContainerGroup operations and the invariants it must leave behind.

``Workload.run`` issues random create / edit (image: in place with restart) / tag (in place, no
restart) / delete / adopt (an instance made outside the operator, named by spec.containerGroupId)
operations against up to ``size`` ContainerGroups, without waiting for the operator in between.
``converge`` waits until every ContainerGroup is Ready at its latest generation and its instance
matches the spec; ``teardown`` deletes everything and waits until ECI is empty. Meanwhile a
``Sampler`` reads the emulator's instances every few hundred milliseconds and remembers the worst
moment: the most instances that ever carried the same owner uid at once.

``no_duplicates_proof`` reads the emulator's request log: every CreateContainerGroup whose effect
happened (success, or a fault injected after the effect) is grouped by the owner-uid tag it
carried; two different ClientTokens with effect for one uid would be two instances. The workload
makes no edit that needs a replacement, so one ContainerGroup never legitimately owns two.

Sizes come from ``CHAOS_FULL`` (set by ``make chaos``): small by default, so ``make test`` stays fast.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.cluster import Cluster, condition, is_ready
from tests.support.manifests import container_group

OWNER_PREFIX = "eci.operator.dev/"
UID_TAG = OWNER_PREFIX + "uid"
FULL = os.environ.get("CHAOS_FULL", "") not in ("", "0")
SEED = int(os.environ.get("CHAOS_SEED", "20"))  # another seed explores other interleavings
IMAGES = [f"nginx:1.{n}" for n in range(20, 30)]


@dataclass(frozen=True)
class Sizes:
    ops: int
    groups: int
    kills: int


SIZES = Sizes(ops=300, groups=50, kills=20) if FULL else Sizes(ops=60, groups=10, kills=3)


@dataclass
class Expected:
    image: str
    tags: dict[str, str]
    adopted_id: str | None = None


@dataclass
class Workload:
    cluster: Cluster
    emulator: Any
    seed: int
    size: int
    ops: Counter[str] = field(default_factory=Counter)
    live: dict[str, Expected] = field(default_factory=dict)
    uids: set[str] = field(default_factory=set)  # every ContainerGroup uid ever created
    journal: list[str] = field(default_factory=list)  # what was done when, for a failure's evidence
    seeded: set[str] = field(default_factory=set)  # instances made outside the operator, to adopt

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.names = [f"cg-{i:02d}" for i in range(self.size)]

    # -- operations ------------------------------------------------------------------------

    def run(self, count: int, pause: float = 0.15, on_op: Any = None) -> None:
        for n in range(count):
            self.step(n)
            if on_op is not None:
                on_op(n)
            time.sleep(self.rng.uniform(0, pause))

    def step(self, n: int) -> None:
        name = ""
        free = [name for name in self.names if name not in self.live]
        choices = ["edit", "tag", "delete"] * bool(self.live) + ["create", "create", "adopt"] * bool(free)
        kind = self.rng.choice(choices)
        if kind in ("create", "adopt"):
            name = self.rng.choice(free)
            if self.cluster.get(name) is not None:  # still finalizing an earlier delete
                kind = "edit" if self.live else "skip"
            elif kind == "create":
                self.create(name)
            else:
                self.adopt(name, n)
        if kind in ("edit", "tag", "delete"):
            name = self.rng.choice(sorted(self.live))
            if kind == "edit":
                self.edit(name)
            elif kind == "tag":
                self.tag(name, n)
            else:
                self.cluster.delete(name)
                del self.live[name]
        self.ops[kind] += 1
        self.journal.append(f"{time.strftime('%H:%M:%S')} #{n} {kind} {name if kind != 'skip' else ''}")

    def _create(self, name: str, expected: Expected, **spec: Any) -> None:
        body = container_group(name, tags=expected.tags, **spec)
        body["spec"]["containers"][0]["image"] = expected.image
        created = self.cluster.create(body)
        self.uids.add(created["metadata"]["uid"])
        self.live[name] = expected

    def create(self, name: str) -> None:
        self._create(name, Expected(self.rng.choice(IMAGES), {"team": self.rng.choice(["a", "b", "c"])}))

    def adopt(self, name: str, n: int) -> None:
        image = self.rng.choice(IMAGES)
        eci_name = f"legacy-{name}-{n}"
        seeded = self.emulator.seed(
            {
                "RegionId": "cn-hangzhou",
                "ContainerGroupName": eci_name,
                "Status": "Running",
                "Cpu": 1.0,
                "Memory": 2.0,
                "Tags": [{"Key": "origin", "Value": "console"}],
                "Containers": [{"Name": "web", "Image": image, "Ports": [{"Port": 80, "Protocol": "TCP"}]}],
            }
        )
        self.seeded.add(seeded["ContainerGroupId"])
        expected = Expected(image, {"team": "adopted"}, seeded["ContainerGroupId"])
        self._create(name, expected, containerGroupId=expected.adopted_id, containerGroupName=eci_name)

    def edit(self, name: str) -> None:
        image = self.rng.choice([i for i in IMAGES if i != self.live[name].image])
        self.cluster.patch_spec(
            name, {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]}
        )
        self.live[name].image = image

    def tag(self, name: str, n: int) -> None:
        tags = {"team": self.live[name].tags.get("team", "a"), "rev": str(n)}
        # A merge patch keeps keys it does not mention: remove the old ones explicitly.
        patch: dict[str, Any] = {k: None for k in self.live[name].tags if k not in tags}
        patch.update(tags)
        self.cluster.patch_spec(name, {"tags": patch})
        self.live[name].tags = tags

    # -- end states ------------------------------------------------------------------------

    def mismatch(self, name: str, body: dict[str, Any] | None, instances: dict[str, Any]) -> str | None:
        """Why ``name`` is not (yet) where the spec says; None when it is."""
        if body is None:
            return "the ContainerGroup is gone"
        if not is_ready(body):
            return "not Ready: " + yaml.safe_dump((body.get("status") or {}).get("conditions"))
        expected = self.live[name]
        group_id = body["status"].get("containerGroupId")
        if expected.adopted_id and group_id != expected.adopted_id:
            return f"manages {group_id}, not the adopted {expected.adopted_id}"
        instance = instances.get(group_id or "")
        if instance is None:
            return f"instance {group_id} does not exist"
        image = instance["Containers"][0]["Image"]
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags") or []}
        user_tags = {k: v for k, v in tags.items() if not k.startswith(OWNER_PREFIX)}
        wanted = dict(expected.tags)
        if expected.adopted_id:
            wanted["origin"] = "console"  # foreign tags on an adopted instance are kept
        if image != expected.image or user_tags != wanted or instance["Status"] != "Running":
            got = f"{instance['Status']} {image} {user_tags}"
            return f"instance {group_id}: {got}, want {expected.image} {wanted}"
        if tags.get(UID_TAG) != body["metadata"]["uid"]:
            return f"instance {group_id} is not tagged with the owner uid"
        return None

    def converge(self, timeout: float) -> dict[str, str]:
        """Wait until every live ContainerGroup matches and every deleted one is gone; what still differs."""
        deadline = time.monotonic() + timeout
        while True:
            problems = self.problems()
            if not problems or time.monotonic() > deadline:
                return problems
            time.sleep(1.0)

    def problems(self) -> dict[str, str]:
        instances = {i["ContainerGroupId"]: i for i in self.emulator.instances()}
        problems: dict[str, str] = {}
        for name in self.names:
            body = self.cluster.get(name)
            if name in self.live:
                why = self.mismatch(name, body, instances)
                if why:
                    problems[name] = why
            elif body is not None:
                problems[name] = "deleted but still present: " + yaml.safe_dump(body.get("status"))
        owned = {
            i["ContainerGroupId"]
            for i in instances.values()
            if i["Status"] != "Terminating" and not self.never_adopted(i)
        }
        managed = {(self.cluster.get(n) or {}).get("status", {}).get("containerGroupId") for n in self.live}
        leaked = owned - managed
        if leaked:
            problems["(eci)"] = "instances no live ContainerGroup manages: " + yaml.safe_dump(
                [{k: instances[i][k] for k in ("ContainerGroupId", "Status", "Tags")} for i in sorted(leaked)]
            )
        return problems

    def never_adopted(self, instance: dict[str, Any]) -> bool:
        """A seeded instance without owner tags: its ContainerGroup went before the operator took it.

        Deleting a ContainerGroup whose adoption never happened leaves the instance alone, as it
        should: the operator never controlled it (a typo in spec.containerGroupId must not delete
        someone else's instance).
        """
        tags = {t["Key"] for t in instance.get("Tags") or []}
        return instance["ContainerGroupId"] in self.seeded and UID_TAG not in tags

    def unexplained(self) -> list[str]:
        """ContainerGroups that are not Ready and carry no condition saying why."""
        out = []
        for name in self.live:
            body = self.cluster.get(name)
            if body is None or is_ready(body):
                continue
            reasons = [condition(body, t) for t in ("Ready", "Reconciling", "Stalled")]
            if not any(c.get("status") in ("True", "False") and c.get("message") for c in reasons):
                out.append(name)
        return out

    def save_evidence(self, directory: Path) -> None:
        """The emulator's request log, the journal and the end state, next to the operator's log."""
        (directory / "eci-requests.json").write_text(json.dumps(self.emulator.requests(), indent=1))
        evidence = {
            "journal": self.journal,
            "containergroups": [self.cluster.get(n) for n in self.names],
            "instances": self.emulator.instances(),
        }
        (directory / "evidence.json").write_text(json.dumps(evidence, indent=1))

    def teardown(self, timeout: float) -> tuple[list[dict[str, Any]], int]:
        """Delete every ContainerGroup, wait for them and for ECI to be empty.

        Returns the instances left behind (leaks) and the number of never-adopted seeded instances.
        """
        for name in list(self.live):
            self.cluster.delete(name)
            del self.live[name]
        deadline = time.monotonic() + timeout
        while True:
            instances = self.emulator.instances()
            left = [i for i in instances if not self.never_adopted(i)]
            gone = all(self.cluster.get(n) is None for n in self.names)
            if (gone and not left) or time.monotonic() > deadline:
                return left, len(instances) - len(left)
            time.sleep(1.0)


class Sampler(threading.Thread):
    """Reads the emulator's instances every ``interval`` s; the worst count of instances per owner uid."""

    def __init__(self, emulator: Any, interval: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.emulator = emulator
        self.interval = interval
        self.stopped = threading.Event()
        self.samples = 0
        self.worst: dict[str, int] = {}

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                instances = self.emulator.instances()
            except Exception:  # a slow admin answer is not a finding
                continue
            per_uid = Counter(
                t["Value"] for i in instances for t in i.get("Tags") or [] if t["Key"] == UID_TAG
            )
            for uid, count in per_uid.items():
                self.worst[uid] = max(self.worst.get(uid, 0), count)
            self.samples += 1

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.worst.values())


def _uid_of(params: dict[str, str]) -> str | None:
    for key, value in params.items():
        if key.startswith("Tag.") and key.endswith(".Key") and value == UID_TAG:
            return params.get(key[: -len("Key")] + "Value")
    return None


def no_duplicates_proof(requests: list[dict[str, Any]]) -> dict[str, Any]:
    """From the request log: ClientTokens with effect per owner uid, and the faults injected by kind."""
    tokens: dict[str, set[str]] = {}
    for r in requests:
        if r["Action"] != "CreateContainerGroup":
            continue
        effect = r["Code"] is None or "after effect" in (r.get("Fault") or "")
        uid = _uid_of(r["Params"])
        if effect and uid:
            tokens.setdefault(uid, set()).add(r["Params"].get("ClientToken", ""))
    faults = Counter(str(r["Fault"]) for r in requests if r.get("Fault"))
    faults.update(str(r["Code"]) for r in requests if str(r.get("Code") or "").startswith("Throttling"))
    return {
        "eci_requests": len(requests),
        "instances_created": sum(len(t) for t in tokens.values()),
        "duplicate_creates": sum(len(t) - 1 for t in tokens.values()),
        "faults": dict(sorted(faults.items())),
        "faults_total": sum(faults.values()),
    }


def run_and_prove(
    workload: Workload,
    drive: Callable[[], None],
    evidence: Path,
    *,
    converge_timeout: float,
    teardown_timeout: float,
) -> dict[str, Any]:
    """``drive()`` the workload, then check every guarantee; the figures of the run.

    Converged (every ContainerGroup Ready at its generation, its instance as specified), nothing
    stuck without a condition saying why, nothing left in ECI after deleting everything, and no
    duplicate instance: neither in the request log nor in any sample taken along the way.
    """
    sampler = Sampler(workload.emulator)
    sampler.start()
    try:
        drive()
        problems = workload.converge(timeout=converge_timeout)
        unexplained = workload.unexplained()
        assert not problems, {"not converged": problems, "without a reason": unexplained}
        assert not unexplained
        left, never_adopted = workload.teardown(timeout=teardown_timeout)
        assert left == [], left
    finally:
        sampler.stop()
        workload.save_evidence(evidence)
    proof = no_duplicates_proof(workload.emulator.requests())
    assert proof["duplicate_creates"] == 0, proof
    assert sampler.duplicates == 0, sampler.worst
    return {
        "operations": sum(workload.ops.values()),
        "operations_by_kind": dict(workload.ops),
        "containergroups": len(workload.uids),
        "duplicates_in_request_log": proof.pop("duplicate_creates"),
        "duplicates_sampled": sampler.duplicates,
        "samples": sampler.samples,
        "leaks": len(left),
        "adoptions_withdrawn_before_taken": never_adopted,
        "stuck_without_reason": len(unexplained),
        **proof,
    }
