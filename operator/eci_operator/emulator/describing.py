"""Request-shaped groups → the shapes DescribeContainerGroups returns (reference §2.5–§2.7).

Describe renames and flattens: ``Command``→``Commands`` (but init containers keep ``Command``),
``EnvironmentVar``→``EnvironmentVars`` with ``ValueFrom.FieldRef``, ``Exec.Command``→``Execs``,
``Capability.Add``→``Capability.Adds``, ``Volume.N.NFSVolume.Server``→``NFSVolumeServer``, … It
also shows what the service adds: ``Cpu``/``Memory``/``Gpu`` 0 when unset, probe defaults, an unset
probe as ``{"HttpGet": {}, "TcpSocket": {}}``, and the image's own ``PATH`` variable.
"""

from __future__ import annotations

from typing import Any

IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUNTIME_KEYS = ("Ready", "RestartCount", "CurrentState", "PreviousState")

# Container request keys that Describe does not show; kept aside so Update can still compare them.
INVISIBLE_CONTAINER_KEYS = (
    "EnvironmentVarHide",
    "SecurityContextPrivileged",
    "SecurityContextRunAsGroup",
    "SecurityContextRunAsNonRoot",
    "TerminationMessagePath",
    "TerminationMessagePolicy",
    "LifecyclePostStartHandlerHttpGetHttpHeader",
    "LifecyclePostStartHandlerHttpGetHttpHeaders",
    "LifecyclePreStopHandlerHttpGetHttpHeader",
)


# Instance parameters only Create takes that Describe does not show.
CREATE_ONLY_UNREPORTED = (
    "DnsPolicy",
    "TerminationGracePeriodSeconds",
    "ActiveDeadlineSeconds",
    "HostSecurityContext",
    "HostName",
    "ShareProcessNamespace",
    "CpuArchitecture",
    "OsType",
)


def volume_modes(volumes: list[dict[str, Any]]) -> dict[str, Any]:
    """Per volume, the file modes (Create only, not shown): Update, which cannot carry them, drops them."""
    out: dict[str, Any] = {}
    for v in volumes:
        config = v.get("ConfigFileVolume", {})
        modes = {f["Path"]: f["Mode"] for f in config.get("ConfigFileToPath", []) if "Mode" in f}
        if "DefaultMode" in config:
            modes["DefaultMode"] = config["DefaultMode"]
        if modes:
            out[v["Name"]] = modes
    return out


def invisible(container: dict[str, Any], init: bool) -> dict[str, Any]:
    unseen = INVISIBLE_CONTAINER_KEYS + (("Stdin", "StdinOnce", "Tty") if init else ())
    return {k: container[k] for k in sorted(container) if k.startswith("Lifecycle") or k in unseen}


def _probe(probe: dict[str, Any] | None) -> dict[str, Any]:
    if not probe:
        return {"HttpGet": {}, "TcpSocket": {}}
    out: dict[str, Any] = {
        "InitialDelaySeconds": probe.get("InitialDelaySeconds", 0),
        "PeriodSeconds": probe.get("PeriodSeconds", 10),
        "TimeoutSeconds": probe.get("TimeoutSeconds", 1),
        "SuccessThreshold": probe.get("SuccessThreshold", 1),
        "FailureThreshold": probe.get("FailureThreshold", 3),
        "HttpGet": dict(probe.get("HttpGet", {})),
        "TcpSocket": dict(probe.get("TcpSocket", {})),
    }
    if "Exec" in probe:
        out["Execs"] = list(probe["Exec"].get("Command", []))
    return out


def _env(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for env in items:
        if "FieldRef" in env:
            out.append(
                {"Key": env["Key"], "ValueFrom": {"FieldRef": {"FieldPath": env["FieldRef"]["FieldPath"]}}}
            )
        else:
            out.append({"Key": env["Key"], "Value": env.get("Value", "")})
    if not any(e["Key"] == "PATH" for e in out):
        out.append({"Key": "PATH", "Value": IMAGE_PATH})
    return out


def container(c: dict[str, Any], init: bool = False) -> dict[str, Any]:
    """The Describe entry of one container, without runtime state."""
    out: dict[str, Any] = {
        "Name": c["Name"],
        "Image": c["Image"],
        "Cpu": float(c.get("Cpu", 0.0)),
        "Memory": float(c.get("Memory", 0.0)),
        "Gpu": int(c.get("Gpu", 0)),
        "ImagePullPolicy": c.get("ImagePullPolicy", "IfNotPresent"),
        ("Command" if init else "Commands"): list(c.get("Command", [])),
        "Args": list(c.get("Arg", [])),
        "EnvironmentVars": [] if c.get("EnvironmentVarHide") else _env(c.get("EnvironmentVar", [])),
        "Ports": [{k: p[k] for k in ("Port", "Protocol") if k in p} for p in c.get("Port", [])],
        "VolumeMounts": [
            {
                "Name": m["Name"],
                "MountPath": m["MountPath"],
                "ReadOnly": m.get("ReadOnly", False),
                **({"SubPath": m["SubPath"]} if "SubPath" in m and not init else {}),
                **({"MountPropagation": m["MountPropagation"]} if "MountPropagation" in m else {}),
            }
            for m in c.get("VolumeMount", [])
        ],
    }
    if "WorkingDir" in c:
        out["WorkingDir"] = c["WorkingDir"]
    security = c.get("SecurityContext")
    if security is not None:
        rendered: dict[str, Any] = {}
        if "Capability" in security:
            rendered["Capability"] = {"Adds": list(security["Capability"].get("Add", []))}
        for key in ("ReadOnlyRootFilesystem", "RunAsUser"):
            if key in security:
                rendered[key] = security[key]
        out["SecurityContext"] = rendered
    if not init:
        out["Stdin"] = c.get("Stdin", False)
        out["StdinOnce"] = c.get("StdinOnce", False)
        out["Tty"] = c.get("Tty", False)
        out["LivenessProbe"] = _probe(c.get("LivenessProbe"))
        out["ReadinessProbe"] = _probe(c.get("ReadinessProbe"))
    return out


def volume(v: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": v["Name"], "Type": v["Type"]}
    nfs = v.get("NFSVolume")
    if nfs is not None:
        out.update(
            NFSVolumeServer=nfs.get("Server", ""),
            NFSVolumePath=nfs.get("Path", ""),
            NFSVolumeReadOnly=nfs.get("ReadOnly", False),
        )
    config = v.get("ConfigFileVolume")
    if config is not None:
        out["ConfigFileVolumeConfigFileToPaths"] = [
            {"Path": f["Path"], "Content": f.get("Content", "")} for f in config.get("ConfigFileToPath", [])
        ]
    if v["Type"] == "EmptyDirVolume":
        empty = v.get("EmptyDirVolume", {})
        out["EmptyDirVolumeMedium"] = empty.get("Medium", "")
        if "SizeLimit" in empty:
            out["EmptyDirVolumeSizeLimit"] = empty["SizeLimit"]
    flex = v.get("FlexVolume")
    if flex is not None:
        for key in ("Driver", "FsType", "Options"):
            if key in flex:
                out[f"FlexVolume{key}"] = flex[key]
    disk = v.get("DiskVolume")
    if disk is not None:
        for key in ("DiskId", "FsType"):
            if key in disk:
                out[f"DiskVolume{key}"] = disk[key]
    return out


def tags(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in items]


def dns_config(dns: dict[str, Any] | None) -> dict[str, Any]:
    if not dns:
        return {}
    return {
        "NameServers": list(dns.get("NameServer", [])),
        "Searches": list(dns.get("Search", [])),
        "Options": [
            {"Name": o["Name"], **({"Value": o["Value"]} if "Value" in o else {})}
            for o in dns.get("Option", [])
        ],
    }


def without_runtime(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k not in RUNTIME_KEYS} for c in containers]
