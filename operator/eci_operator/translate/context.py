"""What the translation of one ContainerGroup shares between its parts (containers, volumes, pod)."""

from __future__ import annotations

from dataclasses import dataclass, field

from eci_operator.api.containergroup import ContainerGroup, ContainerGroupSpec
from eci_operator.translate.errors import Problems
from eci_operator.translate.references import References


@dataclass
class Context:
    group: ContainerGroup
    refs: References
    problems: Problems = field(default_factory=Problems)
    secret_env: dict[str, set[str]] = field(default_factory=dict)
    """Per container name: env keys whose values come from a Secret."""
    secret_volumes: set[str] = field(default_factory=set)
    """Config-file volumes filled from a Secret."""
    notes: list[str] = field(default_factory=list)
    """What the user should know about how the spec was mapped (e.g. requests differing from limits)."""
    ephemeral_storage: dict[str, float] = field(default_factory=dict)
    """Per container name: the ephemeral storage it asks for, in GiB."""

    @property
    def spec(self) -> ContainerGroupSpec:
        return self.group.spec
