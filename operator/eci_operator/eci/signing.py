"""Request signing for Alibaba Cloud RPC APIs: classic HMAC-SHA1 and ACS3-HMAC-SHA256.

Everything here is pure (no clock, no randomness, no I/O) so the same functions serve the client,
which signs, and the local emulator, which verifies. Nonces and timestamps are arguments; see
``new_nonce`` and ``format_timestamp`` for the values a client should pass.

Classic RPC signature (``SignatureVersion=1.0``, ``SignatureMethod=HMAC-SHA1``)::

    canonical   = "&".join(enc(k) + "=" + enc(v) for k, v in sorted(params) if k != "Signature")
    to_sign     = METHOD + "&" + enc("/") + "&" + enc(canonical)
    Signature   = base64(hmac_sha1(secret + "&", to_sign))

ACS3-HMAC-SHA256::

    canonical_request = METHOD \\n "/" \\n canonical_query \\n canonical_headers \\n signed_headers
                        \\n hex(sha256(body))
    string_to_sign    = "ACS3-HMAC-SHA256" \\n hex(sha256(canonical_request))
    signature         = hex(hmac_sha256(secret, string_to_sign))
    Authorization     = "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b;c>,Signature=<hex>"

``enc`` is RFC 3986 percent-encoding of UTF-8: ``A-Z a-z 0-9 - _ . ~`` stay, everything else becomes
``%XX`` with upper-case hex (space is ``%20``, never ``+``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
RPC_SIGNATURE_METHOD = "HMAC-SHA1"
RPC_SIGNATURE_VERSION = "1.0"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of ``value`` as UTF-8 (unreserved ``A-Za-z0-9-_.~`` kept)."""
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """``name=value`` pairs sorted by name, both percent-encoded, joined with ``&``.

    Used by both schemes. Pairs are sorted by the raw name (byte order of the UTF-8 text, which is
    what Python's ``sorted`` gives for ``str``); ECI parameter names are ``[A-Za-z0-9.]`` so encoding
    does not change the order. An empty value gives ``name=``.
    """
    return "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))


# --- classic RPC HMAC-SHA1 ---------------------------------------------------------------------


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """StringToSign of the classic RPC scheme over every parameter except ``Signature``.

    ``params`` are the decoded request parameters (query and form body together), including the
    common ones (``AccessKeyId``, ``SignatureNonce``, ``Timestamp``, ...). ``method`` is the HTTP verb
    actually used: GET and POST give different signatures.
    """
    signed = {k: v for k, v in params.items() if k != "Signature"}
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(signed))}"


def rpc_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 signature of ``params`` with key ``secret + "&"``."""
    digest = hmac.new(
        f"{secret}&".encode(), rpc_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


# --- ACS3-HMAC-SHA256 --------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 (the ``x-acs-content-sha256`` value of a body)."""
    return hashlib.sha256(data).hexdigest()


def _header_items(headers: Headers) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, Mapping) else headers


def acs3_canonical_headers(headers: Headers, signed_headers: Iterable[str]) -> tuple[str, str]:
    """``(canonical_headers, signed_headers_string)`` for the named headers.

    Names are matched case-insensitively and lower-cased; values are stripped; a header given more
    than once (pass an iterable of pairs) has its values sorted and joined with ``,``. Every line
    ends in ``\\n``. A signed header missing from ``headers`` raises ``KeyError`` naming it.
    """
    wanted = sorted({name.strip().lower() for name in signed_headers if name.strip()})
    values: dict[str, list[str]] = {}
    for name, value in _header_items(headers):
        key = name.lower()
        if key in wanted:
            values.setdefault(key, []).append(value.strip())
    lines = []
    for key in wanted:
        if key not in values:
            raise KeyError(f"signed header {key!r} is not present in the request")
        lines.append(f"{key}:{','.join(sorted(values[key]))}\n")
    return "".join(lines), ";".join(wanted)


def acs3_canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Headers,
    signed_headers: Iterable[str],
    body: bytes,
) -> str:
    """The ACS3 canonical request.

    ``path`` is the URI path (``/`` for RPC APIs; empty means ``/``), ``query`` the decoded query
    parameters, ``headers`` the request headers (a mapping, or pairs when a name repeats),
    ``signed_headers`` the header names to sign (for verification: the list the client declared in
    its Authorization header), ``body`` the raw body bytes whose SHA-256 forms the last line.
    """
    canonical_headers, signed = acs3_canonical_headers(headers, signed_headers)
    return "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            canonical_headers,
            signed,
            sha256_hex(body),
        ]
    )


def acs3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256\\n`` + hex SHA-256 of the canonical request."""
    return f"{ACS3_ALGORITHM}\n{sha256_hex(canonical_request.encode())}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``string_to_sign`` keyed with the secret (no ``&``)."""
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def acs3_authorization(access_key_id: str, signed_headers: Iterable[str], signature: str) -> str:
    """The ``Authorization`` header value."""
    names = ";".join(sorted({n.strip().lower() for n in signed_headers if n.strip()}))
    return f"{ACS3_ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}"


@dataclass(frozen=True)
class Acs3Authorization:
    """A parsed ``Authorization: ACS3-HMAC-SHA256 ...`` header."""

    algorithm: str
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_acs3_authorization(value: str) -> Acs3Authorization:
    """Parse an ACS3 Authorization header; ``ValueError`` says what is malformed.

    Accepts ``<algorithm> Credential=..,SignedHeaders=a;b,Signature=..`` with optional spaces after
    commas. The algorithm is returned as given; callers check it is ``ACS3_ALGORITHM``.
    """
    algorithm, sep, rest = value.strip().partition(" ")
    if not sep or not algorithm:
        raise ValueError("Authorization header has no algorithm")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, eq, val = part.strip().partition("=")
        if not eq:
            raise ValueError(f"Authorization header part {part.strip()!r} is not key=value")
        fields[key.strip()] = val.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise ValueError(f"Authorization header lacks {', '.join(missing)}")
    names = tuple(n.strip().lower() for n in fields["SignedHeaders"].split(";") if n.strip())
    return Acs3Authorization(algorithm, fields["Credential"], names, fields["Signature"])


# --- higher-level helpers for a client -----------------------------------------------------------


def new_nonce() -> str:
    """A fresh signature nonce (UUID4); use a new one for every attempt, retries included."""
    return str(uuid.uuid4())


def format_timestamp(moment: datetime | None = None) -> str:
    """UTC ``YYYY-MM-DDThh:mm:ssZ`` as both schemes expect (now when ``moment`` is None)."""
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_rpc_params(
    *,
    action: str,
    version: str,
    params: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
    nonce: str,
    timestamp: str,
    security_token: str | None = None,
    method: str = "POST",
) -> dict[str, str]:
    """Business ``params`` plus the common parameters and ``Signature`` of the classic scheme."""
    signed: dict[str, str] = dict(params)
    signed.update(
        Action=action,
        Version=version,
        Format="JSON",
        AccessKeyId=access_key_id,
        SignatureMethod=RPC_SIGNATURE_METHOD,
        SignatureVersion=RPC_SIGNATURE_VERSION,
        SignatureNonce=nonce,
        Timestamp=timestamp,
    )
    if security_token:
        signed["SecurityToken"] = security_token
    signed["Signature"] = rpc_signature(access_key_secret, method, signed)
    return signed


def sign_acs3_headers(
    *,
    action: str,
    version: str,
    host: str,
    query: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
    nonce: str,
    timestamp: str,
    security_token: str | None = None,
    method: str = "POST",
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers of an ACS3-signed RPC request, ``Authorization`` included.

    Signs ``host``, every ``x-acs-*`` header and any ``extra_headers`` (e.g. ``content-type``).
    ``host`` is the Host header value exactly as sent (with ``:port`` when not the default).
    """
    headers: dict[str, str] = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": timestamp,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": sha256_hex(body),
    }
    if security_token:
        headers["x-acs-security-token"] = security_token
    for name, value in (extra_headers or {}).items():
        headers[name.lower()] = value
    names: Sequence[str] = sorted(headers)
    request = acs3_canonical_request(method, "/", query, headers, names, body)
    signature = acs3_signature(access_key_secret, acs3_string_to_sign(request))
    headers["authorization"] = acs3_authorization(access_key_id, names, signature)
    return headers
