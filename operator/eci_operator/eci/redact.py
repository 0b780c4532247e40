"""Keeping secrets out of logs, exceptions and everything built from them.

Secret request parameters: ``AccessKeySecret``, ``SecurityToken``, ``Signature``, registry
passwords (``ImageRegistryCredential.N.Password``), environment variable values
(``...EnvironmentVar.N.Value``: they may come from Kubernetes Secrets) and config-file contents
(``...ConfigFileToPath.N.Content``: they may be Secret volumes), STS's ``OIDCToken`` (a
ServiceAccount token). Secret headers: ``authorization``
(its signature), ``x-acs-security-token``.

``redact_params`` / ``redact_headers`` replace those values with ``***`` where we print a request.

The service may echo a request back (``SignatureDoesNotMatch`` quotes the string it signed, a
validation message quotes the value it refused), so every piece of text that comes from the
endpoint goes through a ``Scrubber`` holding the request's secret values before it reaches an
exception or a log line:

- **Forms.** Each value is looked for raw, percent-encoded once and twice (RFC 3986 ``%20`` and
  form ``+`` for space, upper- and lower-case hex), JSON-escaped (with and without
  ``ensure_ascii``, ``\\/`` for ``/``, either case of ``\\u`` hex) and XML/HTML-escaped.
- **Long values** (``SHORT`` characters or more) are replaced by ``***`` wherever they appear, and
  so is a cut-off start of one (at least ``prefix_min(len)`` characters, up to where it stops
  matching), so a service or a truncation that shows only the beginning of a value shows nothing.
- **Short values** (1 to ``SHORT - 1`` characters) cannot be masked usefully: the holes in
  ``Th*** ***nd...`` spell the value out. A text in which one occurs, in any form, is withheld whole
  (``WITHHELD``); the error's code, status and request ID still say what happened.
- **Trivial values** are not secrets and are never looked for: the empty string, and ``true`` /
  ``false`` in any case. They carry at most one bit that anyone who knows the parameter's name can
  guess, and they occur in most ECI messages (``ReadOnly=false``), so withholding on them would hide
  every message for nothing.
- **Whole text first, then the cut.** ``clean(text, limit)`` scrubs before it truncates, so no
  secret survives by straddling the cut, and what is left after masking cannot end in the start of
  a secret.
- **Identifiers** (``clean_identifier``: an error code, a request ID) are kept only when they look
  like one, do not contain a long value and are not a short value themselves; otherwise they are
  replaced, since an opaque token never needs to be shown in part.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

from eci_operator.eci.signing import percent_encode

MASK = "***"
WITHHELD = "[text withheld: it may contain a secret value]"
ELLIPSIS = "..."
SHORT = 4  # values shorter than this are withheld-on-sight, not masked
TRIVIAL = frozenset({"", "true", "false"})  # compared case-insensitively

_SECRET_PARAM = re.compile(
    r"(^|\.)(AccessKeySecret|SecurityToken|Signature|Password|OIDCToken)$"
    r"|(^|\.)EnvironmentVar\.\d+\.Value$"
    r"|(^|\.)ConfigFileToPath\.\d+\.Content$"
    r"|^Command$"  # ExecContainerCommand's: what a user types at a shell may hold a password
)
_SECRET_HEADERS = {"x-acs-security-token", "authorization", "cookie"}
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def is_secret_param(name: str) -> bool:
    """Whether the RPC parameter ``name`` carries a secret."""
    return bool(_SECRET_PARAM.search(name))


def is_trivial(value: str) -> bool:
    """Whether ``value`` is too trivial to be a secret (see the module docstring)."""
    return value.casefold() in TRIVIAL


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
    """The secret values of a request (its secret parameters plus ``extra``), trivial ones left out."""
    values = {v for k, v in params.items() if is_secret_param(k)}
    values.update(v for v in extra if v)
    return {v for v in values if not is_trivial(v)}


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def _upper_unicode_escapes(text: str) -> str:
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group()[2:].upper(), text)


def forms(value: str) -> set[str]:
    """Every spelling of ``value`` an echo might use (see the module docstring)."""
    out = {value, value.replace(" ", "+")}
    for once in (percent_encode(value), quote_plus(value, safe="")):
        for form in (once, percent_encode(once), quote_plus(once, safe="")):
            out.update((form, _lower_hex(form)))
    for ensure_ascii in (True, False):
        escaped = json.dumps(value, ensure_ascii=ensure_ascii)[1:-1]
        for form in (escaped, escaped.replace("/", "\\/")):
            out.update((form, _upper_unicode_escapes(form)))
    xml = html.escape(value, quote=True)  # &amp; &lt; &gt; &quot; &#x27;
    out.update((xml, xml.replace("&#x27;", "&#39;"), xml.replace("&#x27;", "&apos;")))
    out.add(html.escape(value, quote=False))
    return {f for f in out if f}


def prefix_min(length: int) -> int:
    """How much of the start of a long value of ``length`` characters counts as the value."""
    return max(SHORT, min(8, length // 2))


class Scrubber:
    """Removes a request's secret values from text that came back from the endpoint.

    Built once per attempt; the forms are computed on first use, so a call that succeeds costs
    nothing but the set of values.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = {s for s in secrets if s and not is_trivial(s)}
        self._long: list[str] | None = None
        self._short: list[str] = []

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def _prepare(self) -> list[str]:
        if self._long is None:
            long_forms: set[str] = set()
            short_forms: set[str] = set()
            for secret in self._secrets:
                for form in forms(secret):
                    (long_forms if len(secret) >= SHORT and len(form) >= SHORT else short_forms).add(form)
            self._long = sorted(long_forms, key=len, reverse=True)
            self._short = sorted(short_forms, key=len, reverse=True)
        return self._long

    def _mask(self, text: str) -> str:
        long_forms = self._prepare()
        for form in long_forms:
            if form in text:
                text = text.replace(form, MASK)
        for form in long_forms:
            text = _mask_prefixes(text, form)
        return text

    def _has_short(self, text: str) -> bool:
        self._prepare()
        return any(form in text for form in self._short)

    def clean(self, text: str, limit: int | None = None) -> str:
        """``text`` without secrets, control characters folded to spaces, at most ``limit`` long.

        Scrubbing comes first and covers more than can end up shown: with a limit, the text is
        scrubbed in a growing window until at least ``limit`` plus the longest form of scrubbed
        text is left, so no occurrence can straddle the cut (masking shortens text, which pulls
        later characters forward; the window is measured after masking for that reason).
        """
        cut = False
        if limit is not None and len(text) > limit:
            self._prepare()
            room = limit + max((len(f) for f in (*(self._long or ()), *self._short)), default=0)
            size = room
            while True:
                window = self._mask(text[:size]) if self._secrets else text[:size]
                if size >= len(text) or len(window) >= room:
                    break
                size *= 2
            cut, text = size < len(text), window
        elif self._secrets:
            text = self._mask(text)
        if self._secrets and self._has_short(text):
            return WITHHELD
        text = _CONTROL.sub(" ", text)
        if limit is not None and (cut or len(text) > limit):
            text = text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS
        return text

    def clean_identifier(self, value: object, fallback: str | None = None) -> str | None:
        """``value`` if it is a plausible identifier free of secrets, else ``fallback``."""
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            return fallback
        if self._secrets:
            if self._mask(value) != value:
                return fallback
            self._prepare()
            if value in self._short:
                return fallback
        return value


def _mask_prefixes(text: str, form: str) -> str:
    """Mask runs of ``text`` that match the start of ``form`` for at least ``prefix_min`` chars."""
    need = prefix_min(len(form))
    if len(form) <= need:
        return text
    head = form[:need]
    start = text.find(head)
    while start != -1:
        end = start + need
        while end < len(text) and end - start < len(form) and text[end] == form[end - start]:
            end += 1
        text = text[:start] + MASK + text[end:]
        start = text.find(head, start + len(MASK))
    return text


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value removed (see ``Scrubber.clean``)."""
    return Scrubber(secrets).clean(text)
