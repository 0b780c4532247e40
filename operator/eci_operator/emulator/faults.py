"""Seeded fault injection: the failures a client of a cloud API must survive.

A fraction of requests fails as ServiceUnavailable (503), InternalError (500), a dropped
connection, or a reply slower than a client's timeout. For writes, half of the 500/503/dropped
faults happen after the effect was applied (a lost response: the retry meets the done work), and a
slow reply always comes after the work is done.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("ServiceUnavailable", "InternalError", "ConnectionDropped", "SlowReply")
STATUS = {"ServiceUnavailable": 503, "InternalError": 500}
MESSAGES = {
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, exception or failure.",
}


@dataclass(frozen=True)
class Fault:
    kind: str
    after_effect: bool


class Faults:
    def __init__(self, rate: float, seed: int | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        self.rate = rate
        self.rng = random.Random(seed)

    def draw(self, mutating: bool) -> Fault | None:
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(KINDS)
        if kind == "SlowReply":
            return Fault(kind, True)
        return Fault(kind, mutating and self.rng.random() < 0.5)
