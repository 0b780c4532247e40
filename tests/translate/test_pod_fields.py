# ruff: noqa: E501  (the tables read best one case per line)
"""The Pod-spec fields ECI can honour: for each, the ECI parameters it becomes and what a change costs.

The plan cases start from an instance created from ``BASE`` (Describe written the way ECI answers,
with the fingerprints recorded at creation) and change one field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from eci_operator.eci.flatten import flatten
from eci_operator.translate import (
    Desired,
    Impact,
    TranslationError,
    fingerprints,
    parse_group,
    plan,
    translate,
)
from tests.translate.describe import describe
from tests.translate.helpers import change_of, config_map, manifest, refs, secret

C = "Container.1."
Patch = Callable[[dict[str, Any]], Any]
REFS = refs(
    config_map("app", {"MODE": "prod", "conf.ini": "a=1"}),
    config_map("env", {"MODE": "prod", "LEVEL": "debug"}),
    config_map("mixed", {"GOOD": "1", "bad.key": "x"}),
    secret("db", {"USER": "app", "PASSWORD": "pw-123"}),
)
META = {"labels": {"app": "web", "tier": "front"}, "annotations": {"owner": "team-a"}}


def build(patch: Patch, *, ignore: bool = False) -> Desired:
    m = manifest(patch)
    m["metadata"].update(copy.deepcopy(META))
    if ignore:
        m["spec"]["unenforceableFields"] = "Ignore"
    return translate(parse_group(m), REFS)


def c0(**fields: Any) -> Patch:
    return lambda s: s["containers"][0].update(fields)


def hook(**handler: Any) -> dict[str, Any]:
    return {"preStop": handler}


MAPPINGS: list[tuple[str, Patch, dict[str, str]]] = [
    ("requests differing from limits: the limit", c0(resources={"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": 1, "memory": "1Gi"}}), {C + "Cpu": "1", C + "Memory": "1"}),
    ("cpu as a YAML number", c0(resources={"limits": {"cpu": 0.5}}), {C + "Cpu": "0.5"}),
    ("ephemeral storage beyond the included 30 GiB", c0(resources={"requests": {"ephemeral-storage": "50Gi"}}), {"EphemeralStorage": "20"}),
    ("ephemeral storage within the included 30 GiB sends nothing", c0(resources={"requests": {"ephemeral-storage": "20Gi"}}), {}),
    ("preStop exec", c0(lifecycle=hook(exec={"command": ["nginx", "-s", "quit"]})), {C + "LifecyclePreStopHandlerExec.1": "nginx", C + "LifecyclePreStopHandlerExec.3": "quit"}),
    ("postStart httpGet with a named port and headers", c0(ports=[{"containerPort": 8080, "name": "http"}], lifecycle={"postStart": {"httpGet": {"path": "/warm", "port": "http", "host": "127.0.0.1", "scheme": "HTTPS", "httpHeaders": [{"name": "X-A", "value": "1"}]}}}),
     {C + "LifecyclePostStartHandlerHttpGetPath": "/warm", C + "LifecyclePostStartHandlerHttpGetPort": "8080", C + "LifecyclePostStartHandlerHttpGetHost": "127.0.0.1", C + "LifecyclePostStartHandlerHttpGetScheme": "HTTPS", C + "LifecyclePostStartHandlerHttpGetHttpHeader.1.Name": "X-A", C + "LifecyclePostStartHandlerHttpGetHttpHeader.1.Value": "1"}),
    ("preStop tcpSocket", c0(lifecycle=hook(tcpSocket={"port": 9000, "host": "localhost"})), {C + "LifecyclePreStopHandlerTcpSocketPort": "9000", C + "LifecyclePreStopHandlerTcpSocketHost": "localhost"}),
    ("envFrom ConfigMap with a prefix", c0(envFrom=[{"configMapRef": {"name": "env"}, "prefix": "APP_"}]), {C + "EnvironmentVar.1.Key": "APP_LEVEL", C + "EnvironmentVar.2.Key": "APP_MODE", C + "EnvironmentVar.2.Value": "prod"}),
    ("envFrom Secret, env wins over it", c0(envFrom=[{"secretRef": {"name": "db"}}], env=[{"name": "USER", "value": "override"}]), {C + "EnvironmentVar.1.Key": "PASSWORD", C + "EnvironmentVar.2.Key": "USER", C + "EnvironmentVar.2.Value": "override"}),
    ("envFrom an optional missing Secret adds nothing", c0(envFrom=[{"secretRef": {"name": "absent", "optional": True}}]), {}),
    ("fieldRef metadata.name and namespace", c0(env=[{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}, {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]), {C + "EnvironmentVar.1.Value": "web", C + "EnvironmentVar.2.Value": "shop"}),
    ("fieldRef metadata.uid", c0(env=[{"name": "U", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}]), {C + "EnvironmentVar.1.Value": "0f1e2d3c"}),
    ("fieldRef a label and an annotation", c0(env=[{"name": "L", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}}, {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['owner']"}}}, {"name": "M", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['missing']"}}}]),
     {C + "EnvironmentVar.1.Value": "front", C + "EnvironmentVar.2.Value": "team-a", C + "EnvironmentVar.3.Value": ""}),
    ("resourceFieldRef as the kubelet rounds", c0(resources={"requests": {"cpu": "250m", "memory": "100Mi"}, "limits": {"cpu": "1500m", "memory": "1Gi"}}, env=[
        {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        {"name": "CPU_M", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
        {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
        {"name": "REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory"}}}]),
     {C + "EnvironmentVar.1.Value": "2", C + "EnvironmentVar.2.Value": "250", C + "EnvironmentVar.3.Value": "1024", C + "EnvironmentVar.4.Value": str(100 * 2**20)}),
    ("$(VAR) in env, command and args as the kubelet expands it", c0(env=[{"name": "HOST", "value": "db"}, {"name": "URL", "value": "pg://$(HOST):5432/$(NOPE)"}, {"name": "LIT", "value": "$$(HOST)"}], command=["run", "--url=$(URL)"], args=["$(HOST)", "$$(HOST)"]),
     {C + "EnvironmentVar.2.Value": "pg://db:5432/$(NOPE)", C + "EnvironmentVar.3.Value": "$(HOST)", C + "Command.2": "--url=pg://db:5432/$(NOPE)", C + "Arg.1": "db", C + "Arg.2": "$(HOST)"}),
    ("subPathExpr expanded", lambda s: (s.update(volumes=[{"name": "d", "emptyDir": {}}]), c0(env=[{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}], volumeMounts=[{"name": "d", "mountPath": "/logs", "subPathExpr": "logs/$(POD)"}])(s)),
     {C + "VolumeMount.1.SubPath": "logs/web"}),
    ("pod securityContext pushed down, the container's own wins", lambda s: (s.update(securityContext={"runAsUser": 1000, "runAsGroup": 3000}), s["containers"].append({"name": "b", "image": "x", "securityContext": {"runAsUser": 2000}})),
     {C + "SecurityContext.RunAsUser": "1000", C + "SecurityContextRunAsGroup": "3000", "Container.2.SecurityContext.RunAsUser": "2000", "Container.2.SecurityContextRunAsGroup": "3000"}),
    ("runAsNonRoot held by a non-zero runAsUser: nothing sent", c0(securityContext={"runAsNonRoot": True, "runAsUser": 10001}), {C + "SecurityContext.RunAsUser": "10001"}),
    ("runAsNonRoot without runAsUser: ECI checks it", c0(securityContext={"runAsNonRoot": True}), {C + "SecurityContextRunAsNonRoot": "true"}),
    ("privileged true", c0(securityContext={"privileged": True}), {C + "SecurityContextPrivileged": "true"}),
    ("privileged false and readOnlyRootFilesystem false: the defaults, nothing sent", c0(securityContext={"privileged": False, "readOnlyRootFilesystem": False}), {}),
    ("capabilities NET_ADMIN", c0(securityContext={"capabilities": {"add": ["NET_ADMIN"]}}), {C + "SecurityContext.Capability.Add.1": "NET_ADMIN"}),
    ("sysctls: safe and host", lambda s: s.update(securityContext={"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"}, {"name": "net.core.somaxconn", "value": "1024"}]}),
     {"SecurityContext.Sysctl.1.Name": "net.ipv4.ping_group_range", "HostSecurityContext.Sysctl.1.Name": "net.core.somaxconn", "HostSecurityContext.Sysctl.1.Value": "1024"}),
    ("host aliases", lambda s: s.update(hostAliases=[{"ip": "10.0.0.5", "hostnames": ["db", "db.local"]}]), {"HostAliase.1.Ip": "10.0.0.5", "HostAliase.1.Hostname.2": "db.local"}),
    ("terminationGracePeriodSeconds and activeDeadlineSeconds", lambda s: s.update(terminationGracePeriodSeconds=60, activeDeadlineSeconds=3600), {"TerminationGracePeriodSeconds": "60", "ActiveDeadlineSeconds": "3600"}),
    ("dnsPolicy Default", lambda s: s.update(dnsPolicy="Default"), {"DnsPolicy": "Default"}),
    ("dnsPolicy None with a nameserver", lambda s: s.update(dnsPolicy="None", dnsConfig={"nameservers": ["10.0.0.2"]}), {"DnsPolicy": "None", "DnsConfig.NameServer.1": "10.0.0.2"}),
    ("hostname and shareProcessNamespace", lambda s: s.update(hostname="web-0", shareProcessNamespace=True), {"HostName": "web-0", "ShareProcessNamespace": "true"}),
    ("nodeSelector os linux holds, arch arm64", lambda s: s.update(nodeSelector={"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64"}), {"CpuArchitecture": "ARM64"}),
    ("nodeSelector beta labels", lambda s: s.update(nodeSelector={"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}), {"CpuArchitecture": "AMD64"}),
    ("terminationMessagePolicy FallbackToLogsOnError", c0(terminationMessagePolicy="FallbackToLogsOnError", terminationMessagePath="/tmp/term"), {C + "TerminationMessagePolicy": "FallbackToLogsOnError", C + "TerminationMessagePath": "/tmp/term"}),
    ("terminationMessage defaults send nothing", c0(terminationMessagePolicy="File", terminationMessagePath="/dev/termination-log"), {}),
    ("hostPort equal to containerPort holds", c0(ports=[{"containerPort": 80, "hostPort": 80}]), {C + "Port.1.Port": "80"}),
    ("file modes: defaultMode and an item's mode, as octal", lambda s: (s.update(volumes=[{"name": "c", "configMap": {"name": "app", "defaultMode": 420, "items": [{"key": "conf.ini", "path": "conf.ini", "mode": 0o600}]}}])),
     {"Volume.1.ConfigFileVolume.DefaultMode": "0644", "Volume.1.ConfigFileVolume.ConfigFileToPath.1.Mode": "0600"}),
    ("a volume without a source is an empty directory (as Kubernetes defaults it)", lambda s: s.update(volumes=[{"name": "scratch"}]), {"Volume.1.Type": "EmptyDirVolume"}),
    ("tolerations hold (ECI has no taints)", lambda s: s.update(tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]), {}),
    ("hostNetwork, hostPID, automountServiceAccountToken false: what ECI does", lambda s: s.update(hostNetwork=False, hostPID=False, automountServiceAccountToken=False, enableServiceLinks=False, schedulerName="default-scheduler"), {}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "patch", "expected"), MAPPINGS, ids=[m[0] for m in MAPPINGS])
def test_mapping(name: str, patch: Patch, expected: dict[str, str]) -> None:
    got = flatten(build(patch).request)
    assert {k: got.get(k) for k in expected} == expected
    if not expected:  # nothing beyond the base container is sent
        base = flatten(build(lambda s: None).request)
        assert set(got) - set(base) <= {k for k in got if k.startswith(("Container.1.Port", "Volume.1"))}


def test_envfrom_secret_values_are_sensitive_and_keys_ecis_cannot_name_are_ignored_by_name() -> None:
    desired = build(
        c0(envFrom=[{"secretRef": {"name": "db"}}, {"configMapRef": {"name": "mixed"}}]), ignore=True
    )
    assert desired.sensitive.env == {"web": frozenset({"USER", "PASSWORD"})}
    [ignored] = desired.ignored
    assert ignored.field == "spec.containers[0].envFrom[1]" and "'bad.key'" in ignored.message
    with pytest.raises(TranslationError) as err:
        build(c0(envFrom=[{"configMapRef": {"name": "mixed"}}]))
    assert "spec.unenforceableFields: Ignore" in str(err.value)


def test_a_secret_expanded_into_another_variable_stays_sensitive() -> None:
    desired = build(
        c0(
            env=[
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "PASSWORD"}}},
                {"name": "DSN", "value": "pg://app:$(PW)@db"},
            ]
        )
    )
    assert desired.sensitive.env == {"web": frozenset({"PW", "DSN"})}


def test_requests_differing_from_limits_are_noted_in_the_plan() -> None:
    desired = build(c0(resources={"requests": {"cpu": "250m"}, "limits": {"cpu": "1"}}))
    [note] = desired.notes
    assert note.startswith("spec.containers[0].resources:") and "limit (1)" in note
    rendered = plan(desired, describe(desired.request), fingerprints(desired)).render()
    assert rendered.startswith("No changes.") and f"note: {note}" in rendered


IGNORED: list[tuple[str, Patch, str, dict[str, str | None]]] = [
    ("a claim becomes an empty directory", lambda s: (s.update(volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]), c0(volumeMounts=[{"name": "d", "mountPath": "/d"}])(s)),
     "spec.volumes[0].persistentVolumeClaim", {"Volume.1.Type": "EmptyDirVolume", C + "VolumeMount.1.Name": "d"}),
    ("a gRPC probe is left out", c0(readinessProbe={"grpc": {"port": 9000}, "periodSeconds": 5}), "spec.containers[0].readinessProbe.grpc", {C + "ReadinessProbe.PeriodSeconds": None}),
    ("a probe's headers are left out, the probe kept", c0(livenessProbe={"httpGet": {"port": 80, "path": "/h", "httpHeaders": [{"name": "a", "value": "b"}]}}),
     "spec.containers[0].livenessProbe.httpGet.httpHeaders", {C + "LivenessProbe.HttpGet.Path": "/h"}),
    ("a sleep hook is left out", c0(lifecycle=hook(sleep={"seconds": 5})), "spec.containers[0].lifecycle.preStop.sleep", {C + "LifecyclePreStopHandlerExec.1": None}),
    ("a node field ref is left out", c0(env=[{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}, {"name": "A", "value": "1"}]),
     "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", {C + "EnvironmentVar.1.Key": "A"}),
    ("capabilities ECI cannot add are left out", c0(securityContext={"capabilities": {"add": ["NET_BIND_SERVICE", "NET_RAW"], "drop": ["ALL"]}}),
     "spec.containers[0].securityContext.capabilities.add[0]", {C + "SecurityContext.Capability.Add.1": "NET_RAW"}),
    ("ClusterFirst DNS runs with the VPC's resolver", lambda s: s.update(dnsPolicy="ClusterFirst"), "spec.dnsPolicy", {"DnsPolicy": None}),
    ("a hostPort other than the containerPort", c0(ports=[{"containerPort": 80, "hostPort": 8080}]), "spec.containers[0].ports[0].hostPort", {C + "Port.1.Port": "80"}),
    ("an extended resource", c0(resources={"limits": {"example.com/foo": 1, "cpu": "1"}}), "spec.containers[0].resources.limits.example.com/foo", {C + "Cpu": "1"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "patch", "field", "expected"), IGNORED, ids=[i[0] for i in IGNORED])
def test_unenforceable_fields_ignored_on_request(
    name: str, patch: Patch, field: str, expected: dict[str, str | None]
) -> None:
    with pytest.raises(TranslationError) as err:
        build(patch)
    assert field in err.value.fields
    desired = build(patch, ignore=True)
    assert field in [p.field for p in desired.ignored]
    got = flatten(desired.request)
    assert {k: got.get(k) for k in expected} == expected


# ---------------------------------------------------------------------- what a change costs

BASE_PATCH: Patch = lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "app"}}])  # noqa: E731


def plan_change(before: Patch, after: Patch) -> Any:
    def both(p: Patch) -> Patch:
        return lambda s: (BASE_PATCH(s), p(s))

    first, second = build(both(before)), build(both(after))
    return plan(second, describe(first.request), fingerprints(first))


def nothing(s: dict[str, Any]) -> None:
    return None


IMPACTS: list[tuple[str, Patch, Patch, str, Impact, str]] = [
    ("adding a preStop hook restarts", nothing, c0(lifecycle=hook(exec={"command": ["stop"]})), "Container", Impact.RESTART, ""),
    ("changing a hook restarts", c0(lifecycle=hook(exec={"command": ["stop"]})), c0(lifecycle=hook(exec={"command": ["halt"]})), "Container", Impact.RESTART, ""),
    ("removing a hook restarts", c0(lifecycle=hook(exec={"command": ["stop"]})), nothing, "Container", Impact.RESTART, ""),
    ("an env var from envFrom restarts", nothing, c0(envFrom=[{"configMapRef": {"name": "env"}, "prefix": "X_"}]), "Container", Impact.RESTART, ""),
    ("a label behind a fieldRef restarts", nothing, c0(env=[{"name": "L", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}]), "Container", Impact.RESTART, ""),
    ("runAsGroup added: create-only", nothing, c0(securityContext={"runAsGroup": 1}), "Container", Impact.REPLACE, "create-only settings of web changed"),
    ("an image change with runAsGroup: update would drop it", c0(securityContext={"runAsGroup": 1}), lambda s: (c0(securityContext={"runAsGroup": 1})(s), c0(image="nginx:1.28")(s)), "Container", Impact.REPLACE, "cannot carry the create-only settings of web"),
    ("runAsNonRoot held by runAsUser stays in place", c0(securityContext={"runAsNonRoot": True, "runAsUser": 1}), lambda s: (c0(securityContext={"runAsNonRoot": True, "runAsUser": 1})(s), c0(image="nginx:1.28")(s)), "Container", Impact.RESTART, ""),
    ("terminationMessagePolicy: create-only", nothing, c0(terminationMessagePolicy="FallbackToLogsOnError"), "Container", Impact.REPLACE, "create-only"),
    ("file modes: create-only", nothing, lambda s: s["volumes"][0]["configMap"].update(defaultMode=0o600), "Volume", Impact.REPLACE, "create-only settings of c changed"),
    ("content change of a volume with modes: update would drop them", lambda s: s["volumes"][0]["configMap"].update(defaultMode=0o600), lambda s: s["volumes"][0]["configMap"].update(defaultMode=0o600, items=[{"key": "MODE", "path": "m"}]), "Volume", Impact.REPLACE, "cannot carry"),
    ("terminationGracePeriodSeconds", nothing, lambda s: s.update(terminationGracePeriodSeconds=5), "TerminationGracePeriodSeconds", Impact.REPLACE, "only CreateContainerGroup sets it"),
    ("activeDeadlineSeconds", nothing, lambda s: s.update(activeDeadlineSeconds=5), "ActiveDeadlineSeconds", Impact.REPLACE, "only CreateContainerGroup"),
    ("dnsPolicy", nothing, lambda s: s.update(dnsPolicy="Default"), "DnsPolicy", Impact.REPLACE, "only CreateContainerGroup"),
    ("hostname", nothing, lambda s: s.update(hostname="h"), "HostName", Impact.REPLACE, "only CreateContainerGroup"),
    ("shareProcessNamespace", nothing, lambda s: s.update(shareProcessNamespace=True), "ShareProcessNamespace", Impact.REPLACE, "only CreateContainerGroup"),
    ("host aliases (reported by Describe)", nothing, lambda s: s.update(hostAliases=[{"ip": "10.0.0.1", "hostnames": ["a"]}]), "HostAliase", Impact.REPLACE, "only CreateContainerGroup"),
    ("safe sysctls (reported by Describe)", nothing, lambda s: s.update(securityContext={"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 1"}]}), "SecurityContext", Impact.REPLACE, "only CreateContainerGroup"),
    ("host sysctls", nothing, lambda s: s.update(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}), "HostSecurityContext", Impact.REPLACE, "only CreateContainerGroup"),
    ("ephemeral storage (reported by Describe)", nothing, c0(resources={"requests": {"ephemeral-storage": "40Gi"}}), "EphemeralStorage", Impact.REPLACE, "only CreateContainerGroup"),
    ("architecture", nothing, lambda s: s.update(nodeSelector={"kubernetes.io/arch": "arm64"}), "CpuArchitecture", Impact.REPLACE, "only CreateContainerGroup"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "before", "after", "group", "impact", "reason"), IMPACTS, ids=[i[0] for i in IMPACTS]
)
def test_plan_impact(name: str, before: Patch, after: Patch, group: str, impact: Impact, reason: str) -> None:
    result = plan_change(before, after)
    assert result.groups == [group], result.render()
    change = result.changes[0]
    assert change.impact is impact, result.render()
    assert reason in (change.reason or ""), result.render()
    if impact is Impact.RESTART:
        assert result.update is not None and result.update.containers is not None
    # once applied, the same spec plans nothing
    second = build(lambda s: (BASE_PATCH(s), after(s)))
    assert plan(second, describe(second.request), fingerprints(second)).empty


def test_unreported_settings_of_an_adopted_instance_are_not_assumed() -> None:
    """An instance the operator did not create (no fingerprints): what Describe cannot show is taken
    as differing, and a create-only setting means a new instance (never a silent mismatch)."""
    desired = build(lambda s: (BASE_PATCH(s), s.update(terminationGracePeriodSeconds=5)))
    result = plan(desired, describe(desired.request), None)
    change = next(c for c in result.changes if c.group == "TerminationGracePeriodSeconds")
    assert change.impact is Impact.REPLACE
    assert "not reported by ECI" in " ".join(change.changes)


def test_hooks_the_operator_never_sent_are_planned_as_a_restart() -> None:
    desired = build(c0(lifecycle=hook(exec={"command": ["stop"]})))
    result = plan(desired, describe(desired.request), None)
    assert change_of(result, "Container").impact is Impact.RESTART


def test_the_update_rendering_leaves_out_what_only_create_takes() -> None:
    """``eci-operator render --action UpdateContainerGroup``: an update cannot carry them."""
    from eci_operator.translate.parameters import parameters

    desired = build(
        lambda s: (
            c0(securityContext={"runAsGroup": 3}, terminationMessagePolicy="FallbackToLogsOnError")(s),
            s.update(volumes=[{"name": "c", "configMap": {"name": "app", "defaultMode": 0o600}}]),
        )
    )
    create = parameters(desired, "CreateContainerGroup")
    update = parameters(desired, "UpdateContainerGroup")
    assert (
        create[C + "SecurityContextRunAsGroup"] == "3"
        and create["Volume.1.ConfigFileVolume.DefaultMode"] == "0600"
    )
    assert not [k for k in update if "RunAsGroup" in k or "TerminationMessage" in k or "Mode" in k]
    assert update[C + "Image"] == "nginx:1.27"


def test_envfrom_objects_are_among_the_names_the_controller_reads() -> None:
    from eci_operator.translate import parse_group, referenced_names

    spec = manifest(c0(envFrom=[{"configMapRef": {"name": "env"}}, {"secretRef": {"name": "db"}}]))
    names = referenced_names(parse_group(spec).spec)
    assert "env" in names.config_maps and "db" in names.secrets
