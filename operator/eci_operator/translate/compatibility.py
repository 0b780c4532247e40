# ruff: noqa: E501  (the table reads best one field per line)
"""Every core/v1 Pod-spec field, and what the operator does with it on ECI.

One table serves three purposes: ``unmodelled_fields`` uses it to name and explain each field the
models keep but do not map (refused unless ``spec.unenforceableFields: Ignore``); the documentation's
compatibility table (``docs/pod-compatibility.md``) is generated from it; and a test checks it
against the models, so a field is documented as mapped exactly when it is modelled.

Field paths are relative to the Pod spec: ``containers[].securityContext.capabilities.drop``. An
``initContainers[]`` field falls back to the ``containers[]`` entry unless it has its own. The table
lists the fields of k8s.io/api v0.36 (Kubernetes 1.36).

Support levels:
- ``mapped``: sent to ECI as the ECI parameter named (or resolved by the operator);
- ``satisfied``: accepted without a parameter because ECI already behaves that way (each says why);
- ``unenforceable``: ECI has no way to honour it; refused, or ignored on request (some values are
  accepted because they ask for what ECI does anyway, e.g. ``hostNetwork: false``);
- ``refused``: never accepted, even on request: ignoring it would change what the Pod does in a way
  no one would expect (or the operator has a field of its own for it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from eci_operator.api.base import PodModel


class Support(StrEnum):
    MAPPED = "mapped"
    SATISFIED = "satisfied"
    UNENFORCEABLE = "unenforceable"
    REFUSED = "refused"


@dataclass(frozen=True)
class Field:
    """One Pod-spec field: how far ECI honours it, and how (or why not)."""

    path: str
    support: Support
    how: str
    accepted: Callable[[Any], bool] | None = None
    """For an unenforceable field: the values accepted anyway (they ask for what ECI does)."""
    accepted_when: str = ""
    """The accepted values, in words (for the documentation)."""


M, S, U, R = Support.MAPPED, Support.SATISFIED, Support.UNENFORCEABLE, Support.REFUSED
CREATE_ONLY = "; set when the instance is created, a change replaces the instance"
EMPTY_DIR = "ECI cannot mount it: with Ignore, the volume is an empty directory instead"


def _is(value: Any) -> Callable[[Any], bool]:
    return lambda v: v == value


def _probe_fields(probe: str) -> list[Field]:
    p = f"containers[].{probe}"
    kind = "LivenessProbe" if probe == "livenessProbe" else "ReadinessProbe"
    return [
        Field(p, M, f"{kind}"),
        Field(f"{p}.exec", M, f"{kind}.Exec.Command.N"),
        Field(f"{p}.httpGet", M, f"{kind}.HttpGet (path, port, scheme)"),
        Field(f"{p}.httpGet.path", M, f"{kind}.HttpGet.Path"),
        Field(f"{p}.httpGet.port", M, f"{kind}.HttpGet.Port (a port name is resolved to its number)"),
        Field(f"{p}.httpGet.scheme", M, f"{kind}.HttpGet.Scheme"),
        Field(f"{p}.httpGet.host", U, "ECI probes the instance's own address; there is no Host parameter"),
        Field(f"{p}.httpGet.httpHeaders", U, "ECI's HTTP probe sends no custom headers"),
        Field(f"{p}.tcpSocket", M, f"{kind}.TcpSocket.Port"),
        Field(f"{p}.tcpSocket.port", M, f"{kind}.TcpSocket.Port (a port name is resolved to its number)"),
        Field(f"{p}.tcpSocket.host", U, "ECI probes the instance's own address; there is no Host parameter"),
        Field(f"{p}.grpc", U, "ECI has no gRPC probe: with Ignore, the probe is left out"),
        *(
            Field(f"{p}.{t}", M, f"{kind}.{t[0].upper()}{t[1:]}")
            for t in (
                "initialDelaySeconds",
                "timeoutSeconds",
                "periodSeconds",
                "successThreshold",
                "failureThreshold",
            )
        ),
        Field(f"{p}.terminationGracePeriodSeconds", U, "ECI has no per-probe grace period"),
    ]


def _hook_fields(hook: str) -> list[Field]:
    p = f"containers[].lifecycle.{hook}"
    name = "PostStart" if hook == "postStart" else "PreStop"
    return [
        Field(p, M, f"Lifecycle{name}Handler*"),
        Field(f"{p}.exec", M, f"Lifecycle{name}HandlerExec.N"),
        Field(f"{p}.httpGet", M, f"Lifecycle{name}HandlerHttpGet* (path, port, host, scheme, httpHeaders)"),
        Field(f"{p}.httpGet.path", M, f"Lifecycle{name}HandlerHttpGetPath"),
        Field(f"{p}.httpGet.port", M, f"Lifecycle{name}HandlerHttpGetPort (a port name is resolved)"),
        Field(f"{p}.httpGet.host", M, f"Lifecycle{name}HandlerHttpGetHost"),
        Field(f"{p}.httpGet.scheme", M, f"Lifecycle{name}HandlerHttpGetScheme"),
        Field(f"{p}.httpGet.httpHeaders", M, f"Lifecycle{name}HandlerHttpGetHttpHeader(s).N"),
        Field(f"{p}.tcpSocket", M, f"Lifecycle{name}HandlerTcpSocket* (port, host)"),
        Field(f"{p}.tcpSocket.port", M, f"Lifecycle{name}HandlerTcpSocketPort"),
        Field(f"{p}.tcpSocket.host", M, f"Lifecycle{name}HandlerTcpSocketHost"),
        Field(
            f"{p}.sleep",
            U,
            "ECI hooks run exec, httpGet or tcpSocket only: with Ignore, the hook is left out",
        ),
    ]


_UNMOUNTABLE = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "iscsi", "glusterfs",
    "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
    "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)  # fmt: skip
_VOLUME_REASONS = {
    "hostPath": "an ECI instance has no host directories to share (ECI's HostPathVolume is not open)",
    "persistentVolumeClaim": "ECI cannot attach Kubernetes persistent volume claims",
    "downwardAPI": "the operator does not write downward API files",
    "projected": "the operator does not combine projected sources into one volume",
    "csi": "ECI runs no CSI drivers",
    "ephemeral": "ECI cannot provision Kubernetes generic ephemeral volumes",
    "image": "ECI cannot mount an image as a volume",
    "flexVolume": "Kubernetes FlexVolume drivers do not run on ECI",
}


def _volume_fields() -> list[Field]:
    out = [
        Field("volumes", M, "Volume.N"),
        Field("volumes[].name", M, "Volume.N.Name"),
        Field("volumes[].emptyDir", M, "Type EmptyDirVolume"),
        Field("volumes[].emptyDir.medium", M, 'EmptyDirVolume.Medium ("", Memory, LocalRaid0)'),
        Field("volumes[].emptyDir.sizeLimit", M, "EmptyDirVolume.SizeLimit"),
        Field("volumes[].nfs", M, "Type NFSVolume"),
        Field("volumes[].nfs.server", M, "NFSVolume.Server"),
        Field("volumes[].nfs.path", M, "NFSVolume.Path"),
        Field("volumes[].nfs.readOnly", M, "NFSVolume.ReadOnly"),
    ]
    for source, ref in (("configMap", "name"), ("secret", "secretName")):
        p = f"volumes[].{source}"
        out += [
            Field(p, M, "Type ConfigFileVolume: one file per key, at most 15 files, each at most 32 KB base64-encoded, 60 KB in all"),
            Field(f"{p}.{ref}", M, "resolved by the operator (its data is sent as file contents)"),
            Field(f"{p}.items", M, "ConfigFileToPath.N (only these keys, at these paths)"),
            Field(f"{p}.items[].key", M, "the key whose value becomes ConfigFileToPath.N.Content"),
            Field(f"{p}.items[].path", M, "ConfigFileToPath.N.Path"),
            Field(f"{p}.items[].mode", M, "ConfigFileToPath.N.Mode (four octal digits)" + CREATE_ONLY),
            Field(f"{p}.defaultMode", M, "ConfigFileVolume.DefaultMode (four octal digits)" + CREATE_ONLY),
            Field(f"{p}.optional", M, "missing keys are left out; a missing object still fails (ECI cannot create an empty config-file volume)"),
        ]  # fmt: skip
    out += [
        Field(f"volumes[].{v}", U, f"{_VOLUME_REASONS.get(v, 'ECI cannot mount it')}. {EMPTY_DIR}")
        for v in _UNMOUNTABLE
    ]
    return out


def _container_fields() -> list[Field]:
    c = "containers[]"
    return [
        Field("containers", M, "Container.N"),
        Field(f"{c}.name", M, "Name"),
        Field(f"{c}.image", M, "Image"),
        Field(f"{c}.command", M, "Command.N ($(VAR) expanded by the operator as the kubelet does)"),
        Field(f"{c}.args", M, "Arg.N ($(VAR) expanded by the operator as the kubelet does)"),
        Field(f"{c}.workingDir", M, "WorkingDir"),
        Field(f"{c}.ports", M, "Port.N"),
        Field(f"{c}.ports[].name", M, "not sent; probes and hooks may name the port"),
        Field(f"{c}.ports[].containerPort", M, "Port.N.Port"),
        Field(f"{c}.ports[].protocol", M, "Port.N.Protocol (TCP, UDP; ECI has no SCTP)"),
        Field(f"{c}.ports[].hostPort", M, "accepted equal to containerPort (the instance's own IP is its host's); any other value is unenforceable"),
        Field(f"{c}.ports[].hostIP", U, "the instance has one IP, its own"),
        Field(f"{c}.envFrom", M, "every key becomes an EnvironmentVar.N, resolved by the operator (keys ECI cannot name a variable are unenforceable)"),
        Field(f"{c}.envFrom[].prefix", M, "prepended to each key"),
        Field(f"{c}.envFrom[].configMapRef", M, "the ConfigMap's data"),
        Field(f"{c}.envFrom[].secretRef", M, "the Secret's data (values never shown)"),
        Field(f"{c}.env", M, "EnvironmentVar.N ($(VAR) expanded by the operator as the kubelet does)"),
        Field(f"{c}.env[].name", M, "EnvironmentVar.N.Key"),
        Field(f"{c}.env[].value", M, "EnvironmentVar.N.Value (at most 256 characters)"),
        Field(f"{c}.env[].valueFrom.fieldRef", M, "status.podIP → FieldRef.FieldPath; metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'] → the ContainerGroup's value; other paths (spec.nodeName, status.hostIP, spec.serviceAccountName...) are unenforceable"),
        Field(f"{c}.env[].valueFrom.resourceFieldRef", M, "the container's cpu, memory or ephemeral-storage request or limit, resolved by the operator"),
        Field(f"{c}.env[].valueFrom.configMapKeyRef", M, "the key's value, resolved by the operator"),
        Field(f"{c}.env[].valueFrom.secretKeyRef", M, "the key's value, resolved by the operator (never shown)"),
        Field(f"{c}.env[].valueFrom.fileKeyRef", U, "there is no node-local file to read: with Ignore, the variable is left out"),
        Field(f"{c}.resources", M, "Cpu, Memory, Gpu: the limit, else the request (ECI gives a container one size, its upper bound)"),
        Field(f"{c}.resources.limits", M, "cpu → Cpu, memory → Memory, nvidia.com/gpu → Gpu, ephemeral-storage → the instance's EphemeralStorage; other resources are unenforceable"),
        Field(f"{c}.resources.requests", M, "used where no limit is set; ephemeral-storage requests are summed and what exceeds 30 GiB is sent as EphemeralStorage"),
        Field(f"{c}.resources.claims", U, "ECI has no dynamic resource allocation"),
        Field(f"{c}.resizePolicy", U, "ECI resizes containers only by updating them, which restarts the instance"),
        Field(f"{c}.restartPolicy", U, "ECI restarts containers by the instance's restartPolicy only"),
        Field(f"{c}.restartPolicyRules", U, "ECI restarts containers by the instance's restartPolicy only"),
        Field(f"{c}.volumeMounts", M, "VolumeMount.N"),
        Field(f"{c}.volumeMounts[].name", M, "VolumeMount.N.Name"),
        Field(f"{c}.volumeMounts[].mountPath", M, "VolumeMount.N.MountPath"),
        Field(f"{c}.volumeMounts[].subPath", M, "VolumeMount.N.SubPath"),
        Field(f"{c}.volumeMounts[].subPathExpr", M, "VolumeMount.N.SubPath, $(VAR) expanded by the operator"),
        Field(f"{c}.volumeMounts[].readOnly", M, "VolumeMount.N.ReadOnly"),
        Field(f"{c}.volumeMounts[].mountPropagation", M, "VolumeMount.N.MountPropagation"),
        Field(f"{c}.volumeMounts[].recursiveReadOnly", U, "ECI has no recursive read-only mounts", _is("Disabled"), "Disabled"),
        Field(f"{c}.volumeDevices", U, "ECI attaches no raw block devices"),
        *_probe_fields("livenessProbe"),
        *_probe_fields("readinessProbe"),
        Field(f"{c}.startupProbe", U, "ECI has no startup probe: with Ignore, it is left out (a liveness probe then runs from the start)"),
        Field(f"{c}.lifecycle", M, "Lifecycle*Handler* parameters (ECI does not report them; the operator compares what it last sent)"),
        *_hook_fields("postStart"),
        *_hook_fields("preStop"),
        Field(f"{c}.lifecycle.stopSignal", U, "ECI stops containers with its own signal"),
        Field(f"{c}.terminationMessagePath", M, "TerminationMessagePath" + CREATE_ONLY + " (/dev/termination-log, the default, sends nothing)"),
        Field(f"{c}.terminationMessagePolicy", M, "TerminationMessagePolicy" + CREATE_ONLY + " (File, the default, sends nothing)"),
        Field(f"{c}.imagePullPolicy", M, "ImagePullPolicy"),
        Field(f"{c}.securityContext", M, "a container's setting wins over the pod's"),
        Field(f"{c}.securityContext.capabilities", M, "SecurityContext.Capability"),
        Field(f"{c}.securityContext.capabilities.add", M, "SecurityContext.Capability.Add.N: NET_ADMIN and NET_RAW; ECI grants no other capability (unenforceable)"),
        Field(f"{c}.securityContext.capabilities.drop", U, "ECI cannot remove capabilities from a container"),
        Field(f"{c}.securityContext.privileged", M, "SecurityContextPrivileged" + CREATE_ONLY + " (false, the default, sends nothing)"),
        Field(f"{c}.securityContext.seLinuxOptions", U, "ECI applies no SELinux labels"),
        Field(f"{c}.securityContext.windowsOptions", U, "the operator creates Linux instances"),
        Field(f"{c}.securityContext.runAsUser", M, "SecurityContext.RunAsUser"),
        Field(f"{c}.securityContext.runAsGroup", M, "SecurityContextRunAsGroup" + CREATE_ONLY),
        Field(f"{c}.securityContext.runAsNonRoot", M, "satisfied by a non-zero runAsUser; otherwise SecurityContextRunAsNonRoot" + CREATE_ONLY),
        Field(f"{c}.securityContext.readOnlyRootFilesystem", M, "SecurityContext.ReadOnlyRootFilesystem (false, the default, sends nothing)"),
        Field(f"{c}.securityContext.allowPrivilegeEscalation", U, "ECI cannot set no_new_privs on a container", _is(True), "true (Linux's default)"),
        Field(f"{c}.securityContext.procMount", U, "ECI has no proc mount options", _is("Default"), "Default"),
        Field(f"{c}.securityContext.seccompProfile", U, "ECI applies no seccomp profile of the manifest's"),
        Field(f"{c}.securityContext.appArmorProfile", U, "ECI applies no AppArmor profile"),
        Field(f"{c}.stdin", M, "Stdin"),
        Field(f"{c}.stdinOnce", M, "StdinOnce"),
        Field(f"{c}.tty", M, "Tty"),
        Field("initContainers", M, "InitContainer.N (run to completion, in order; the fields are those of containers[] without probes and hooks)"),
        Field("initContainers[].stdin", U, "CreateContainerGroup has no Stdin for init containers", _is(False), "false"),
        Field("initContainers[].stdinOnce", U, "CreateContainerGroup has no StdinOnce for init containers", _is(False), "false"),
        Field("initContainers[].tty", U, "CreateContainerGroup has no Tty for init containers", _is(False), "false"),
        Field("initContainers[].restartPolicy", R, "a sidecar would keep ECI from ever starting the containers (ECI runs init containers to completion); declare it in containers"),
        Field("initContainers[].lifecycle", U, "ECI runs no hooks for init containers"),
        Field("initContainers[].livenessProbe", U, "ECI probes no init containers"),
        Field("initContainers[].readinessProbe", U, "ECI probes no init containers"),
    ]  # fmt: skip


def _pod_fields() -> list[Field]:
    sc = "securityContext"
    return [
        Field("ephemeralContainers", U, "ECI cannot add containers to a running instance"),
        Field("restartPolicy", M, "RestartPolicy"),
        Field("terminationGracePeriodSeconds", M, "TerminationGracePeriodSeconds" + CREATE_ONLY),
        Field("activeDeadlineSeconds", M, "ActiveDeadlineSeconds" + CREATE_ONLY),
        Field("dnsPolicy", M, "Default and None → DnsPolicy" + CREATE_ONLY + "; ClusterFirst and ClusterFirstWithHostNet are unenforceable (ECI has no cluster DNS; the instance uses the VPC's resolver)"),
        Field("nodeSelector", M, "kubernetes.io/os: linux holds (ECI runs Linux); kubernetes.io/arch: amd64/arm64 → CpuArchitecture" + CREATE_ONLY + "; other labels are unenforceable (no nodes)"),
        Field("serviceAccountName", U, "ECI instances get no Kubernetes service account or token"),
        Field("serviceAccount", U, "ECI instances get no Kubernetes service account or token"),
        Field("automountServiceAccountToken", U, "ECI mounts no service account token", _is(False), "false"),
        Field("nodeName", U, "there are no nodes to run on"),
        Field("hostNetwork", U, "every instance has its own network namespace and ENI", _is(False), "false"),
        Field("hostPID", U, "every instance has its own PID namespace", _is(False), "false"),
        Field("hostIPC", U, "every instance has its own IPC namespace", _is(False), "false"),
        Field("shareProcessNamespace", M, "ShareProcessNamespace" + CREATE_ONLY),
        Field(sc, M, "runAsUser, runAsGroup, runAsNonRoot are the containers' defaults; sysctls are the instance's"),
        Field(f"{sc}.runAsUser", M, "each container's SecurityContext.RunAsUser unless it sets its own"),
        Field(f"{sc}.runAsGroup", M, "each container's SecurityContextRunAsGroup unless it sets its own" + CREATE_ONLY),
        Field(f"{sc}.runAsNonRoot", M, "each container's runAsNonRoot unless it sets its own"),
        Field(f"{sc}.sysctls", M, "SecurityContext.Sysctl.N (net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start) or HostSecurityContext.Sysctl.N (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*, vm.min_free_kbytes, as ECI lists them)" + CREATE_ONLY + "; other names are unenforceable"),
        Field(f"{sc}.seLinuxOptions", U, "ECI applies no SELinux labels"),
        Field(f"{sc}.windowsOptions", U, "the operator creates Linux instances"),
        Field(f"{sc}.supplementalGroups", U, "ECI sets no supplementary groups"),
        Field(f"{sc}.supplementalGroupsPolicy", U, "ECI sets no supplementary groups"),
        Field(f"{sc}.fsGroup", U, "ECI does not change the ownership of volumes"),
        Field(f"{sc}.fsGroupChangePolicy", U, "ECI does not change the ownership of volumes"),
        Field(f"{sc}.seccompProfile", U, "ECI applies no seccomp profile of the manifest's"),
        Field(f"{sc}.appArmorProfile", U, "ECI applies no AppArmor profile"),
        Field(f"{sc}.seLinuxChangePolicy", U, "ECI applies no SELinux labels"),
        Field("imagePullSecrets", M, "ImageRegistryCredential.N, resolved from the Secrets (passwords never shown)"),
        Field("hostname", M, "HostName" + CREATE_ONLY),
        Field("subdomain", U, "there is no cluster DNS to publish the name in"),
        Field("affinity", U, "ECI places each instance itself; there are no nodes or co-scheduled Pods to be near or away from"),
        Field("schedulerName", U, "ECI places each instance itself", _is("default-scheduler"), "default-scheduler"),
        Field("tolerations", S, "a toleration only allows scheduling onto nodes with matching taints; ECI has no taints, so every toleration holds"),
        Field("hostAliases", M, "HostAliase.N" + CREATE_ONLY),
        Field("priorityClassName", U, "ECI has no scheduling queue or preemption"),
        Field("priority", U, "ECI has no scheduling queue or preemption"),
        Field("preemptionPolicy", U, "ECI has no scheduling queue or preemption"),
        Field("dnsConfig", M, "DnsConfig (nameservers, searches, options)"),
        Field("readinessGates", U, "ECI has no Pod conditions to gate on"),
        Field("runtimeClassName", U, "ECI runs its own sandbox runtime"),
        Field("enableServiceLinks", U, "ECI injects no Kubernetes service variables", _is(False), "false"),
        Field("overhead", U, "ECI bills its own overhead"),
        Field("topologySpreadConstraints", U, "there is no node topology to spread over (vSwitchId picks zones)"),
        Field("setHostnameAsFQDN", U, "there is no cluster domain", _is(False), "false"),
        Field("os", U, "the operator creates Linux instances", lambda v: isinstance(v, dict) and v.get("name") == "linux", "name: linux"),
        Field("hostUsers", U, "ECI does not map user namespaces", _is(True), "true (the default)"),
        Field("schedulingGates", U, "there is no scheduler to hold the instance back"),
        Field("resourceClaims", U, "ECI has no dynamic resource allocation"),
        Field("resources", R, "set the instance's size with spec.cpu and spec.memory"),
        Field("hostnameOverride", R, "set the instance's host name with spec.hostname"),
        Field("schedulingGroup", U, "ECI schedules each instance on its own"),
        Field("hostAliases[].ip", M, "HostAliase.N.Ip"),
        Field("hostAliases[].hostnames", M, "HostAliase.N.Hostname.N"),
        Field("dnsConfig.nameservers", M, "DnsConfig.NameServer.N"),
        Field("dnsConfig.searches", M, "DnsConfig.Search.N"),
        Field("dnsConfig.options", M, "DnsConfig.Option.N"),
    ]  # fmt: skip


FIELDS: tuple[Field, ...] = (*_pod_fields(), *_container_fields(), *_volume_fields())
_BY_PATH = {f.path: f for f in FIELDS}


def pattern(path: str) -> str:
    """``spec.containers[2].env[0].valueFrom`` → ``containers[].env[].valueFrom``."""
    out = path.removeprefix("spec.")
    while "[" in out:
        start = out.index("[")
        end = out.index("]", start)
        out = out[:start] + "\0" + out[end + 1 :]
    return out.replace("\0", "[]")


def lookup(path: str) -> Field | None:
    """The table entry of a manifest path (an init container's falls back to the container's)."""
    key = pattern(path)
    found = _BY_PATH.get(key)
    if found is None and key.startswith("initContainers[]"):
        found = _BY_PATH.get("containers[]" + key.removeprefix("initContainers[]"))
    return found


def unmodelled_fields(model: BaseModel, path: str = "spec") -> Iterator[tuple[str, Any]]:
    """Every field the Pod-spec models kept without modelling it: (manifest path, value)."""
    if isinstance(model, PodModel):
        for key, value in (model.model_extra or {}).items():
            yield f"{path}.{key}", value
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
        if isinstance(value, BaseModel):
            yield from unmodelled_fields(value, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from unmodelled_fields(item, f"{path}.{key}[{i}]")


_SECTIONS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("Pod spec", lambda p: not p.startswith(("containers", "initContainers", "volumes", "securityContext"))),
    ("Pod securityContext", lambda p: p.startswith("securityContext")),
    ("Containers (and init containers)", lambda p: p.startswith("containers") and not _probe_or_hook(p)),
    ("Probes", lambda p: ".livenessProbe" in p or ".readinessProbe" in p),
    ("Lifecycle hooks", lambda p: ".lifecycle" in p),
    ("Init containers (where they differ)", lambda p: p.startswith("initContainers")),
    ("Volumes", lambda p: p.startswith("volumes")),
)


def _probe_or_hook(path: str) -> bool:
    return any(part in path for part in (".livenessProbe", ".readinessProbe", ".lifecycle"))


def markdown() -> str:
    """The compatibility table of ``docs/pod-compatibility.md``: every field, section by section."""
    out: list[str] = []
    done: set[str] = set()
    for title, belongs in _SECTIONS:
        rows = [f for f in FIELDS if f.path not in done and belongs(f.path)]
        done.update(f.path for f in rows)
        out += [f"### {title}", "", "| field | support | on ECI |", "| --- | --- | --- |"]
        for f in rows:
            support = f.support.value + (f" (accepted: {f.accepted_when})" if f.accepted_when else "")
            out.append(f"| `{f.path}` | {support} | {f.how.replace('|', '/')} |")
        out.append("")
    missing = [f.path for f in FIELDS if f.path not in done]
    if missing:  # pragma: no cover - a new field needs a section
        raise AssertionError(f"fields without a section: {missing}")
    return "\n".join(out)
