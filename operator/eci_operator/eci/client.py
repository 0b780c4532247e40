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

Answers are checked against the response models inside each attempt: an answer of the wrong
shape is an ``InvalidResponseError`` (retried, counted by the circuit breaker), never a pydantic
traceback. A Describe page larger than ``RetryPolicy.max_response_bytes`` is fetched again in
halves (by ID, or with a smaller ``Limit``), so the size cap bounds memory without refusing a
legitimate page. ``client.breaker`` is the endpoint's shared circuit breaker (``eci.breaker``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel

from eci_operator.eci import answers
from eci_operator.eci.breaker import BreakerSettings, CircuitBreaker
from eci_operator.eci.credentials import ChainCredentials, CredentialsProvider
from eci_operator.eci.errors import InvalidResponseError, ResponseTooLargeError
from eci_operator.eci.feeds import (
    DescribeContainerGroupEventsRequest,
    DescribeContainerGroupEventsResponse,
    DescribeContainerGroupStatusRequest,
    DescribeContainerGroupStatusResponse,
    GroupEventsOut,
    GroupStatusOut,
)
from eci_operator.eci.flatten import flatten
from eci_operator.eci.models import (
    DESCRIBE_MAX_IDS,
    FEED_MAX_LIMIT,
    ActionResponse,
    ContainerGroupOut,
    CreateContainerGroupRequest,
    CreateContainerGroupResponse,
    DeleteContainerGroupRequest,
    DescribeContainerGroupsRequest,
    DescribeContainerGroupsResponse,
    DescribeContainerLogRequest,
    DescribeContainerLogResponse,
    ExecContainerCommandRequest,
    ExecContainerCommandResponse,
    ListTagResourcesRequest,
    ListTagResourcesResponse,
    RestartContainerGroupRequest,
    TagResourcesRequest,
    UntagResourcesRequest,
    UpdateContainerGroupRequest,
)
from eci_operator.eci.quotas import Priority, QuotaLimiter
from eci_operator.eci.redact import Scrubber
from eci_operator.eci.transport import RetryPolicy, SignatureScheme, Transport

Model = TypeVar("Model", bound=BaseModel)
FeedModel = TypeVar("FeedModel", DescribeContainerGroupStatusResponse, DescribeContainerGroupEventsResponse)
FeedRequest = TypeVar("FeedRequest", DescribeContainerGroupStatusRequest, DescribeContainerGroupEventsRequest)

FEED_MAX_PAGES = 1000
"""Pages one feed read may follow (200 000 instances): a token that never ends cannot loop forever."""

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


def _as(model: type[Model]) -> Callable[[str, dict[str, Any], Scrubber], Model]:
    def decode(action: str, answer: dict[str, Any], scrubber: Scrubber) -> Model:
        return answers.validated(action, answer, model, scrubber)

    return decode


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
        breaker: CircuitBreaker | None = None,
        breaker_settings: BreakerSettings | None = None,
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
            breaker=breaker,
            breaker_settings=breaker_settings,
            http_transport=http_transport,
        )

    @property
    def breaker(self) -> CircuitBreaker:
        """The endpoint's circuit breaker, shared with every client of the same endpoint and credentials."""
        return self.transport.breaker

    async def __aenter__(self) -> EciClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    def _prepare(
        self, action: str, params: Mapping[str, str], priority: Priority | None
    ) -> tuple[dict[str, str], Priority]:
        """A write gets a ClientToken (the same on every retry) and the user lane by default."""
        params = dict(params)
        is_write = action in WRITE_ACTIONS
        if is_write and not params.get("ClientToken"):
            params["ClientToken"] = new_client_token(action)
        if priority is None:
            priority = Priority.USER if is_write else Priority.BACKGROUND
        return params, priority

    async def call(
        self, action: str, params: Mapping[str, str], *, priority: Priority | None = None
    ) -> dict[str, Any]:
        """Send any action with already flattened parameters; the JSON answer as a dict.

        A write action without ``ClientToken`` gets one (the same on every retry).
        """
        params, lane = self._prepare(action, params, priority)
        return await self.transport.request(action, params, priority=lane)

    async def _typed(
        self,
        action: str,
        request: BaseModel,
        model: type[Model],
        priority: Priority | None,
        public: Collection[str] = (),
    ) -> Model:
        params, lane = self._prepare(action, flatten(request), priority)
        return await self.transport.call(action, params, _as(model), priority=lane, public=frozenset(public))

    async def create_container_group(
        self,
        request: CreateContainerGroupRequest,
        *,
        priority: Priority | None = None,
        public_values: Collection[str] = (),
    ) -> CreateContainerGroupResponse:
        """``public_values``: env values known not to be secret (see ``Transport.call``)."""
        return await self._typed(
            "CreateContainerGroup", request, CreateContainerGroupResponse, priority, public_values
        )

    async def update_container_group(
        self,
        request: UpdateContainerGroupRequest,
        *,
        priority: Priority | None = None,
        public_values: Collection[str] = (),
    ) -> ActionResponse:
        """Raises ``NoNeedUpdateError`` when nothing changes."""
        return await self._typed("UpdateContainerGroup", request, ActionResponse, priority, public_values)

    async def delete_container_group(
        self, request: DeleteContainerGroupRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        return await self._typed("DeleteContainerGroup", request, ActionResponse, priority)

    async def restart_container_group(
        self, request: RestartContainerGroupRequest, *, priority: Priority | None = None
    ) -> ActionResponse:
        return await self._typed("RestartContainerGroup", request, ActionResponse, priority)

    async def describe_container_log(
        self, request: DescribeContainerLogRequest, *, priority: Priority = Priority.USER
    ) -> DescribeContainerLogResponse:
        return await self._typed("DescribeContainerLog", request, DescribeContainerLogResponse, priority)

    async def exec_container_command(
        self, request: ExecContainerCommandRequest, *, priority: Priority = Priority.USER
    ) -> ExecContainerCommandResponse:
        """ECI takes no ClientToken here: an attempt whose answer was lost may have run the command,
        and a retry runs it again. Callers that must not repeat a command use ``max_attempts=1``."""
        return await self._typed("ExecContainerCommand", request, ExecContainerCommandResponse, priority)

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
        """One page; a page over the size cap is fetched again in halves (module docstring)."""
        try:
            return await self._typed(
                "DescribeContainerGroups", request, DescribeContainerGroupsResponse, priority
            )
        except ResponseTooLargeError as exc:
            too_large = exc
        # Outside the except block, so the refused answer's traceback is not kept while we retry.
        ids = request.container_group_ids or []
        limit = request.limit or DESCRIBE_MAX_IDS
        if len(ids) > 1:
            half = len(ids) // 2
            parts = [
                await self.describe_container_groups(
                    request.model_copy(update={"container_group_ids": part}), priority=priority
                )
                for part in (ids[:half], ids[half:])
            ]
            return parts[0].model_copy(
                update={
                    "total_count": sum(p.total_count for p in parts),
                    "next_token": "",
                    "container_groups": [g for p in parts for g in p.container_groups],
                }
            )
        if not ids and limit > 1:
            smaller = request.model_copy(update={"limit": limit // 2})
            return await self.describe_container_groups(smaller, priority=priority)
        raise too_large

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

    # -- the change feeds ------------------------------------------------------------------------

    async def _feed_page(
        self, action: str, request: FeedRequest, model: type[FeedModel], priority: Priority | None
    ) -> FeedModel:
        """One page; a page over the size cap is fetched again with half the ``Limit``."""
        try:
            return await self._typed(action, request, model, priority)
        except ResponseTooLargeError as exc:
            too_large = exc
        limit = request.limit or FEED_MAX_LIMIT
        if limit > 1:
            smaller = request.model_copy(update={"limit": limit // 2})
            return await self._feed_page(action, smaller, model, priority)
        raise too_large

    async def describe_container_group_status(
        self, request: DescribeContainerGroupStatusRequest, *, priority: Priority | None = None
    ) -> DescribeContainerGroupStatusResponse:
        """One page of the status feed."""
        return await self._feed_page(
            "DescribeContainerGroupStatus", request, DescribeContainerGroupStatusResponse, priority
        )

    async def describe_container_group_events(
        self, request: DescribeContainerGroupEventsRequest, *, priority: Priority | None = None
    ) -> DescribeContainerGroupEventsResponse:
        """One page of the event feed."""
        return await self._feed_page(
            "DescribeContainerGroupEvents", request, DescribeContainerGroupEventsResponse, priority
        )

    def iter_status_changes(
        self, request: DescribeContainerGroupStatusRequest, *, priority: Priority | None = None
    ) -> AsyncIterator[GroupStatusOut]:
        """Every instance of the status feed, following NextToken (a repeated token ends the read
        with an ``InvalidResponseError``: the service would otherwise be asked the same page forever)."""
        return _follow(
            lambda page: self.describe_container_group_status(page, priority=priority),
            request,
            "DescribeContainerGroupStatus",
        )

    def iter_events(
        self, request: DescribeContainerGroupEventsRequest, *, priority: Priority | None = None
    ) -> AsyncIterator[GroupEventsOut]:
        """Every instance of the event feed with its events, following NextToken (as above)."""
        return _follow(
            lambda page: self.describe_container_group_events(page, priority=priority),
            request,
            "DescribeContainerGroupEvents",
        )


Item = TypeVar("Item")


class _Page(Protocol[Item]):
    next_token: str
    data: list[Item]


async def _follow(
    fetch: Callable[[FeedRequest], Awaitable[_Page[Item]]], request: FeedRequest, action: str
) -> AsyncIterator[Item]:
    """The items of every page of a feed, following NextToken at most ``FEED_MAX_PAGES`` times."""
    page_request = request
    seen: set[str] = set()
    for _ in range(FEED_MAX_PAGES):
        page = await fetch(page_request)
        for item in page.data:
            yield item
        if not page.next_token or not page.data:
            return
        _check_token(page.next_token, seen, action)
        page_request = page_request.model_copy(update={"next_token": page.next_token})
    _too_many_pages(action)


def _check_token(token: str, seen: set[str], action: str) -> None:
    if token in seen:
        raise InvalidResponseError(f"{action}: the answer repeats an earlier NextToken", action=action)
    seen.add(token)


def _too_many_pages(action: str) -> None:
    raise InvalidResponseError(f"{action}: more than {FEED_MAX_PAGES} pages", action=action)
