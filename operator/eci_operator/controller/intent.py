"""What a ContainerGroup asks for, ready to send: its spec translated with the objects it references.

Everything that knows how a spec maps to ECI parameters lives in ``translate/``; this module reads
the object's body into the models, resolves the referenced Secrets and ConfigMaps and packages the
translation as an :class:`Intent`, the one input of the decision step that comes from Kubernetes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eci_operator.api.containergroup import ContainerGroup, ContainerGroupSpec
from eci_operator.controller.resolving import Resolved
from eci_operator.eci.models import CreateContainerGroupRequest
from eci_operator.translate import (
    Desired,
    Owner,
    ReferencedNames,
    TranslationError,
    fingerprints,
    parse_group,
    referenced_names,
    translate,
)


class SpecError(Exception):
    """The spec (or what it references) cannot be turned into ECI parameters; names the field."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing
        """The referenced objects that do not exist ("Secret db", ...), when that is why."""


def parse(body: Mapping[str, Any]) -> ContainerGroup:
    """The validated ContainerGroup (status ignored: it is ours and may lag the schema)."""
    try:
        return parse_group({k: v for k, v in body.items() if k in ("apiVersion", "kind", "metadata", "spec")})
    except TranslationError as exc:
        raise SpecError(str(exc)) from None


def references_of(group: ContainerGroup) -> ReferencedNames:
    return referenced_names(group.spec)


@dataclass(frozen=True)
class Intent:
    """What the spec asks for, ready to send."""

    owner: Owner
    spec: ContainerGroupSpec
    desired: Desired
    fingerprints: dict[str, Any]
    """``status.appliedFingerprints`` once this intent has been written."""
    inputs_hash: str
    """Changes whenever the spec or a referenced Secret/ConfigMap changes."""
    reads_secrets: bool = False
    """Whether the spec refers to any Secret (Secrets are not watched: see ``secret_recheck``)."""
    public_values: frozenset[str] = frozenset()
    """Env values that come from no Secret (written in clear, or from a ConfigMap): the ECI client
    need not scrub them from error messages (see ``Transport.call``)."""

    @property
    def region(self) -> str:
        return self.desired.request.region_id

    @property
    def create(self) -> CreateContainerGroupRequest:
        """The Create request (ownership tags included, no ClientToken yet)."""
        return self.desired.request


def build_intent(group: ContainerGroup, owner: Owner, resolved: Resolved) -> Intent:
    missing = tuple(resolved.missing())
    try:
        desired = translate(group, resolved.references(), owner_tags=owner.tags())
    except (TranslationError, ValueError) as exc:
        if missing:
            raise SpecError(f"{exc} (missing: {', '.join(missing)})", missing=missing) from None
        raise SpecError(str(exc)) from None
    prints = fingerprints(desired).to_dict()
    # Labels and annotations count: fieldRefs can send them to the instance.
    meta = group.metadata
    inputs = json.dumps(
        {
            "spec": group.spec.to_dict(),
            "labels": meta.labels,
            "annotations": meta.annotations,
            "fingerprints": prints,
            "missing": missing,
        },
        sort_keys=True,
        default=str,
    )
    request = desired.request
    public = {
        var.value
        for container in [*request.containers, *(request.init_containers or [])]
        for var in container.environment_vars or []
        if var.value and var.key not in desired.sensitive.env.get(container.name, frozenset())
    }
    secret = {
        var.value
        for container in [*request.containers, *(request.init_containers or [])]
        for var in container.environment_vars or []
        if var.value and var.key in desired.sensitive.env.get(container.name, frozenset())
    }
    return Intent(
        public_values=frozenset(public - secret),
        reads_secrets=bool(resolved.secrets),
        owner=owner,
        spec=group.spec,
        desired=desired,
        fingerprints=prints,
        inputs_hash=hashlib.sha256(inputs.encode()).hexdigest()[:32],
    )
