"""Tags that mark an ECI instance as managed by one ContainerGroup."""

from __future__ import annotations

from eci_operator.api.containergroup import RESERVED_TAG_PREFIX

TAG_CLUSTER = f"{RESERVED_TAG_PREFIX}cluster"
TAG_NAMESPACE = f"{RESERVED_TAG_PREFIX}namespace"
TAG_NAME = f"{RESERVED_TAG_PREFIX}name"
TAG_UID = f"{RESERVED_TAG_PREFIX}uid"
OWNERSHIP_TAG_KEYS = (TAG_CLUSTER, TAG_NAMESPACE, TAG_NAME, TAG_UID)


def ownership_tags(*, cluster: str, namespace: str, name: str, uid: str) -> dict[str, str]:
    """The ownership tags of the ContainerGroup ``namespace/name`` with ``uid`` in ``cluster``."""
    return {TAG_CLUSTER: cluster, TAG_NAMESPACE: namespace, TAG_NAME: name, TAG_UID: uid}
