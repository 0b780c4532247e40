"""Kubernetes resource quantities (``500m``, ``1.5``, ``1Gi``, ``512Mi``, ``1G``).

Parsing is delegated to ``kubernetes.utils.quantity.parse_quantity`` (the maintained parser of the
official client); this module only converts to the units ECI expects.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from kubernetes.utils.quantity import parse_quantity
from pydantic import BeforeValidator, WithJsonSchema

# The Kubernetes quantity grammar, as core/v1 publishes it for resource lists.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
GIB = Decimal(2**30)


def parse(value: object) -> Decimal:
    """The exact value of a quantity; ``ValueError`` when it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    try:
        parsed = parse_quantity(value)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 1.5, 1Gi, 512Mi)") from exc
    if not isinstance(parsed, Decimal):  # pragma: no cover - the parser always returns Decimal
        parsed = Decimal(str(parsed))
    return parsed


def _canonical(value: object) -> str:
    # The CRD types a quantity as integer-or-string (as Kubernetes does); a JSON float is refused
    # there, so it is refused here too rather than accepted by one and not the other.
    if isinstance(value, float):
        raise ValueError(f"write {value!r} as a string ({str(value)!r}) or in milli-units (e.g. 1500m)")
    parse(value)
    return value if isinstance(value, str) else str(value)


Quantity = Annotated[
    str,
    BeforeValidator(_canonical),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
            "pattern": QUANTITY_PATTERN,
        }
    ),
]
"""A quantity as written in the manifest (a number or a string); validated on input."""


def _canonical_number(value: object) -> str:
    # Resource lists are typed like core/v1's (a quantity; YAML writes `cpu: 0.5` as a number), so
    # a float is taken at its decimal text.
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a Kubernetes quantity")
        value = str(value)
    return _canonical(value)


ResourceQuantity = Annotated[
    str,
    BeforeValidator(_canonical_number),
    WithJsonSchema({"x-kubernetes-preserve-unknown-fields": True}),
]
"""A quantity of a resource list: a string or any JSON number (``0.5``, ``500m``, ``1Gi``). The CRD
cannot type "number or string", so the value is left untyped there and checked here."""


def cores(value: object) -> float:
    """A CPU quantity in vCPU cores (``500m`` -> 0.5)."""
    return float(parse(value))


def gibibytes(value: object) -> float:
    """A memory quantity in GiB (``512Mi`` -> 0.5), rounded to 1/1000 GiB like other ECI tools do."""
    return round(float(parse(value) / GIB), 3)
