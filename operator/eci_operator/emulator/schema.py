"""Request parameters of each emulated action, as in the official SDK's request models.

Limits that the parameter documentation states (20 containers, 20 volumes, 20 tags, 20 commands of
256 characters, 10 args, ports 1-65535) are part of the schema; cross-field rules live in
``validation``.
"""

from __future__ import annotations

from typing import get_args

from eci_operator.eci.models import Status

from .params import Bool, Enum, Float, Int, List, Octal, Str, Struct

MAX_CONTAINERS = 20
MAX_VOLUMES = 20
MAX_TAGS = 20
MAX_COMMANDS = 20
MAX_COMMAND_CHARS = 256
MAX_ARGS = 10
MAX_ITEMS = 100  # env vars, ports, mounts per container (metadata maxItems 101)

PORT = Int(1, 65535)
COMMANDS = List(Str(MAX_COMMAND_CHARS), MAX_COMMANDS)

_PROBE = Struct(
    {
        "InitialDelaySeconds": Int(0, None),
        "PeriodSeconds": Int(1, None),
        "TimeoutSeconds": Int(1, None),
        "SuccessThreshold": Int(1, None),
        "FailureThreshold": Int(1, None),
        "HttpGet": Struct({"Path": Str(), "Port": PORT, "Scheme": Enum("HTTP", "HTTPS")}),
        "TcpSocket": Struct({"Port": PORT}),
        "Exec": Struct({"Command": COMMANDS}),
    }
)

_HEADERS = List(Struct({"Name": Str(), "Value": Str()}), MAX_ITEMS)

_LIFECYCLE = {
    f"Lifecycle{hook}Handler{rest}": kind
    for hook in ("PostStart", "PreStop")
    for rest, kind in (
        ("Exec", COMMANDS),
        ("HttpGetHost", Str()),
        ("HttpGetPath", Str()),
        ("HttpGetPort", PORT),
        ("HttpGetScheme", Enum("HTTP", "HTTPS")),
        ("TcpSocketHost", Str()),
        ("TcpSocketPort", PORT),
    )
}

_BASE_CONTAINER = Struct(
    {
        "Name": Str(),
        "Image": Str(),
        "Cpu": Float(),
        "Memory": Float(),
        "Gpu": Int(0, None),
        "WorkingDir": Str(),
        "ImagePullPolicy": Enum("Always", "IfNotPresent", "Never"),
        "Command": COMMANDS,
        "Arg": List(Str(), MAX_ARGS),
        "EnvironmentVar": List(
            Struct({"Key": Str(128), "Value": Str(256), "FieldRef": Struct({"FieldPath": Str()})}),
            MAX_ITEMS,
        ),
        "Port": List(Struct({"Port": PORT, "Protocol": Enum("TCP", "UDP")}), MAX_ITEMS),
        "VolumeMount": List(
            Struct(
                {
                    "Name": Str(),
                    "MountPath": Str(),
                    "ReadOnly": Bool(),
                    "SubPath": Str(),
                    "MountPropagation": Enum("None", "HostToContainer", "Bidirectional"),
                }
            ),
            MAX_ITEMS,
        ),
        "SecurityContext": Struct(
            {
                "Capability": Struct({"Add": List(Str(), MAX_ITEMS)}),
                "ReadOnlyRootFilesystem": Bool(),
                "RunAsUser": Int(),
            }
        ),
    }
)

_TTY = {"Stdin": Bool(), "StdinOnce": Bool(), "Tty": Bool()}
_TERMINATION = {
    "TerminationMessagePath": Str(),
    "TerminationMessagePolicy": Enum("File", "FallbackToLogsOnError"),
}

CREATE_CONTAINER = _BASE_CONTAINER.extend(
    **_TTY,
    **_TERMINATION,
    **_LIFECYCLE,
    LivenessProbe=_PROBE,
    ReadinessProbe=_PROBE,
    EnvironmentVarHide=Bool(),
    SecurityContextPrivileged=Bool(),
    SecurityContextRunAsGroup=Int(0, None),
    SecurityContextRunAsNonRoot=Bool(),
    LifecyclePostStartHandlerHttpGetHttpHeader=_HEADERS,
    LifecyclePreStopHandlerHttpGetHttpHeader=_HEADERS,
)
UPDATE_CONTAINER = _BASE_CONTAINER.extend(
    **_TTY,
    **_LIFECYCLE,
    LivenessProbe=_PROBE,
    ReadinessProbe=_PROBE,
    # The Update model spells the post-start header list in the plural, pre-stop in the singular.
    LifecyclePostStartHandlerHttpGetHttpHeaders=_HEADERS,
    LifecyclePreStopHandlerHttpGetHttpHeader=_HEADERS,
)
CREATE_INIT_CONTAINER = _BASE_CONTAINER.extend(**_TERMINATION)
UPDATE_INIT_CONTAINER = _BASE_CONTAINER.extend(**_TTY)

VOLUME_TYPES = (
    "EmptyDirVolume",
    "NFSVolume",
    "ConfigFileVolume",
    "FlexVolume",
    "DiskVolume",
    "HostPathVolume",
)

_UPDATE_VOLUME = Struct(
    {
        "Name": Str(),
        "Type": Enum(*VOLUME_TYPES),
        "NFSVolume": Struct({"Server": Str(), "Path": Str(), "ReadOnly": Bool()}),
        "ConfigFileVolume": Struct({"ConfigFileToPath": List(Struct({"Path": Str(), "Content": Str()}), 15)}),
        "EmptyDirVolume": Struct({"Medium": Enum("", "Memory", "LocalRaid0"), "SizeLimit": Str()}),
        "FlexVolume": Struct(
            {
                "Driver": Enum("alicloud/disk", "alicloud/nas", "alicloud/oss"),
                "FsType": Str(),
                "Options": Str(),
            }
        ),
        "HostPathVolume": Struct({"Path": Str(), "Type": Enum("Directory", "File")}),
    }
)
_CREATE_VOLUME = _UPDATE_VOLUME.extend(
    ConfigFileVolume=Struct(
        {
            "ConfigFileToPath": List(Struct({"Path": Str(), "Content": Str(), "Mode": Octal()}), 15),
            "DefaultMode": Octal(),
        }
    ),
    DiskVolume=Struct({"DiskId": Str(), "DiskSize": Int(1, None), "FsType": Str()}),
)

TAGS = List(Struct({"Key": Str(64), "Value": Str(128)}), MAX_TAGS)
DNS_CONFIG = Struct(
    {
        "NameServer": List(Str(), 20),
        "Search": List(Str(), 20),
        "Option": List(Struct({"Name": Str(), "Value": Str()}), 20),
    }
)
CREDENTIALS = List(Struct({"Server": Str(), "UserName": Str(), "Password": Str()}), 20)
_ACR_UPDATE = Struct(
    {"InstanceId": Str(), "InstanceName": Str(), "RegionId": Str(), "Domain": List(Str(), 20)}
)
_ACR_CREATE = _ACR_UPDATE.extend(ArnService=Str(), ArnUser=Str())
RESTART_POLICY = Enum("Always", "Never", "OnFailure")

# Account parameters every action accepts and the emulator ignores.
_OWNER = {
    "OwnerId": Int(),
    "OwnerAccount": Str(),
    "ResourceOwnerId": Int(),
    "ResourceOwnerAccount": Str(),
}

CREATE = Struct(
    {
        **_OWNER,
        "RegionId": Str(),
        "ClientToken": Str(),
        "ContainerGroupName": Str(),
        "ZoneId": Str(),
        "SecurityGroupId": Str(),
        "VSwitchId": Str(),
        "RestartPolicy": RESTART_POLICY,
        "Cpu": Float(),
        "Memory": Float(),
        "InstanceType": Str(),
        "DnsPolicy": Enum("None", "Default"),
        "DnsConfig": DNS_CONFIG,
        "Tag": TAGS,
        "Volume": List(_CREATE_VOLUME, MAX_VOLUMES),
        "Container": List(CREATE_CONTAINER, MAX_CONTAINERS),
        "InitContainer": List(CREATE_INIT_CONTAINER, MAX_CONTAINERS),
        "ImageRegistryCredential": CREDENTIALS,
        "AcrRegistryInfo": List(_ACR_CREATE, 20),
        "HostAliase": List(Struct({"Ip": Str(), "Hostname": List(Str(), 20)}), 20),
        "SecurityContext": Struct({"Sysctl": List(Struct({"Name": Str(), "Value": Str()}), 20)}),
        "HostSecurityContext": Struct({"Sysctl": List(Struct({"Name": Str(), "Value": Str()}), 20)}),
        "TerminationGracePeriodSeconds": Int(0, None),
        "ActiveDeadlineSeconds": Int(1, None),
        "EphemeralStorage": Int(0, None),
        "ResourceGroupId": Str(),
        "RamRoleName": Str(),
        "SpotStrategy": Enum("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"),
        "SpotPriceLimit": Float(),
        "SpotDuration": Int(0, None),
        "StrictSpot": Bool(),
        "AutoCreateEip": Bool(),
        "EipBandwidth": Int(1, None),
        "EipISP": Str(),
        "EipInstanceId": Str(),
        "EipCommonBandwidthPackage": Str(),
        "ImageSnapshotId": Str(),
        "AutoMatchImageCache": Bool(),
        "ImageAccelerateMode": Str(),
        "PlainHttpRegistry": Str(),
        "InsecureRegistry": Str(),
        "Ipv6AddressCount": Int(0, None),
        "Ipv6GatewayBandwidthEnable": Bool(),
        "Ipv6GatewayBandwidth": Str(),
        "PrivateIpAddress": Str(),
        "FixedIp": Str(),
        "FixedIpRetainHour": Int(0, None),
        "IngressBandwidth": Int(0, None),
        "EgressBandwidth": Int(0, None),
        "GpuDriverVersion": Str(),
        "OsType": Enum("Linux", "Windows"),
        "CpuArchitecture": Enum("AMD64", "ARM64"),
        "ComputeCategory": List(Enum("economy", "general"), 2),
        "CorePattern": Str(),
        "NtpServer": List(Str(), 10),
        "ShareProcessNamespace": Bool(),
        "ContainerResourceView": Bool(),
        "HostName": Str(),
        "ScheduleStrategy": Str(),
        "OverheadReservationOption": Struct({"EnableOverheadReservation": Bool()}),
        "CpuOptionsCore": Int(1, None),
        "CpuOptionsNuma": Str(),
        "CpuOptionsThreadsPerCore": Int(1, None),
        "DataCacheBucket": Str(),
        "DataCacheBurstingEnabled": Bool(),
        "DataCachePL": Str(),
        "DataCacheProvisionedIops": Int(0, None),
        "DryRun": Bool(),
    }
)

UPDATE = Struct(
    {
        **_OWNER,
        "RegionId": Str(),
        "ContainerGroupId": Str(),
        "ClientToken": Str(),
        "UpdateType": Enum("RenewUpdate", "IncrementalUpdate"),
        "RestartPolicy": RESTART_POLICY,
        "Tag": TAGS,
        "Volume": List(_UPDATE_VOLUME, MAX_VOLUMES),
        "DnsConfig": DNS_CONFIG,
        "Container": List(UPDATE_CONTAINER, MAX_CONTAINERS),
        "InitContainer": List(UPDATE_INIT_CONTAINER, MAX_CONTAINERS),
        "ImageRegistryCredential": CREDENTIALS,
        "AcrRegistryInfo": List(_ACR_UPDATE, 20),
        "Cpu": Float(),
        "Memory": Float(),
        "ResourceGroupId": Str(),
    }
)

STATUSES: tuple[str, ...] = get_args(Status)

DESCRIBE = Struct(
    {
        **_OWNER,
        "RegionId": Str(),
        "ContainerGroupIds": Str(),
        "ContainerGroupName": Str(),
        "Status": Enum(*STATUSES),
        "Tag": List(Struct({"Key": Str(64), "Value": Str(128)}), 20),
        "Limit": Int(),
        "NextToken": Str(),
        "ZoneId": Str(),
        "VSwitchId": Str(),
        "SecurityGroupId": Str(),
        "ResourceGroupId": Str(),
        "ComputeCategory": Str(),
        "WithEvent": Bool(),
    }
)

DESCRIBE_STATUS = Struct(
    {
        "RegionId": Str(),
        "ContainerGroupIds": Str(),
        "Limit": Int(),
        "NextToken": Str(),
        "ResourceGroupId": Str(),
        "SinceSecond": Int(0, None),
        "Tag": List(Struct({"Key": Str(64), "Value": Str(128)}), 20),
        "VSwitchId": Str(),
        "ZoneId": Str(),
    }
)

DESCRIBE_EVENTS = Struct(
    {
        **DESCRIBE_STATUS.fields,
        "EventSource": Enum("EciService", "K8sAgent"),
    }
)

DELETE = Struct({**_OWNER, "RegionId": Str(), "ContainerGroupId": Str(), "ClientToken": Str()})
RESTART = DELETE

DESCRIBE_LOG = Struct(
    {
        **_OWNER,
        "RegionId": Str(),
        "ContainerGroupId": Str(),
        "ContainerName": Str(),
        "Tail": Int(),
        "SinceSeconds": Int(0, None),
        "StartTime": Str(),
        "LimitBytes": Int(),
        "LastTime": Bool(),
        "Timestamps": Bool(),
    }
)

EXEC = Struct(
    {
        **_OWNER,
        "RegionId": Str(),
        "ContainerGroupId": Str(),
        "ContainerName": Str(),
        "Command": Str(),  # a JSON array, checked by execs.parse_command
        "TTY": Bool(),
        "Stdin": Bool(),
        "Sync": Bool(),
    }
)

# The tag API (TagResources, UntagResources, ListTagResources). A resource carries at most 20 tags;
# tag keys and values may be 128 characters long here.
RESOURCE_TYPES = ("ContainerGroup", "ImageCache", "VirtualNode", "DataCache")
_RESOURCES = {"RegionId": Str(), "ResourceType": Enum(*RESOURCE_TYPES), "ResourceId": List(Str(), 100)}
_TAG_PAIRS = List(Struct({"Key": Str(128), "Value": Str(128)}), MAX_TAGS)
TAG_RESOURCES = Struct({**_OWNER, **_RESOURCES, "Tag": _TAG_PAIRS})
UNTAG_RESOURCES = Struct(
    {**_OWNER, **_RESOURCES, "TagKey": List(Str(128), MAX_TAGS), "All": Bool(), "ClientToken": Str()}
)
LIST_TAG_RESOURCES = Struct(
    {**_OWNER, **_RESOURCES, "Tag": _TAG_PAIRS, "Limit": Int(1, 100), "NextToken": Str()}
)

SCHEMAS: dict[str, Struct] = {
    "CreateContainerGroup": CREATE,
    "DescribeContainerGroups": DESCRIBE,
    "DescribeContainerGroupStatus": DESCRIBE_STATUS,
    "DescribeContainerGroupEvents": DESCRIBE_EVENTS,
    "UpdateContainerGroup": UPDATE,
    "DeleteContainerGroup": DELETE,
    "RestartContainerGroup": RESTART,
    "DescribeContainerLog": DESCRIBE_LOG,
    "ExecContainerCommand": EXEC,
    "TagResources": TAG_RESOURCES,
    "UntagResources": UNTAG_RESOURCES,
    "ListTagResources": LIST_TAG_RESOURCES,
}
