"""EciAccounts: which credentials and endpoint a ContainerGroup's ECI calls use, and whether it may.

A ContainerGroup naming ``spec.accountRef`` is reconciled with that account's own :class:`Cloud`
(its credentials, its endpoint, its own quotas and batches) — or, when the account does not exist,
is malformed, or does not allow the ContainerGroup's namespace, refused before any ECI call is
made with it: the account boundary is a security boundary, and the check runs on every reconcile.

Nothing is watched: the EciAccount (cluster-scoped) and its Secret are read by name, again after
``refresh`` seconds, so a changed account or a rotated Secret is used within that time without a
single failed call (the new keys replace the old ones in the next request). The Secret's values
live in memory only, as :class:`~eci_operator.eci.credentials.Credentials` (which never print them);
errors name the Secret and the missing key, never a value.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from eci_operator.api.account import EciAccountSpec
from eci_operator.controller.cloud import Cloud
from eci_operator.controller.kube import Kube, KubeError, now_rfc3339
from eci_operator.controller.reasons import Reason
from eci_operator.eci.credentials import Credentials, CredentialsError
from eci_operator.eci.errors import AuthError, EciError

logger = logging.getLogger(__name__)

SECRET_KEYS = ("accessKeyId", "accessKeySecret")
TOKEN_KEY = "securityToken"


class SecretCredentials:
    """An account's keys from a Secret, read by name and again once ``refresh`` seconds have passed."""

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        name: str,
        *,
        refresh: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kube = kube
        self.namespace = namespace
        self.name = name
        self._refresh = refresh
        self._clock = clock
        self._current: Credentials | None = None
        self._read_at = 0.0

    async def get(self) -> Credentials:
        now = self._clock()
        if self._current is not None and now - self._read_at < self._refresh:
            return self._current
        try:
            secret = await self._kube.get_secret(self.namespace, self.name)
        except KubeError as exc:
            if self._current is not None:
                return self._current  # a passing apiserver hiccup must not fail ECI calls
            raise CredentialsError(
                f"Secret {self.namespace}/{self.name}: {exc.message or exc.status}"
            ) from None
        if secret is None:
            raise CredentialsError(f"Secret {self.namespace}/{self.name} does not exist")
        self._current = _credentials(secret, f"{self.namespace}/{self.name}")
        self._read_at = now
        return self._current

    def __repr__(self) -> str:
        return f"SecretCredentials({self.namespace}/{self.name})"


def _credentials(secret: Mapping[str, Any], where: str) -> Credentials:
    data = secret.get("data")
    data = data if isinstance(data, Mapping) else {}
    values: dict[str, str] = {}
    for key in (*SECRET_KEYS, TOKEN_KEY):
        raw = data.get(key)
        if raw is None:
            continue
        try:
            values[key] = base64.b64decode(str(raw), validate=True).decode().strip()
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError(f"Secret {where}: {key} is not valid base64 text") from None
    for key in SECRET_KEYS:
        if not values.get(key):
            raise CredentialsError(f"Secret {where} has no {key}")
    return Credentials(values["accessKeyId"], values["accessKeySecret"], values.get(TOKEN_KEY) or None)


@dataclass(frozen=True)
class Refusal:
    """Why a ContainerGroup may not use the account it names (no ECI call is made with it)."""

    reason: Reason
    message: str


@dataclass
class _Entry:
    read_at: float
    body: Mapping[str, Any] | None
    spec: EciAccountSpec | None
    error: str | None
    cloud: Cloud | None = None
    verified: tuple[str, int] | None = None  # (credentials fingerprint, generation) last checked
    quota_at: float | None = None  # when status.quota was last written
    quota: list[dict[str, Any]] | None = None  # what it said


CloudFactory = Callable[[str, EciAccountSpec], Cloud]


class Accounts:
    """The accounts ContainerGroups name, read by name and cached for ``refresh`` seconds."""

    def __init__(
        self,
        kube: Kube,
        make_cloud: CloudFactory,
        *,
        refresh: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kube = kube
        self._make_cloud = make_cloud
        self._refresh = refresh
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._retired: list[Cloud] = []

    def clouds(self) -> dict[str, Cloud]:
        return {name: e.cloud for name, e in self._entries.items() if e.cloud is not None}

    async def _entry(self, name: str) -> _Entry:
        now = self._clock()
        entry = self._entries.get(name)
        if entry is not None and now - entry.read_at < self._refresh:
            return entry
        body = await self._kube.get_account(name)
        spec: EciAccountSpec | None = None
        error: str | None = None
        if body is not None:
            try:
                spec = EciAccountSpec.model_validate(body.get("spec") or {})
            except ValidationError as exc:
                error = "; ".join(
                    f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
                )
        fresh = _Entry(now, body, spec, error)
        if entry is not None:
            fresh.quota_at, fresh.quota = entry.quota_at, entry.quota
        if entry is not None and entry.cloud is not None:
            if entry.spec == spec:
                fresh.cloud = entry.cloud  # unchanged: keep its client, quotas and breaker
                fresh.verified = entry.verified
            else:
                self._retired.append(entry.cloud)  # closed on stop: a reconcile may still use it
        self._entries[name] = fresh
        return fresh

    async def resolve(self, name: str, namespace: str) -> Cloud | Refusal:
        """The account's Cloud for a ContainerGroup of ``namespace``, or why it may not use it."""
        entry = await self._entry(name)
        if entry.body is None:
            return Refusal(Reason.ACCOUNT_NOT_FOUND, f"EciAccount {name} does not exist")
        if entry.spec is None:
            return Refusal(Reason.ACCOUNT_INVALID, f"EciAccount {name} is invalid: {entry.error}")
        labels: Mapping[str, str] | None = None
        if entry.spec.needs_namespace_labels:
            labels = await self._namespace_labels(namespace)
        if not entry.spec.allows(namespace, labels):
            return Refusal(
                Reason.ACCOUNT_NOT_ALLOWED,
                f"EciAccount {name} does not allow namespace {namespace} "
                "(its spec.allowedNamespaces and spec.namespaceSelector)",
            )
        if entry.cloud is None:
            entry.cloud = self._make_cloud(name, entry.spec)
        return entry.cloud

    async def verify(self, name: str, cloud: Cloud, region: str) -> None:
        """Once per credentials and account generation, a cheap read (one DescribeContainerGroups of
        at most one instance) says whether ECI accepts the account's credentials; the EciAccount's
        Ready condition reports it. An answer that says nothing about the credentials (throttling,
        an outage) leaves the status as it is, to be checked next time."""
        entry = self._entries.get(name)
        if entry is None or entry.body is None:
            return
        generation = entry.body.get("metadata", {}).get("generation")
        generation = generation if isinstance(generation, int) else 0
        try:
            fingerprint = await cloud.credentials_fingerprint()
        except CredentialsError as exc:
            verdict = ("False", Reason.NO_CREDENTIALS, str(exc))
            fingerprint = "unavailable"
        else:
            if entry.verified == (fingerprint, generation):
                return
            try:
                await cloud.probe(region)
                verdict = (
                    "True",
                    Reason.CREDENTIALS_VALID,
                    f"ECI accepted the credentials (a read in {region})",
                )
            except AuthError as exc:
                verdict = ("False", Reason.AUTH_FAILED, str(exc))
            except EciError:
                return
        if entry.verified == (fingerprint, generation):
            return
        entry.verified = (fingerprint, generation)
        status, reason, message = verdict
        current = entry.body.get("status") or {}
        before = next((c for c in current.get("conditions") or [] if c.get("type") == "Ready"), None)
        condition = {
            "type": "Ready",
            "status": status,
            "reason": str(reason),
            "message": message[:1024],
            "observedGeneration": generation,
            "lastTransitionTime": before["lastTransitionTime"]
            if before and before.get("status") == status and before.get("lastTransitionTime")
            else now_rfc3339(),
        }
        if before == condition and current.get("observedGeneration") == generation:
            return
        try:
            await self._kube.patch_account_status(
                name, {"observedGeneration": generation, "conditions": [condition]}
            )
        except KubeError as exc:
            entry.verified = None
            logger.warning("Could not write the status of EciAccount %s: %s", name, exc)

    async def report_quota(self, name: str, cloud: Cloud) -> None:
        """Write the account's quota use to its status: at most once per ``refresh`` seconds, and
        only when a figure changed (a quiet account costs no writes)."""
        entry = self._entries.get(name)
        now = self._clock()
        if entry is None or entry.body is None:
            return
        if entry.quota_at is not None and now - entry.quota_at < self._refresh:
            return
        actions = [
            {"action": action, "limitPerMinute": int(limit), "usedLastMinute": used}
            for action, (used, limit) in cloud.quota_usage().items()
        ]
        entry.quota_at = now
        if not actions or actions == entry.quota:
            return
        try:
            await self._kube.patch_account_status(
                name, {"quota": {"observedAt": now_rfc3339(), "actions": actions}}
            )
        except KubeError as exc:
            logger.warning("Could not write the quota use of EciAccount %s: %s", name, exc)
            return
        entry.quota = actions

    async def _namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        body = await self._kube.get_namespace(namespace)
        labels = (body or {}).get("metadata", {}).get("labels")
        if not isinstance(labels, Mapping):
            return {} if body is not None else None
        return {str(k): str(v) for k, v in labels.items()}

    async def close(self) -> None:
        for cloud in [*self.clouds().values(), *self._retired]:
            await cloud.close()
        self._entries.clear()
        self._retired.clear()
