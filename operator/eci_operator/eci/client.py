"""The ECI client: typed operations on top of ``Transport``.

    async with EciClient(region_id="cn-hangzhou") as eci:          # credentials from the chain
        page = await eci.describe_container_groups(
            DescribeContainerGroupsRequest(region_id="cn-hangzhou", container_group_ids=["eci-1"]))

Writes (Create, Update, Delete, Restart, UntagResources) always carry a ClientToken: the request's
own, or one generated once per call, so every retry of that call is the same write (TagResources
takes none; repeating it changes nothing). Writes default to ``Priority.USER`` and reads to
``Priority.BACKGROUND`` for the client-side quotas.
``update_container_group`` raises ``NoNeedUpdateError`` when the service has nothing to change;
callers treat that as success.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from eci_operator.eci.credentials import ChainCredentials, CredentialsProvider
from eci_operator.eci.flatten import flatten
from eci_operator.eci.models import (
    DESCRIBE_MAX_IDS,
    ActionResponse,
    ContainerGroupOut,
    CreateContainerGroupRequest,
    CreateContainerGroupResponse,
    DeleteContainerGroupRequest,
    DescribeContainerGroupsRequest,
    DescribeContainerGroupsResponse,
    ListTagResourcesRequest,
    ListTagResourcesResponse,
    RestartContainerGroupRequest,
    TagResourcesRequest,
    UntagResourcesRequest,
    UpdateContainerGroupRequest,
)
from eci_operator.eci.quotas import Priority, QuotaLimiter
from eci_operator.eci.transport import RetryPolicy, SignatureScheme, Transport

# Actions that take a ClientToken and change state.
WRITE_ACTIONS = frozenset(
    {
        "CreateContainerGroup",
        "UpdateContainerGroup",
        "DeleteContainerGroup",
        "RestartContainerGroup",
        "UntagResources",
    }
)


def new_client_token(action: str) -> str:
    """A fresh ClientToken (ASCII, at most 64 characters)."""
    return f"eci-op-{action}-{uuid.uuid4().hex}"[:64]


class EciClient:
    """ECI operations for one region (and endpoint) with one set of credentials."""

    def __init__(
        self,
        *,
        region_id: str,
        credentials: CredentialsProvider | None = None,
        endpoint: str | None = None,
        signature: SignatureScheme = "acs3",
        retry: RetryPolicy | None = None,
        limiter: QuotaLimiter | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.region_id = region_id
        self.transport = Transport(
            region_id=region_id,
            credentials=credentials or ChainCredentials(),
            endpoint=endpoint,
            signature=signature,
            retry=retry,
            limiter=limiter,
            http_transport=http_transport,
        )

    async def __aenter__(self) -> EciClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def call(
        self, action: str, params: Mapping[str, str], *, priority: Priority | None = None
    ) -> dict[str, Any]:
        """Send any action with already flattened parameters; the JSON answer as a dict.

        A write action without ``ClientToken`` gets one (the same on every retry).
        """
        params = dict(params)
        is_write = action in WRITE_ACTIONS
        if is_write and not params.get("ClientToken"):
            params["ClientToken"] = new_client_token(action)
        if priority is None:
            priority = Priority.USER if is_write else Priority.BACKGROUND
        return await self.transport.request(action, params, priority=priority)

    async def create_container_group(
        self, request: CreateContainerGroupRequest, *, priority: Priority | None = None
    ) -> CreateContainerGroupResponse:
        body = await self.call("CreateContainerGroup", flatten(request), priority=priority)
        return CreateContainerGroupResponse.model_validate(body)

    async def update_container_group(
        self, request: UpdateContainerGroupRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        """Raises ``NoNeedUpdateError`` when nothing changes."""
        body = await self.call("UpdateContainerGroup", flatten(request), priority=priority)
        return ActionResponse.model_validate(body)

    async def delete_container_group(
        self, request: DeleteContainerGroupRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        body = await self.call("DeleteContainerGroup", flatten(request), priority=priority)
        return ActionResponse.model_validate(body)

    async def restart_container_group(
        self, request: RestartContainerGroupRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        body = await self.call("RestartContainerGroup", flatten(request), priority=priority)
        return ActionResponse.model_validate(body)

    async def tag_resources(
        self, request: TagResourcesRequest, *, priority: Priority = Priority.USER
    ) -> ActionResponse:
        """Add or overwrite tags (TagResources takes no ClientToken; a repeat changes nothing)."""
        body = await self.call("TagResources", flatten(request), priority=priority)
        return ActionResponse.model_validate(body)

    async def untag_resources(
        self, request: UntagResourcesRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        """Remove tags, the last ones included (which UpdateContainerGroup cannot do)."""
        body = await self.call("UntagResources", flatten(request), priority=priority)
        return ActionResponse.model_validate(body)

    async def list_tag_resources(
        self, request: ListTagResourcesRequest, *, priority: Priority | None = None
    ) -> ListTagResourcesResponse:
        """One page of (resource, tag) pairs."""
        body = await self.call("ListTagResources", flatten(request), priority=priority)
        return ListTagResourcesResponse.model_validate(body)

    async def describe_container_groups(
        self, request: DescribeContainerGroupsRequest, *, priority: Priority | None = None
    ) -> DescribeContainerGroupsResponse:
        """One page."""
        body = await self.call("DescribeContainerGroups", flatten(request), priority=priority)
        return DescribeContainerGroupsResponse.model_validate(body)

    async def iter_container_groups(
        self, request: DescribeContainerGroupsRequest, *, priority: Priority | None = None
    ) -> AsyncIterator[ContainerGroupOut]:
        """Every group matching ``request``, following NextToken page by page."""
        page_request = request
        while True:
            page = await self.describe_container_groups(page_request, priority=priority)
            for group in page.container_groups:
                yield group
            if not page.next_token or not page.container_groups:
                return
            page_request = page_request.model_copy(update={"next_token": page.next_token})

    async def describe_by_ids(
        self, ids: Sequence[str], *, priority: Priority | None = None
    ) -> dict[str, ContainerGroupOut]:
        """The groups with these IDs, 20 per call (ceil(n/20) calls); absent IDs are missing keys."""
        found: dict[str, ContainerGroupOut] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), DESCRIBE_MAX_IDS):
            batch = unique[start : start + DESCRIBE_MAX_IDS]
            request = DescribeContainerGroupsRequest(
                region_id=self.region_id, container_group_ids=batch, limit=DESCRIBE_MAX_IDS
            )
            async for group in self.iter_container_groups(request, priority=priority):
                if group.container_group_id in batch:
                    found[group.container_group_id] = group
        return found
