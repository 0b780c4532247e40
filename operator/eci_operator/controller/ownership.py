"""Who owns an ECI instance, and the idempotency tokens of the writes made on an owner's behalf.

Every instance the operator creates or adopts carries four tags naming its ContainerGroup:
the cluster, namespace, name and uid. They make a lost ID recoverable (find by uid tag), let the
operator refuse to adopt an instance that another ContainerGroup owns, and are removed when a
ContainerGroup with ``deletionPolicy: Orphan`` lets its instance go.

ClientTokens are derived, never random, so a retry after a timeout or a crash repeats the very same
request and ECI answers it once: Create from uid + generation (a fixed spec retried creates one
instance; an edited spec after a refused create is not an IdempotentParameterMismatch), Update
from uid + plan hash, Delete from uid + instance ID.
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


def without_ownership(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k not in OWNERSHIP_TAGS}


def _token(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(":".join([kind, *map(str, parts)]).encode()).hexdigest()
    return f"eo-{kind}-{digest}"[:TOKEN_MAX]


def create_token(uid: str, generation: int) -> str:
    return _token("c", uid, generation)


def replace_token(uid: str, plan_hash: str) -> str:
    return _token("r", uid, plan_hash)


def update_token(uid: str, plan_hash: str) -> str:
    return _token("u", uid, plan_hash)


def delete_token(uid: str, group_id: str) -> str:
    return _token("d", uid, group_id)
