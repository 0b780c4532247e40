"""Whether a ContainerGroup may touch an ECI instance: the one ownership check every write passes.

An instance's ownership tags decide, never ``status.containerGroupId``: status is a cache that
anyone allowed to patch ``containergroups/status`` can forge. Reconcile, replacement, deletion and
orphaning all ask :func:`claim` before they write to or delete an instance, so a recorded or forged
ID whose tags name another ContainerGroup is never touched.

- tags name this ContainerGroup's uid → ``OURS``;
- tags name another uid → ``FOREIGN`` (never touched);
- no uid tag, and ``spec.containerGroupId`` names the instance → ``ADOPTABLE`` when the namespace may
  adopt (``settings.AdoptionSettings``), else ``NOT_ALLOWED``; the first update adds our tags;
- no uid tag and only status names it → ``UNCLAIMED`` (never touched: nothing but a cache says it
  is ours).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from eci_operator.eci.models import ContainerGroupOut
from eci_operator.translate import Owner, owner_from_tags


class Claim(enum.Enum):
    OURS = "ours"
    ADOPTABLE = "adoptable"
    NOT_ALLOWED = "not-allowed"
    UNCLAIMED = "unclaimed"
    FOREIGN = "foreign"

    @property
    def may_write(self) -> bool:
        return self in (Claim.OURS, Claim.ADOPTABLE)


@dataclass(frozen=True)
class Ownership:
    claim: Claim
    holder: Owner | None = None
    """The owner the tags name, when they name one."""


def claim(group: ContainerGroupOut, owner: Owner, *, adopt_id: str | None, may_adopt: bool) -> Ownership:
    """Who may touch ``group``: ``owner`` is the ContainerGroup asking, ``adopt_id`` its
    ``spec.containerGroupId``, ``may_adopt`` whether its namespace may adopt untagged instances."""
    holder = owner_from_tags((t.key, t.value) for t in group.tags)
    if holder is not None:
        return Ownership(Claim.OURS if holder.uid == owner.uid else Claim.FOREIGN, holder)
    if adopt_id is not None and adopt_id == group.container_group_id:
        return Ownership(Claim.ADOPTABLE if may_adopt else Claim.NOT_ALLOWED)
    return Ownership(Claim.UNCLAIMED)
