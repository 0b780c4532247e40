"""What the observe step can find for one ContainerGroup, as typed facts (pure data).

- :class:`Present` — the instance, with whether this ContainerGroup may touch it (``claims``);
- :class:`Missing` — a recorded instance ECI does not list, not yet proven gone;
- :class:`Gone` — a recorded instance proven gone;
- :class:`Unproven` — nothing recorded and nothing tagged with the object's uid yet, but an earlier
  process may have created one (ECI lists new instances with a delay);
- :class:`NoInstance` — nothing recorded and nothing tagged with the object's uid, proven.

``observer`` produces them; ``decide`` consumes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from eci_operator.controller.claims import Claim, Ownership
from eci_operator.controller.memory import ObjectMemory
from eci_operator.eci.models import GROUP_ID, ContainerGroupOut


@dataclass(frozen=True)
class Present:
    group: ContainerGroupOut
    ownership: Ownership
    recorded: bool
    """Whether status already records this ID (else it was found by tag, adopted, or created by this
    process before the ID could be recorded)."""

    @property
    def claim(self) -> Claim:
        return self.ownership.claim


@dataclass(frozen=True)
class Missing:
    group_id: str
    since: float
    """Monotonic time of the first read that did not find it."""
    recheck: float
    """Seconds until the next direct read is due."""


@dataclass(frozen=True)
class Gone:
    group_id: str


@dataclass(frozen=True)
class Unproven:
    since: float
    """Monotonic time of the first uid-tag search that found nothing."""
    recheck: float
    """Seconds until the next search is due."""


@dataclass(frozen=True)
class NoInstance:
    pass


InstanceObservation = Present | Missing | Gone | Unproven | NoInstance


def recorded_id(memory: ObjectMemory) -> str | None:
    """``status.containerGroupId`` when it looks like an instance ID (status is not trusted)."""
    value = memory.status.get("containerGroupId")
    return value if isinstance(value, str) and GROUP_ID.match(value) else None
