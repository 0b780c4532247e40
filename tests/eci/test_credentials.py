"""Credentials: the chain's answers become our Credentials; secrets stay out of repr."""

from __future__ import annotations

import pytest

from eci_operator.eci.credentials import ChainCredentials, Credentials, CredentialsError, StaticCredentials


class FakeModel:
    def __init__(self, ak: str | None, secret: str | None, token: str | None) -> None:
        self.access_key_id, self.access_key_secret, self.security_token = ak, secret, token


class RotatingClient:
    """Stands in for an alibabacloud-credentials Client whose STS provider refreshes."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_credential_async(self) -> FakeModel:
        self.calls += 1
        return FakeModel("STS.id", "secret", f"token-{self.calls}")


async def test_chain_asks_the_library_every_time_so_refreshed_tokens_are_used() -> None:
    chain = ChainCredentials(RotatingClient())
    first, second = await chain.get(), await chain.get()
    assert first == Credentials("STS.id", "secret", "token-1")
    assert second.security_token == "token-2"


async def test_chain_failure_is_a_clear_error() -> None:
    class Broken:
        async def get_credential_async(self) -> FakeModel:
            raise RuntimeError("unable to load credentials from any of the providers in the chain")

    with pytest.raises(CredentialsError, match="no Alibaba Cloud credentials found"):
        await ChainCredentials(Broken()).get()

    class Empty:
        async def get_credential_async(self) -> FakeModel:
            return FakeModel(None, None, None)

    with pytest.raises(CredentialsError, match="empty access key"):
        await ChainCredentials(Empty()).get()


async def test_secrets_not_in_repr() -> None:
    creds = await StaticCredentials("id", "the-secret", "the-token").get()
    assert "the-secret" not in repr(creds) and "the-token" not in repr(creds)
    assert "the-secret" not in repr(StaticCredentials("id", "the-secret"))


async def test_chain_follows_the_environment_of_now(monkeypatch: pytest.MonkeyPatch) -> None:
    import alibabacloud_credentials.client  # noqa: F401  (imported before the variables are set)

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    assert await ChainCredentials().get() == Credentials("env-id", "env-secret", "env-token")

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "rotated-id")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN")
    assert await ChainCredentials().get() == Credentials("rotated-id", "env-secret", None)
