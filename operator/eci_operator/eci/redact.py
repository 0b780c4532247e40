"""Keeping secrets out of logs and exception messages.

Secret request parameters: ``AccessKeySecret``, ``SecurityToken``, ``Signature``, registry
passwords (``ImageRegistryCredential.N.Password``), environment variable values
(``...EnvironmentVar.N.Value``: they may come from Kubernetes Secrets) and config-file contents
(``...ConfigFileToPath.N.Content``: they may be Secret volumes). Secret headers: ``authorization``
(its signature), ``x-acs-security-token``.

``redact_params`` / ``redact_headers`` replace those values with ``***``. Because the service may
echo a request back (``SignatureDoesNotMatch`` quotes the whole string it signed), error text is
also passed through ``scrub``, which removes every known secret value in its raw, percent-encoded
and doubly percent-encoded forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from eci_operator.eci.signing import percent_encode

MASK = "***"

_SECRET_PARAM = re.compile(
    r"(^|\.)(AccessKeySecret|SecurityToken|Signature|Password)$"
    r"|(^|\.)EnvironmentVar\.\d+\.Value$"
    r"|(^|\.)ConfigFileToPath\.\d+\.Content$"
)
_SECRET_HEADERS = {"x-acs-security-token", "authorization", "cookie"}
_MIN_SCRUB_LEN = 4  # shorter values ("a", "1") would mangle messages without protecting anything


def is_secret_param(name: str) -> bool:
    """Whether the RPC parameter ``name`` carries a secret."""
    return bool(_SECRET_PARAM.search(name))


def redact_params(params: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``params`` with secret values masked."""
    return {k: (MASK if is_secret_param(k) else v) for k, v in params.items()}


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with secret values masked (the Authorization signature included)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        low = name.lower()
        if low == "authorization" and "Signature=" in value:
            out[name] = value.split("Signature=", 1)[0] + "Signature=" + MASK
        elif low in _SECRET_HEADERS:
            out[name] = MASK
        else:
            out[name] = value
    return out


def secret_values(params: Mapping[str, str], extra: Iterable[str | None] = ()) -> set[str]:
    """The secret values of a request (its secret parameters plus ``extra``) worth scrubbing."""
    values = {v for k, v in params.items() if is_secret_param(k)}
    values.update(v for v in extra if v)
    return {v for v in values if len(v) >= _MIN_SCRUB_LEN}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (raw, percent-encoded once or twice) replaced by ``***``."""
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) < _MIN_SCRUB_LEN:
            continue
        once = percent_encode(secret)
        forms.update({secret, once, percent_encode(once), secret.replace(" ", "+")})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text
