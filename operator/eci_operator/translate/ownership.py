"""Who owns an ECI instance: the tags that name its ContainerGroup.

Every instance the operator creates or adopts carries four tags naming its ContainerGroup: the
cluster, namespace, name and uid. They make a lost ID recoverable (find by uid tag), let the operator
refuse to touch an instance that another ContainerGroup owns, and are removed when a ContainerGroup
with ``deletionPolicy: Orphan`` lets its instance go. The uid alone decides ownership; the other three
are for people (and for listing orphans whose ContainerGroup no longer exists).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eci_operator.api.containergroup import RESERVED_TAG_PREFIX

TAG_CLUSTER = f"{RESERVED_TAG_PREFIX}cluster"
TAG_NAMESPACE = f"{RESERVED_TAG_PREFIX}namespace"
TAG_NAME = f"{RESERVED_TAG_PREFIX}name"
TAG_UID = f"{RESERVED_TAG_PREFIX}uid"
OWNERSHIP_TAG_KEYS = (TAG_CLUSTER, TAG_NAMESPACE, TAG_NAME, TAG_UID)


@dataclass(frozen=True)
class Owner:
    """The ContainerGroup an instance belongs to."""

    cluster: str
    namespace: str
    name: str
    uid: str

    def tags(self) -> dict[str, str]:
        return ownership_tags(cluster=self.cluster, namespace=self.namespace, name=self.name, uid=self.uid)

    def describe(self) -> str:
        return f"{self.namespace}/{self.name} (uid {self.uid}, cluster {self.cluster})"


def ownership_tags(*, cluster: str, namespace: str, name: str, uid: str) -> dict[str, str]:
    """The ownership tags of the ContainerGroup ``namespace/name`` with ``uid`` in ``cluster``."""
    return {TAG_CLUSTER: cluster, TAG_NAMESPACE: namespace, TAG_NAME: name, TAG_UID: uid}


def owner_from_tags(tags: Mapping[str, str] | Iterable[tuple[str, str]]) -> Owner | None:
    """The owner named by an instance's tags, or None when it carries no uid tag."""
    found = dict(tags.items() if isinstance(tags, Mapping) else tags)
    uid = found.get(TAG_UID)
    if not uid:
        return None
    return Owner(
        cluster=found.get(TAG_CLUSTER, ""),
        namespace=found.get(TAG_NAMESPACE, ""),
        name=found.get(TAG_NAME, ""),
        uid=uid,
    )
