"""The ClientTokens of the writes made on a ContainerGroup's behalf.

Tokens are derived, never random, so a retry after a timeout or a crash repeats the very same
request and ECI answers it once:

- Create from uid + generation: a fixed spec retried (or replayed after a crash before the ID was
  recorded) creates one instance; an edited spec after a refused create is not an
  IdempotentParameterMismatch. When a recorded instance was *proven* gone and is re-created, its ID
  is mixed in, so ECI does not answer the new Create with the vanished instance.
- Replace from uid + replaced ID + plan digest: stable while the replaced instance is the recorded
  one.
- Update from uid + plan digest + the time of the observation the plan came from.
- Delete from uid + ID.
- Restart from uid + the restartedAt annotation value: one restart per value, whatever happens
  between the call and the status write that records it.
"""

from __future__ import annotations

import hashlib

TOKEN_MAX = 64


def _token(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(":".join([kind, *map(str, parts)]).encode()).hexdigest()
    return f"eo-{kind}-{digest}"[:TOKEN_MAX]


def create_token(uid: str, generation: int, lost: str = "") -> str:
    """``lost`` is the recorded ID of an instance proven gone: a new token, so ECI does not replay the
    Create that made the vanished one; unchanged across a crash before the new ID is recorded."""
    return _token("c", uid, generation, lost) if lost else _token("c", uid, generation)


def replace_token(uid: str, replaced: str, plan_digest: str) -> str:
    """Stable while ``replaced`` is still the recorded instance, so a crash before the new ID is
    recorded replays the same Create; the next replacement (of the new instance) gets a new one."""
    return _token("r", uid, replaced, plan_digest)


def update_token(uid: str, plan_digest: str, observed_at: float) -> str:
    """Every retry of one Update call carries the same token. The observation time is mixed in
    because the same change can legitimately be needed twice (a drift undone, then repeated; an
    image edited and reverted): ECI would otherwise answer the second from its idempotency memory
    without applying anything. Sending an identical update twice is harmless; skipping one is not."""
    return _token("u", uid, plan_digest, f"{observed_at:.6f}")


def delete_token(uid: str, group_id: str) -> str:
    return _token("d", uid, group_id)


def release_token(uid: str, group_id: str) -> str:
    """The update that removes the ownership tags when a ContainerGroup orphans its instance."""
    return _token("o", uid, group_id)


def restart_token(uid: str, requested: str) -> str:
    """``requested`` is the annotation value: asking again with the same value restarts nothing."""
    return _token("s", uid, requested)
