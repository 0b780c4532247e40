"""The EciAccount resource (eci.operator.dev/v1alpha1, cluster-scoped): whose credentials and which
endpoint a ContainerGroup's ECI calls use, and which namespaces may use them.

An account is a security boundary. Whoever may create ContainerGroups in a namespace can spend
the account's money and reach its instances, so an account names the namespaces allowed to use it
(``allowedNamespaces``, a ``namespaceSelector``, or both: a namespace matching either is allowed);
an account allowing nothing is usable by nobody. Only cluster administrators should be able to
create EciAccounts (the resource is cluster-scoped; its Secret lives wherever they choose).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from eci_operator.api.base import SpecModel, StatusModel
from eci_operator.api.containergroup import GROUP, VERSION, Condition
from eci_operator.api.markers import list_map, list_set, rule, validations
from eci_operator.api.names import DNS_LABEL, ObjectName

ACCOUNT_KIND = "EciAccount"
ACCOUNT_PLURAL = "eciaccounts"
ACCOUNT_API_VERSION = f"{GROUP}/{VERSION}"

NamespaceName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]
_ARN = r"^acs:ram::[0-9]+:[A-Za-z0-9_./:-]+$"
NOBODY = "set allowedNamespaces or namespaceSelector: an account allowing no namespace is usable by nobody"


class SecretReference(SpecModel):
    """A Secret holding ``accessKeyId`` and ``accessKeySecret`` (and ``securityToken`` for STS)."""

    namespace: NamespaceName
    """Namespace of the Secret (usually the operator's own)."""
    name: ObjectName
    """Name of the Secret."""


class RrsaCredentials(SpecModel):
    """RAM Roles for Service Accounts: an OIDC token exchanged for the role's STS credentials."""

    role_arn: Annotated[str, StringConstraints(max_length=256, pattern=_ARN)]
    """The RAM role to assume, e.g. acs:ram::123456789:role/team2-eci."""
    oidc_provider_arn: Annotated[str, StringConstraints(max_length=256, pattern=_ARN)]
    """The cluster's OIDC provider, e.g. acs:ram::123456789:oidc-provider/ack-rrsa-c123."""
    oidc_token_file: Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^/")]
    """Path of the projected ServiceAccount token in the operator's pod."""


class AssumeRole(SpecModel):
    """A RAM role assumed with the operator's own credentials (cross-account access)."""

    role_arn: Annotated[str, StringConstraints(max_length=256, pattern=_ARN)]
    """The RAM role to assume."""


class AccountCredentials(SpecModel):
    """Where the account's credentials come from: exactly one of secretRef, rrsa, assumeRole."""

    secret_ref: SecretReference | None = None
    rrsa: RrsaCredentials | None = None
    assume_role: AssumeRole | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AccountCredentials:
        if sum(x is not None for x in (self.secret_ref, self.rrsa, self.assume_role)) != 1:
            raise ValueError("credentials: set exactly one of secretRef, rrsa, assumeRole")
        return self


class SelectorOperator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class LabelSelectorRequirement(SpecModel):
    """One requirement of a label selector, as in metav1.LabelSelectorRequirement."""

    key: Annotated[str, StringConstraints(min_length=1, max_length=317)]
    operator: SelectorOperator
    values: list[Annotated[str, StringConstraints(max_length=63)]] | None = None

    @model_validator(mode="after")
    def _values_fit_operator(self) -> LabelSelectorRequirement:
        needs = self.operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
        if needs and not self.values:
            raise ValueError(f"namespaceSelector: {self.operator} needs values")
        if not needs and self.values:
            raise ValueError(f"namespaceSelector: {self.operator} takes no values")
        return self


class LabelSelector(SpecModel):
    """A metav1.LabelSelector over the labels of the ContainerGroup's namespace."""

    match_labels: dict[str, Annotated[str, StringConstraints(max_length=63)]] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Every requirement holds; an empty selector matches nothing here (unlike Kubernetes'
        "everything"), so that an account is never opened to all namespaces by accident."""
        if not self.match_labels and not self.match_expressions:
            return False
        for key, value in (self.match_labels or {}).items():
            if labels.get(key) != value:
                return False
        return all(_holds(r, labels) for r in self.match_expressions or [])


def _holds(requirement: LabelSelectorRequirement, labels: Mapping[str, str]) -> bool:
    present = requirement.key in labels
    listed = present and labels[requirement.key] in (requirement.values or [])
    match requirement.operator:
        case SelectorOperator.IN:
            return listed
        case SelectorOperator.NOT_IN:
            return not listed
        case SelectorOperator.EXISTS:
            return present
        case SelectorOperator.DOES_NOT_EXIST:
            return not present


class EciAccountSpec(SpecModel):
    """ECI credentials and endpoint for the ContainerGroups that name this account (spec.accountRef),
    in the namespaces it allows."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule("has(self.allowedNamespaces) || has(self.namespaceSelector)", NOBODY)
        )
    )

    endpoint: (
        Annotated[str, StringConstraints(max_length=256, pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+/?$")] | None
    ) = None
    """ECI endpoint for this account, e.g. a private endpoint; default: the operator's
    (--eci-endpoint, else https://eci.<region>.aliyuncs.com)."""
    sts_endpoint: (
        Annotated[str, StringConstraints(max_length=256, pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+/?$")] | None
    ) = None
    """STS endpoint for credentials.assumeRole and credentials.rrsa, e.g. a VPC endpoint
    (https://sts-vpc.cn-hangzhou.aliyuncs.com); default: https://sts.aliyuncs.com."""
    credentials: AccountCredentials
    """Where this account's credentials come from."""
    allowed_namespaces: (
        Annotated[list[NamespaceName], Field(max_length=1000, json_schema_extra=list_set())] | None
    ) = None
    """Namespaces whose ContainerGroups may use this account."""
    namespace_selector: LabelSelector | None = None
    """Namespaces (by their labels) whose ContainerGroups may use this account. A namespace listed
    in allowedNamespaces or matching this selector is allowed; with neither, none is."""

    def allows(self, namespace: str, labels: Mapping[str, str] | None) -> bool:
        """Whether ContainerGroups of ``namespace`` (with ``labels``; None: unknown) may use this account."""
        if namespace in (self.allowed_namespaces or []):
            return True
        return (
            self.namespace_selector is not None
            and labels is not None
            and self.namespace_selector.matches(labels)
        )

    @property
    def needs_namespace_labels(self) -> bool:
        return self.namespace_selector is not None

    @model_validator(mode="after")
    def _allows_someone(self) -> EciAccountSpec:
        if self.allowed_namespaces is None and self.namespace_selector is None:
            raise ValueError(NOBODY)
        return self


class ActionUse(StatusModel):
    """How much of one ECI action's per-minute quota the operator used."""

    action: str
    """The ECI API action, e.g. DescribeContainerGroups."""
    limit_per_minute: Annotated[int, Field(ge=0)]
    """The client-side limit the operator keeps to (ECI's per-account quota for the action)."""
    used_last_minute: Annotated[int, Field(ge=0)]
    """Calls made in the minute before ``observedAt``."""


class QuotaUse(StatusModel):
    """The account's quota use as this operator last measured it (only actions it has called)."""

    observed_at: str
    """When it was measured (RFC 3339)."""
    actions: Annotated[list[ActionUse], Field(json_schema_extra=list_map("action"))]


class EciAccountStatus(StatusModel):
    """Observed state of the account, written by the operator."""

    observed_generation: int | None = None
    """The metadata.generation last checked."""
    conditions: Annotated[list[Condition], Field(json_schema_extra=list_map("type"))] | None = None
    """Ready: whether the credentials can be obtained and ECI accepts them (a cheap read)."""
    quota: QuotaUse | None = None
    """The account's ECI quota use, rewritten at most once per account refresh, and only when it
    changed."""
