"""A small signed-request helper for emulator tests (signing comes from ``eci_operator.eci.signing``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from eci_operator.eci import signing
from tests.support.emulator import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, EmulatorHandle

VERSION = "2018-08-08"


def flat(prefix: str, value: Any) -> dict[str, str]:
    """``flat("Container", [{"Name": "a"}])`` → ``{"Container.1.Name": "a"}``; bools as true/false."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flat(f"{prefix}.{key}" if prefix else key, item))
    elif isinstance(value, list):
        for index, item in enumerate(value, 1):
            out.update(flat(f"{prefix}.{index}", item))
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    else:
        out[prefix] = str(value)
    return out


def container(name: str = "web", image: str = "nginx:1.25", **more: Any) -> dict[str, Any]:
    return {"Name": name, "Image": image, **more}


@dataclass
class Api:
    """Signed calls to one emulator endpoint; ``scheme`` is ``"rpc"`` (HMAC-SHA1) or ``"acs3"``."""

    url: str
    access_key_id: str = ACCESS_KEY_ID
    access_key_secret: str = ACCESS_KEY_SECRET
    region: str = REGION
    scheme: str = "rpc"

    @classmethod
    def for_handle(cls, handle: EmulatorHandle, scheme: str = "rpc") -> Api:
        return cls(
            handle.url, handle.access_key_id or "", handle.access_key_secret or "", handle.region, scheme
        )

    def group(
        self, name: str = "web-1", containers: list[dict[str, Any]] | None = None, **more: Any
    ) -> dict[str, str]:
        """Parameters of a CreateContainerGroup with one nginx container unless told otherwise."""
        body: dict[str, Any] = {"RegionId": self.region, "ContainerGroupName": name}
        body["Container"] = containers if containers is not None else [container()]
        body.update(more)
        return flat("", body)

    async def call(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        method: str = "POST",
        form: bool = False,
        **more: Any,
    ) -> tuple[int, dict[str, Any]]:
        """Sign and send one call; its parameters as a mapping (``api.group()``), keywords or both."""
        merged = {**(params or {}), **more}
        business = {k: v if isinstance(v, str) else flat("", {k: v})[k] for k, v in merged.items()}
        host = self.url.removeprefix("http://")
        nonce, stamp = signing.new_nonce(), signing.format_timestamp()
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            if self.scheme == "acs3":
                headers = signing.sign_acs3_headers(
                    action=action,
                    version=VERSION,
                    host=host,
                    query=business,
                    body=b"",
                    access_key_id=self.access_key_id,
                    access_key_secret=self.access_key_secret,
                    nonce=nonce,
                    timestamp=stamp,
                    method=method,
                )
                response = await client.request(method, "/?" + urlencode(business), headers=headers)
            else:
                signed = signing.sign_rpc_params(
                    action=action,
                    version=VERSION,
                    params=business,
                    access_key_id=self.access_key_id,
                    access_key_secret=self.access_key_secret,
                    nonce=nonce,
                    timestamp=stamp,
                    method=method,
                )
                if form:
                    response = await client.request(
                        method,
                        "/",
                        content=urlencode(signed).encode(),
                        headers={"content-type": "application/x-www-form-urlencoded"},
                    )
                else:
                    response = await client.request(method, "/?" + urlencode(signed))
        return response.status_code, response.json()

    async def ok(self, action: str, **params: Any) -> dict[str, Any]:
        status, body = await self.call(action, **params)
        assert status == 200, f"{action}: {status} {body}"
        assert body["RequestId"]
        return body

    async def error(self, action: str, code: str, status: int | None = None, **params: Any) -> dict[str, Any]:
        got_status, body = await self.call(action, **params)
        assert body.get("Code") == code, f"{action}: expected {code}, got {got_status} {body}"
        if status is not None:
            assert got_status == status, body
        for key in ("RequestId", "HostId", "Code", "Message", "Recommend"):
            assert body[key], f"error body lacks {key}: {body}"
        return body

    async def describe(self, *ids: str, **params: Any) -> list[dict[str, Any]]:
        if ids:
            import json

            params["ContainerGroupIds"] = json.dumps(list(ids))
        params.setdefault("RegionId", self.region)
        body = await self.ok("DescribeContainerGroups", **params)
        groups: list[dict[str, Any]] = body["ContainerGroups"]
        return groups
