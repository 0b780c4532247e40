"""Who owns an ECI instance, and the idempotency tokens of the writes made on an owner's behalf.

Every instance the operator creates or adopts carries four tags naming its ContainerGroup:
the cluster, namespace, name and uid. They make a lost ID recoverable (find by uid tag), let the
operator refuse to adopt an instance that another ContainerGroup owns, and are removed when a
ContainerGroup with ``deletionPolicy: Orphan`` lets its instance go.

ClientTokens are derived, never random, so a retry after a timeout or a crash repeats the very same
request and ECI answers it once: Create from uid + generation (a fixed spec retried creates one
instance; an edited spec after a refused create is not an IdempotentParameterMismatch; a vanished
instance's ID is mixed in when re-creating it), Update from uid + plan hash + the time of the
observation the plan came from, Replace from uid + replaced ID + plan hash, Delete from uid + ID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from eci_operator.translate.ownership import OWNERSHIP_TAG_KEYS, TAG_CLUSTER, TAG_NAME, TAG_NAMESPACE, TAG_UID

CLUSTER_TAG, NAMESPACE_TAG, NAME_TAG, UID_TAG = TAG_CLUSTER, TAG_NAMESPACE, TAG_NAME, TAG_UID
OWNERSHIP_TAGS = OWNERSHIP_TAG_KEYS

TOKEN_MAX = 64


@dataclass(frozen=True)
class Owner:
    """The ContainerGroup an instance belongs to."""

    cluster: str
    namespace: str
    name: str
    uid: str

    def tags(self) -> dict[str, str]:
        return {
            CLUSTER_TAG: self.cluster,
            NAMESPACE_TAG: self.namespace,
            NAME_TAG: self.name,
            UID_TAG: self.uid,
        }

    def describe(self) -> str:
        return f"{self.namespace}/{self.name} (uid {self.uid}, cluster {self.cluster})"


def owner_from_tags(tags: Mapping[str, str]) -> Owner | None:
    """The owner named by an instance's tags, or None when it carries no uid tag."""
    uid = tags.get(UID_TAG)
    if not uid:
        return None
    return Owner(
        cluster=tags.get(CLUSTER_TAG, ""),
        namespace=tags.get(NAMESPACE_TAG, ""),
        name=tags.get(NAME_TAG, ""),
        uid=uid,
    )


def _token(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(":".join([kind, *map(str, parts)]).encode()).hexdigest()
    return f"eo-{kind}-{digest}"[:TOKEN_MAX]


def create_token(uid: str, generation: int, lost: str = "") -> str:
    """``lost`` is the recorded ID of an instance that vanished: a new token, so ECI does not replay
    the Create that made the vanished one; unchanged across a crash before the new ID is recorded."""
    return _token("c", uid, generation, lost) if lost else _token("c", uid, generation)


def replace_token(uid: str, replaced: str, plan_hash: str) -> str:
    """Stable while ``replaced`` is still the recorded instance, so a crash before the new ID is
    recorded replays the same Create; the next replacement (of the new instance) gets a new one."""
    return _token("r", uid, replaced, plan_hash)


def update_token(uid: str, plan_hash: str, observed_at: float) -> str:
    """Every retry of one Update call carries the same token. The observation time is mixed in
    because the same change can legitimately be needed twice (a drift undone, then repeated; an
    image edited and reverted): ECI would otherwise answer the second from its idempotency memory
    without applying anything. Sending an identical update twice is harmless; skipping one is not."""
    return _token("u", uid, plan_hash, f"{observed_at:.6f}")


def delete_token(uid: str, group_id: str) -> str:
    return _token("d", uid, group_id)
