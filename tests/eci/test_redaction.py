"""No secret reaches logs or exceptions, even at debug level and when the service echoes the request."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eci_operator.eci import errors, signing
from eci_operator.eci.breaker import BreakerSettings, CircuitBreaker
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import StaticCredentials
from eci_operator.eci.models import (
    ConfigFileToPath,
    ConfigFileVolume,
    Container,
    EnvironmentVar,
    ImageRegistryCredential,
    UpdateContainerGroupRequest,
    Volume,
)
from eci_operator.eci.quotas import QuotaLimiter
from eci_operator.eci.redact import (
    MASK,
    WITHHELD,
    Scrubber,
    is_trivial,
    redact_headers,
    redact_params,
    scrub,
    secret_values,
)
from eci_operator.eci.transport import RetryPolicy, SignatureScheme
from tests.support.hostile_proxy import (
    ECHO_CLOSE,
    ECHO_OPEN,
    HEADER_CLOSE,
    HEADER_OPEN,
    HostileProxy,
    echo_forms,
)

from .scripted_server import Reply, ScriptedServer, Step, error

AK_SECRET = "AkSecret/with+odd=chars"
STS_TOKEN = "StsToken-9f8e7d6c5b4a"
REGISTRY_PASSWORD = "Registry pass~word*"
ENV_VALUE = "db-password 你好 & more"
FILE_CONTENT = "c2VjcmV0LWZpbGUtY29udGVudA=="
SECRETS = [AK_SECRET, STS_TOKEN, REGISTRY_PASSWORD, ENV_VALUE, FILE_CONTENT]


def _forms(value: str) -> list[str]:
    once = signing.percent_encode(value)
    return [value, once, signing.percent_encode(once), value.replace(" ", "+")]


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        for form in _forms(secret):
            assert form not in text, f"secret leaked as {form!r}"


def request() -> UpdateContainerGroupRequest:
    return UpdateContainerGroupRequest(
        region_id="cn-hangzhou",
        container_group_id="eci-1",
        containers=[
            Container(
                name="web",
                image="registry.example/web:1",
                environment_vars=[EnvironmentVar(key="DB_PASSWORD", value=ENV_VALUE)],
                volume_mounts=[],
            )
        ],
        volumes=[
            Volume(
                name="cfg",
                type="ConfigFileVolume",
                config_file_volume=ConfigFileVolume(
                    config_file_to_paths=[ConfigFileToPath(path="a", content=FILE_CONTENT)]
                ),
            )
        ],
        image_registry_credentials=[
            ImageRegistryCredential(server="registry.example", user_name="u", password=REGISTRY_PASSWORD)
        ],
    )


@pytest.mark.parametrize("scheme", ["acs3", "hmac-sha1"])
async def test_no_secret_in_debug_logs_or_errors(
    caplog: pytest.LogCaptureFixture, scheme: SignatureScheme
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    echoed = ""

    class Echo(ScriptedServer):
        def _next(self) -> Step:
            nonlocal echoed
            step = super()._next()
            if isinstance(step, Reply) and step.body.get("Code") == "SignatureDoesNotMatch":
                q = self.requests[-1].query
                echoed = signing.rpc_string_to_sign("POST", q) + " " + " ".join(q.values())
                step = error("SignatureDoesNotMatch", 400, f"server string to sign is:{echoed}")
            return step

    script = [error("ServiceUnavailable", 503), error("SignatureDoesNotMatch")]
    async with Echo(script) as server:
        eci = EciClient(
            region_id="cn-hangzhou",
            endpoint=server.url,
            credentials=StaticCredentials("testid", AK_SECRET, STS_TOKEN),
            signature=scheme,
            retry=RetryPolicy(base_delay=0.01, max_delay=0.02, deadline=5, attempt_timeout=1),
            limiter=QuotaLimiter(),
        )
        async with eci:
            with pytest.raises(errors.AuthError) as info:
                await eci.update_container_group(request())
    # the server did receive the secrets, and echoed them back
    assert ENV_VALUE in server.requests[0].query.values()
    assert signing.percent_encode(signing.percent_encode(ENV_VALUE)) in echoed and ENV_VALUE in echoed
    # the client logged at debug level (redacted params) ...
    assert "ECI request UpdateContainerGroup" in caplog.text
    assert "DB_PASSWORD" in caplog.text
    # ... and nothing secret anywhere
    assert_clean(caplog.text)
    assert_clean(str(info.value))
    assert_clean(repr(info.value))
    assert_clean(info.value.message)
    assert_clean(repr(request()))


def test_redact_helpers() -> None:
    params = {
        "Signature": "sig",
        "SecurityToken": "tok",
        "ImageRegistryCredential.1.Password": "p",
        "Container.2.EnvironmentVar.3.Value": "v",
        "Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content": "c",
        "Container.2.EnvironmentVar.3.Key": "K",
        "SignatureNonce": "n",
        "Command": '["mysql","-psecret"]',
        "Container.1.Command.1": "nginx",
    }
    assert redact_params(params) == {
        "Signature": "***",
        "SecurityToken": "***",
        "ImageRegistryCredential.1.Password": "***",
        "Container.2.EnvironmentVar.3.Value": "***",
        "Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content": "***",
        "Container.2.EnvironmentVar.3.Key": "K",
        "SignatureNonce": "n",
        "Command": "***",
        "Container.1.Command.1": "nginx",
    }
    headers = redact_headers(
        {"Authorization": "ACS3-HMAC-SHA256 Credential=id,Signature=abc", "x-acs-security-token": "t"}
    )
    assert headers == {
        "Authorization": "ACS3-HMAC-SHA256 Credential=id,Signature=***",
        "x-acs-security-token": "***",
    }
    assert scrub("a secret%20value and secret value", ["secret value"]) == "a *** and ***"


def test_validation_errors_do_not_echo_secret_input() -> None:
    from pydantic import ValidationError

    long_secret = "S3cret-" + "x" * 300
    with pytest.raises(ValidationError) as info:
        EnvironmentVar(key="TOKEN", value=long_secret)
    assert "value" in str(info.value) and "256" in str(info.value)
    assert long_secret not in str(info.value)


# -- the scrubber, form by form ------------------------------------------------------------------

QUOTED = 'pa"ss\\wörd/€ 1'  # a quote, a backslash, non-ASCII, a slash and a space


@pytest.mark.parametrize(
    "spelling",
    [
        QUOTED,
        json.dumps(QUOTED)[1:-1],  # \" \\ \u00f6 \u20ac
        json.dumps(QUOTED, ensure_ascii=False)[1:-1],  # \" \\ ö €
        json.dumps(QUOTED)[1:-1].replace("/", "\\/"),  # encoders that escape the slash
        json.dumps(QUOTED)[1:-1].replace("\\u00f6", "\\u00F6").replace("\\u20ac", "\\u20AC"),  # upper hex
        signing.percent_encode(QUOTED),
        signing.percent_encode(signing.percent_encode(QUOTED)),
        signing.percent_encode(QUOTED).lower(),
        "pa%22ss%5Cw%C3%B6rd%2F%E2%82%AC+1",  # form encoding: + for space
        "pa%2522ss%255Cw%25C3%25B6rd%252F%25E2%2582%25AC%2B1",  # form encoding, twice
        "pa&quot;ss\\wörd/€ 1",  # XML
    ],
    ids=[
        "raw",
        "json",
        "json-utf8",
        "json-slash",
        "json-upper",
        "pct",
        "pct2",
        "pct-lower",
        "form",
        "form2",
        "xml",
    ],
)
def test_every_spelling_of_a_secret_is_masked(spelling: str) -> None:
    text = f"value {spelling} refused"
    assert Scrubber([QUOTED]).clean(text) == f"value {MASK} refused"


@pytest.mark.parametrize("secret", ["a", "1", "é", '"', "\\", "ab", "xyz"])
def test_a_short_secret_withholds_the_text_instead_of_spelling_itself_out(secret: str) -> None:
    message = f"The value {secret!r} of Container.1.EnvironmentVar.1.Value is invalid"
    assert Scrubber([secret]).clean(message) == WITHHELD
    assert Scrubber([secret]).clean("Nothing here.") in ("Nothing here.", WITHHELD)
    assert Scrubber(["q"]).clean("Nothing here.") == "Nothing here.", "absent: the text is kept"


@pytest.mark.parametrize("value", ["", "true", "false", "True", "FALSE"])
def test_trivial_values_are_not_secrets(value: str) -> None:
    assert is_trivial(value)
    assert secret_values({"Container.1.EnvironmentVar.1.Value": value}) == set()
    assert Scrubber([value]).clean("ReadOnly=false, Tty=true") == "ReadOnly=false, Tty=true"


def test_scrubbing_comes_before_the_cut() -> None:
    secret = "s3cr3t-straddling-the-cut"
    text = "x" * 190 + secret + " and more"
    cleaned = Scrubber([secret]).clean(text, 200)
    assert len(cleaned) <= 200 and cleaned.endswith("...")
    assert "s3cr" not in cleaned and not any(cleaned.rstrip(".").endswith(secret[:n]) for n in range(1, 5))


def test_a_cut_off_start_of_a_long_secret_is_masked() -> None:
    secret = "correct-horse-battery-staple"
    scrubber = Scrubber([secret])
    assert scrubber.clean("value 'correct-horse-bat...' is too long") == f"value '{MASK}...' is too long"
    assert scrubber.clean("correct answers only") == "correct answers only", "a short common start is kept"


def test_control_characters_cannot_forge_log_lines() -> None:
    assert Scrubber([]).clean("bad\r\nINFO forged line\x1b[31m") == "bad INFO forged line [31m"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("0F8E2D3C-AAAA-4BBB-8CCC-1234567890AB", True),
        ("req-ok", True),
        ("with space", False),
        ("x" * 200, False),
        ("long-secret-value", False),  # contains a secret
        ("ab", False),  # is a (short) secret
        (12345, False),
    ],
)
def test_identifiers_are_kept_only_when_plausible_and_clean(value: object, kept: bool) -> None:
    scrubber = Scrubber(["long-secret-value", "ab"])
    assert scrubber.clean_identifier(value) == (value if kept else None)


# -- the property: an echoing endpoint, every error shape, every channel -------------------------

SECRET_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300)
SECRET = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=3),
    SECRET_TEXT,
    st.sampled_from(['"', "\\", '\\"', "ü", "€", "'\"", "&<>", "a b", "%41", "+", "*", "***"]),
)
SHAPES = st.sampled_from(["json", "text", "header", "ok"])


@pytest.fixture(scope="module")
def echo_proxy() -> Iterator[HostileProxy]:
    with HostileProxy() as proxy:
        yield proxy


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG (a plain handler: caplog is per test, not per example)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def channels(exc: BaseException, records: list[logging.LogRecord]) -> list[str]:
    """Every text the client produced: the exception, all it holds, its traceback, the log records."""
    out: list[str] = ["".join(traceback.format_exception(exc))]
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    out.extend(formatter.format(r) for r in records)
    seen: set[int] = set()

    def walk(obj: Any) -> None:
        if obj is None or isinstance(obj, bool | int | float) or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, str):
            out.append(obj)
        elif isinstance(obj, BaseException):
            out.extend((str(obj), repr(obj)))
            for value in (*obj.args, *vars(obj).values(), obj.__cause__, obj.__context__):
                walk(value)
        elif isinstance(obj, list | tuple | set):
            for value in obj:
                walk(value)
        elif isinstance(obj, dict):
            for key, value in obj.items():
                walk(key)
                walk(value)
        else:
            out.append(repr(obj))

    walk(exc)
    return out


def unmasked_echoes(text: str) -> list[str]:
    """What an echo of a secret parameter still shows: anything between its markers but the mask."""
    found = []
    for start, end in ((ECHO_OPEN, ECHO_CLOSE), (HEADER_OPEN, HEADER_CLOSE)):
        at = text.find(start)
        while at != -1:
            rest = text[at + len(start) :]
            inside = rest.split(end, 1)[0] if end in rest else rest.split("...", 1)[0]
            if inside not in ("", MASK) and not (end not in rest and MASK.startswith(inside)):
                found.append(inside)
            at = text.find(start, at + 1)
    return found


def identifiers(exc: BaseException) -> list[str]:
    ids = [exc.request_id, exc.code] if isinstance(exc, errors.EciError) else []
    last = getattr(exc, "last_error", None)
    return [i for i in ids if i] + (identifiers(last) if last is not None else [])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    env=SECRET,
    password=SECRET,
    shape=SHAPES,
    status=st.sampled_from([400, 403, 404, 500, 502, 503]),
    pad=st.integers(0, 3000),
    filler=st.integers(0, 300),
    scheme=st.sampled_from(["acs3", "hmac-sha1"]),
)
async def test_no_echoed_secret_reaches_any_channel(
    echo_proxy: HostileProxy,
    env: str,
    password: str,
    shape: str,
    status: int,
    pad: int,
    filler: int,
    scheme: SignatureScheme,
) -> None:
    assume(not is_trivial(env) and not is_trivial(password))
    echo_proxy.clear()
    echo_proxy.echo(shape, status, pad=pad)
    echo_proxy.hits.clear()
    params = {  # the filler moves the secrets across the cut of the quoted excerpt
        "Container.1.Name": "w" * filler,
        "Container.1.EnvironmentVar.1.Value": env,
        "ImageRegistryCredential.1.Password": password,
        "RegionId": "cn-hangzhou",
    }
    eci = EciClient(
        region_id="cn-hangzhou",
        endpoint=echo_proxy.url,
        credentials=StaticCredentials("testid", AK_SECRET, STS_TOKEN),
        signature=scheme,
        retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, deadline=10, attempt_timeout=5),
        limiter=QuotaLimiter(),
        breaker=CircuitBreaker(echo_proxy.url, BreakerSettings(failure_threshold=10**6)),
    )
    with captured_logs() as records:
        async with eci:
            with pytest.raises(errors.EciError) as info:
                await eci.call("UpdateContainerGroup", params)
    sent = echo_proxy.hits[0].params
    assert sent["Container.1.EnvironmentVar.1.Value"] == env, "the endpoint did receive the secret"
    exc = info.value
    if shape == "json":
        assert exc.code == "InvalidParameter", "the echo did reach the client"
    for text in channels(exc, records):
        assert not unmasked_echoes(text), f"secret echo survived in {text[:300]!r}"
    short = [s for s in (env, password) if len(s) < 4]
    for ident in identifiers(exc):
        for secret in (env, password, AK_SECRET, STS_TOKEN):
            assert ident not in echo_forms(secret), f"identifier {ident!r} is a secret"
            if secret not in short:
                assert not any(form in ident for form in echo_forms(secret) if len(form) >= 4)
