"""Pure translation: spec -> ECI desired state; Describe -> observed state; diff -> plan.

Public API (stable for the controller):
- ``translate(group, refs, owner_tags=...) -> Desired`` (raises ``TranslationError``)
- ``plan(desired, observed, applied) -> Plan`` with ``GroupChange`` items and ``Impact``
- ``normalise(observed, desired, applied) -> State``, ``desired_state(request) -> State``
- ``fingerprints(desired) -> Fingerprints`` (what to store in status.appliedFingerprints)
- ``References``/``Secret``/``ConfigMap`` inputs (``References.requested`` keys them by the name
  they were read for), ``referenced_names(spec)`` and ``references(spec)`` (each name with its field)
- ``Owner``, ``ownership_tags(...)``, ``owner_from_tags(tags)``, ``parse_group(manifest)``
"""

from eci_operator.translate.desired import Desired, Sensitive, default_group_name, translate
from eci_operator.translate.errors import Problem, TranslationError
from eci_operator.translate.fingerprints import fingerprints
from eci_operator.translate.manifest import parse_group
from eci_operator.translate.normalise import Redacted, State, desired_state, normalise, observed_state
from eci_operator.translate.ownership import OWNERSHIP_TAG_KEYS, Owner, owner_from_tags, ownership_tags
from eci_operator.translate.plan import GroupChange, Impact, Plan, plan
from eci_operator.translate.references import (
    ConfigMap,
    Reference,
    ReferencedNames,
    References,
    Secret,
    referenced_names,
    references,
)

__all__ = [
    "OWNERSHIP_TAG_KEYS",
    "ConfigMap",
    "Desired",
    "GroupChange",
    "Impact",
    "Owner",
    "Plan",
    "Problem",
    "Redacted",
    "Reference",
    "ReferencedNames",
    "References",
    "Secret",
    "Sensitive",
    "State",
    "TranslationError",
    "default_group_name",
    "desired_state",
    "fingerprints",
    "normalise",
    "observed_state",
    "owner_from_tags",
    "ownership_tags",
    "parse_group",
    "plan",
    "referenced_names",
    "references",
    "translate",
]
