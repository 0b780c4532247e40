"""The controller's view of ECI: one client per region, every call counted by action and result.

Reads made by the batched observer go in the background lane of the shared quotas; creates,
updates, deletes and the reads that decide them go in the user lane, ahead of periodic reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable, Collection, Iterator, Sequence

from eci_operator.controller.metrics import Metrics
from eci_operator.controller.settings import CloudSettings
from eci_operator.eci.client import EciClient
from eci_operator.eci.credentials import ChainCredentials, CredentialsProvider
from eci_operator.eci.errors import (
    EciError,
    InvalidParameterError,
    InvalidResponseError,
    NoNeedUpdateError,
    NotFoundError,
    error_label,
)
from eci_operator.eci.feeds import (
    DescribeContainerGroupEventsRequest,
    DescribeContainerGroupStatusRequest,
    GroupEventsOut,
)
from eci_operator.eci.models import (
    DESCRIBE_MAX_IDS,
    GROUP_ID,
    ContainerGroupOut,
    CreateContainerGroupRequest,
    DeleteContainerGroupRequest,
    DescribeContainerGroupsRequest,
    RestartContainerGroupRequest,
    TagFilter,
    UntagResourcesRequest,
    UpdateContainerGroupRequest,
)
from eci_operator.eci.quotas import Priority, QuotaLimiter, default_limiter
from eci_operator.eci.sts import StsCredentials
from eci_operator.translate.ownership import TAG_CLUSTER, TAG_UID

logger = logging.getLogger(__name__)

Scope = tuple[str, str]  # (credentials id, region)

REGION_ID = re.compile(r"^[a-z]+(-[a-z0-9]+){1,5}$")
"""A region ID; anything else never reaches an endpoint name (eci.<region>.aliyuncs.com)."""


class Cloud:
    def __init__(
        self,
        *,
        settings: CloudSettings,
        credentials: CredentialsProvider | None,
        metrics: Metrics,
        credentials_id: str = "default",
        account: str = "",
        limiter: QuotaLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.account = account  # the EciAccount's name; "" for the operator's own credentials
        self._limiter = limiter  # None: the process-wide quotas of the operator's own account
        self._credentials: CredentialsProvider = credentials or ChainCredentials()
        self._metrics = metrics
        self.credentials_id = credentials_id
        self._clients: dict[str, EciClient] = {}
        self._recovery: list[Callable[[], object]] = []
        self._subscribed: set[int] = set()

    @property
    def credentials(self) -> CredentialsProvider:
        return self._credentials

    async def credentials_fingerprint(self) -> str:
        """A hash that changes when the credentials do (kept in memory only, never logged)."""
        current = await self._credentials.get()
        material = "\0".join([current.access_key_id, current.access_key_secret, current.security_token or ""])
        return hashlib.sha256(material.encode()).hexdigest()

    @property
    def limiter(self) -> QuotaLimiter:
        """The quotas this client's calls draw on (its account's, or the process-wide default)."""
        return self._limiter or default_limiter()

    def scope(self, region: str) -> Scope:
        return (self.credentials_id, region)

    def client(self, region: str) -> EciClient:
        if not REGION_ID.match(region):
            raise InvalidParameterError("InvalidRegionId", f"{region!r} is not a region ID")
        client = self._clients.get(region)
        if client is None:
            client = EciClient(
                region_id=region,
                credentials=self._credentials,
                endpoint=self.settings.endpoint,
                retry=self.settings.retry,
                breaker_settings=self.settings.breaker,
                limiter=self._limiter,
            )
            self._clients[region] = client
            self._subscribe(client)
        return client

    def on_recovery(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` whenever an endpoint answers again after its breaker opened (the
        controller then retries every failing object at once, user edits first)."""
        self._recovery.append(callback)
        for client in self._clients.values():
            self._subscribe(client)

    def _subscribe(self, client: EciClient) -> None:
        breaker = client.breaker
        if id(breaker) in self._subscribed:  # regions on one endpoint share one breaker
            return
        self._subscribed.add(id(breaker))
        breaker.subscribe(self._recovered)

    def _recovered(self) -> None:
        logger.info("ECI answers again; retrying what failed meanwhile")
        for callback in self._recovery:
            callback()

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        if isinstance(self._credentials, StsCredentials):
            await self._credentials.close()  # a renewal under way must not outlive the controller

    def _count(self, action: str, error: EciError | None) -> None:
        # A bounded label set: a hostile endpoint's codes cannot grow the series.
        self._metrics.eci_requests.labels(action=action, code=error_label(error), account=self.account).inc()

    @contextlib.contextmanager
    def _counted(self, action: str) -> Iterator[None]:
        """Count the call made inside by its outcome (the error's code, or success); errors go on."""
        try:
            yield
        except EciError as exc:
            self._count(action, exc)
            raise
        self._count(action, None)

    async def describe(
        self, scope: Scope, ids: Sequence[str], *, priority: Priority = Priority.BACKGROUND
    ) -> dict[str, ContainerGroupOut]:
        """The instances among ``ids`` that ECI lists (at most 20 IDs, one call)."""
        region = scope[1]
        # Without events: planning never reads them (the change feed brings them), and up to 50 per
        # instance would be most of what the observer caches.
        request = DescribeContainerGroupsRequest(
            region_id=region, container_group_ids=list(ids), with_event=False
        )
        try:
            with self._counted("DescribeContainerGroups"):
                response = await self.client(region).describe_container_groups(request, priority=priority)
        except NotFoundError:
            return {}
        return {g.container_group_id: g for g in response.container_groups if g.container_group_id in ids}

    async def status_changes(self, scope: Scope, since_second: int, cluster: str) -> list[str]:
        """IDs of this cluster's instances whose status or container states changed in the last
        ``since_second`` seconds (ECI's clock), every page read."""
        region = scope[1]
        request = DescribeContainerGroupStatusRequest(
            region_id=region, since_second=since_second, tags=[TagFilter(key=TAG_CLUSTER, value=cluster)]
        )
        try:
            found = [
                item.container_group_id
                async for item in self.client(region).iter_status_changes(request)
                if GROUP_ID.match(item.container_group_id)
            ]
        except EciError as exc:
            self._count("DescribeContainerGroupStatus", exc)
            raise
        self._count("DescribeContainerGroupStatus", None)
        return list(dict.fromkeys(found))

    async def recent_events(self, scope: Scope, since_second: int, cluster: str) -> list[GroupEventsOut]:
        """This cluster's instances with their events of the last ``since_second`` seconds."""
        region = scope[1]
        request = DescribeContainerGroupEventsRequest(
            region_id=region, since_second=since_second, tags=[TagFilter(key=TAG_CLUSTER, value=cluster)]
        )
        try:
            found = [g async for g in self.client(region).iter_events(request)]
        except EciError as exc:
            self._count("DescribeContainerGroupEvents", exc)
            raise
        self._count("DescribeContainerGroupEvents", None)
        return found

    async def describe_one(self, scope: Scope, group_id: str) -> ContainerGroupOut | None:
        """A direct read of one instance: None means ECI answered that it does not exist (NotFound, or
        an answer that does not list it); errors raise."""
        found = await self.describe(scope, [group_id], priority=Priority.USER)
        return found.get(group_id)

    def quota_usage(self) -> dict[str, tuple[int, float]]:
        """Per ECI action called so far: (calls in the last minute, the per-minute limit)."""
        return (self._limiter or default_limiter()).usage()

    async def probe(self, region: str) -> None:
        """The cheapest authenticated read (at most one instance listed): raises when ECI refuses the
        credentials."""
        request = DescribeContainerGroupsRequest(region_id=region, limit=1)
        with self._counted("DescribeContainerGroups"):
            await self.client(region).describe_container_groups(request, priority=Priority.USER)

    async def find_owned(self, region: str, uid: str) -> list[ContainerGroupOut]:
        """Instances tagged as owned by the ContainerGroup with ``uid`` (newest first)."""
        found: list[ContainerGroupOut] = []
        token: str | None = None
        for _ in range(50):  # an owner has one or two instances; a hostile answer cannot loop forever
            request = DescribeContainerGroupsRequest(
                region_id=region,
                tags=[TagFilter(key=TAG_UID, value=uid)],
                limit=DESCRIBE_MAX_IDS,
                next_token=token,
                with_event=False,
            )
            with self._counted("DescribeContainerGroups"):
                response = await self.client(region).describe_container_groups(
                    request, priority=Priority.USER
                )
            found.extend(
                g
                for g in response.container_groups
                if any(t.key == TAG_UID and t.value == uid for t in g.tags)
            )
            token = response.next_token or None
            if not token:
                break
        return sorted(found, key=lambda g: g.creation_time or "", reverse=True)

    async def create(self, request: CreateContainerGroupRequest, *, public: Collection[str] = ()) -> str:
        """The new instance's ID; ``public`` as in ``EciClient.create_container_group``."""
        with self._counted("CreateContainerGroup"):
            response = await self.client(request.region_id).create_container_group(
                request, public_values=public
            )
        if not GROUP_ID.match(response.container_group_id):
            # It goes into status and into every later request: never take a stranger's word for it.
            raise InvalidResponseError(
                "CreateContainerGroup answered with an instance ID of the wrong form",
                action="CreateContainerGroup",
            )
        return response.container_group_id

    async def update(self, request: UpdateContainerGroupRequest, *, public: Collection[str] = ()) -> bool:
        """Send an update; False when ECI says there was nothing to change (NoNeedUpdate)."""
        try:
            with self._counted("UpdateContainerGroup"):
                await self.client(request.region_id).update_container_group(request, public_values=public)
        except NoNeedUpdateError:
            return False
        return True

    async def restart(self, region: str, group_id: str, client_token: str) -> None:
        request = RestartContainerGroupRequest(
            region_id=region, container_group_id=group_id, client_token=client_token
        )
        try:
            await self.client(region).restart_container_group(request)
        except EciError as exc:
            self._count("RestartContainerGroup", exc)
            raise
        self._count("RestartContainerGroup", None)

    async def untag(self, region: str, group_id: str, keys: Sequence[str], client_token: str) -> None:
        """Remove the tags ``keys`` from an instance (the last ones included, whatever its status)."""
        request = UntagResourcesRequest(
            region_id=region, resource_ids=[group_id], tag_keys=list(keys), client_token=client_token
        )
        with self._counted("UntagResources"):
            await self.client(region).untag_resources(request, priority=Priority.USER)

    async def delete(self, region: str, group_id: str, client_token: str) -> bool:
        """Delete an instance; False when it was already gone (NotFound counts as deleted)."""
        request = DeleteContainerGroupRequest(
            region_id=region, container_group_id=group_id, client_token=client_token
        )
        try:
            with self._counted("DeleteContainerGroup"):
                await self.client(region).delete_container_group(request)
        except NotFoundError:
            return False
        return True
