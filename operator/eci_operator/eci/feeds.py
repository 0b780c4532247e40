"""Requests and answers of ECI's change feeds, as the official SDK's models define them.

``DescribeContainerGroupStatus`` lists the instances whose status or container states changed in
the last ``SinceSecond`` seconds; ``DescribeContainerGroupEvents`` lists instances with their events
of that window. Both filter by IDs (at most 20), tags, zone, vSwitch and resource group, and page
with ``Limit`` (instances per page) and ``NextToken``.

Answers are untrusted: every part has a default (ECI omits empty fields), lists given as null are
empty, numbers must be numbers, and a string longer than ``MAX_TEXT`` is refused (a message can
be large; nothing the operator keeps needs more).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_serializer, field_validator

from eci_operator.eci.models import (
    DESCRIBE_MAX_IDS,
    FEED_MAX_LIMIT,
    RequestModel,
    ResponseModel,
    TagFilter,
)

MAX_TEXT = 4096
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
MAX_SINCE_SECOND = 24 * 3600


class _FeedRequest(RequestModel):
    region_id: str = Field(min_length=1)
    container_group_ids: list[str] | None = Field(None, max_length=DESCRIBE_MAX_IDS)
    tags: list[TagFilter] | None = Field(None, alias="Tag", max_length=20)
    since_second: int | None = Field(None, ge=1, le=MAX_SINCE_SECOND)
    limit: int | None = Field(None, ge=1, le=FEED_MAX_LIMIT)
    next_token: str | None = None
    zone_id: str | None = None
    v_switch_id: str | None = None
    resource_group_id: str | None = None

    @field_serializer("container_group_ids")
    def _json_array(self, ids: list[str] | None) -> str | None:
        return None if ids is None else json.dumps(ids, separators=(",", ":"))


class DescribeContainerGroupStatusRequest(_FeedRequest):
    """DescribeContainerGroupStatus."""


class DescribeContainerGroupEventsRequest(_FeedRequest):
    """DescribeContainerGroupEvents; ``event_source`` is ``EciService`` or ``K8sAgent`` (None: both)."""

    event_source: str | None = Field(None, pattern=r"^(EciService|K8sAgent)$")


def _null_is_empty(v: Any) -> Any:
    return [] if v is None else v


class RunningOut(ResponseModel):
    started_at: Text = Field("", alias="StartedAtstartedAt")  # the SDK's spelling


class TerminatedOut(ResponseModel):
    container_id: Text = Field("", alias="ContainerID")
    exit_code: int | None = None
    signal: int | None = None
    reason: Text = ""
    message: Text = ""
    started_at: Text = ""
    finished_at: Text = ""


class WaitingOut(ResponseModel):
    reason: Text = ""
    message: Text = ""


class StateOut(ResponseModel):
    """One of ``Running``, ``Terminated``, ``Waiting`` (or none, when ECI does not know yet)."""

    running: RunningOut | None = None
    terminated: TerminatedOut | None = None
    waiting: WaitingOut | None = None


class ContainerStatusOut(ResponseModel):
    name: Text = ""
    image: Text = ""
    image_id: Text = Field("", alias="ImageID")
    ready: bool = False
    started: bool = False
    restart_count: int = Field(0, ge=0)
    state: StateOut | None = None
    last_state: StateOut | None = None


class PodIpOut(ResponseModel):
    ip: Text = ""


class ConditionOut(ResponseModel):
    type: Text = Field("", alias="type")
    status: Text = Field("", alias="status")
    last_transition_time: Text = Field("", alias="lastTransitionTime")
    reason: Text = ""
    message: Text = ""


class PodStatusOut(ResponseModel):
    phase: Text = ""
    pod_ip: Text = ""
    pod_ips: list[PodIpOut] = Field(default_factory=list)
    host_ip: Text = ""
    qos_class: Text = ""
    start_time: Text = ""
    conditions: list[ConditionOut] = Field(default_factory=list)
    container_statuses: list[ContainerStatusOut] = Field(default_factory=list)

    _lists = field_validator("pod_ips", "conditions", "container_statuses", mode="before")(_null_is_empty)


class GroupStatusOut(ResponseModel):
    """One ``Data[]`` entry of DescribeContainerGroupStatus."""

    container_group_id: Text = ""
    name: Text = ""
    namespace: Text = ""
    uuid: Text = Field("", alias="uuid")
    status: Text = ""
    annotations: Text = ""
    pod_status: PodStatusOut | None = None


class DescribeContainerGroupStatusResponse(ResponseModel):
    request_id: str = ""
    total_count: int = 0
    next_token: Text = ""
    data: list[GroupStatusOut] = Field(default_factory=list)

    _lists = field_validator("data", mode="before")(_null_is_empty)


class EventSourceOut(ResponseModel):
    component: Text = ""
    host: Text = ""


class EventMetadataOut(ResponseModel):
    name: Text = ""
    namespace: Text = ""


class InvolvedObjectOut(ResponseModel):
    api_version: Text = ""
    kind: Text = ""
    name: Text = ""
    namespace: Text = ""
    uid: Text = ""


class FeedEventOut(ResponseModel):
    """One event: aggregated by ECI, so ``count`` grows and ``last_timestamp`` moves on a repeat."""

    count: int = Field(1, ge=0)
    type: Text = ""
    reason: Text = ""
    message: Text = ""
    first_timestamp: Text = ""
    last_timestamp: Text = ""
    metadata: EventMetadataOut | None = None
    reporting_component: Text = ""
    reporting_instance: Text = ""
    source: EventSourceOut | None = None
    involved_object: InvolvedObjectOut | None = Field(None, alias="involvedObject")


class GroupEventsOut(ResponseModel):
    """One ``Data[]`` entry of DescribeContainerGroupEvents."""

    container_group_id: Text = ""
    name: Text = ""
    namespace: Text = ""
    uuid: Text = Field("", alias="uuid")
    annotations: Text = ""
    events: list[FeedEventOut] = Field(default_factory=list)

    _lists = field_validator("events", mode="before")(_null_is_empty)


class DescribeContainerGroupEventsResponse(ResponseModel):
    """The SDK's model has no ``NextToken`` here, but the request takes one: read it when present."""

    request_id: str = ""
    total_count: int = 0
    next_token: Text = ""
    data: list[GroupEventsOut] = Field(default_factory=list)

    _lists = field_validator("data", mode="before")(_null_is_empty)
