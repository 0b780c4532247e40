"""Names of Kubernetes objects, validated exactly as the apiserver validates them.

A Secret or ConfigMap name in a spec ends up in the path of a request to the apiserver
(``/api/v1/namespaces/<ns>/secrets/<name>``). Only a lowercase RFC 1123 subdomain — what
Kubernetes itself accepts as the name of a Secret or ConfigMap — can never be read as anything but
one object of the ContainerGroup's own namespace: no ``/``, no ``..``, no ``%``, no upper case, at
most 253 characters. The same pattern goes into the CRD, so the apiserver refuses such a name at
admission, whatever the client's field validation mode.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_OBJECT_NAME = 253
# k8s.io/apimachinery/pkg/util/validation: dns1123LabelFmt ( "." dns1123LabelFmt )*
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SUBDOMAIN_RULE = (
    "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and "
    f"ending with a letter or digit, at most {MAX_OBJECT_NAME} characters (the name of an object in "
    "the ContainerGroup's namespace)"
)
LABEL_RULE = (
    "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with "
    "a letter or digit, at most 63 characters"
)


def is_object_name(value: str) -> bool:
    """Whether ``value`` is a valid Kubernetes object name (DNS subdomain, at most 253 characters)."""
    return len(value) <= MAX_OBJECT_NAME and re.fullmatch(DNS_SUBDOMAIN, value) is not None


def is_namespace_name(value: str) -> bool:
    """Whether ``value`` is a valid namespace name (DNS label, at most 63 characters)."""
    return len(value) <= 63 and re.fullmatch(DNS_LABEL, value) is not None


def check_object_name(value: str) -> str:
    """``value`` when it is a valid object name; ``ValueError`` saying what a name must be otherwise."""
    if not is_object_name(value):
        raise ValueError(SUBDOMAIN_RULE)
    return value


ObjectName = Annotated[
    str,
    AfterValidator(check_object_name),
    Field(json_schema_extra={"minLength": 1, "maxLength": MAX_OBJECT_NAME, "pattern": DNS_SUBDOMAIN}),
]
"""The name of a Secret or ConfigMap in the ContainerGroup's namespace (a DNS subdomain)."""
