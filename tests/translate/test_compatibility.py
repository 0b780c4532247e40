# ruff: noqa: E501  (the field lists read best as they are)
"""The compatibility table: every core/v1 Pod-spec field is in it, it agrees with the models (a field
is documented as mapped exactly when it is modelled), and docs/pod-compatibility.md holds it.

``CORE_V1`` lists the fields of k8s.io/api core/v1 v0.36.3 (Kubernetes 1.36) the ContainerGroup
spec can hold: the PodSpec and the structures below it.
"""

from __future__ import annotations

import os
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from eci_operator.api.base import PodModel
from eci_operator.api.containergroup import ContainerGroupSpec
from eci_operator.translate import TranslationError, parse_group, translate
from eci_operator.translate.compatibility import FIELDS, Support, lookup, markdown
from tests.translate.helpers import manifest

DOC = Path(__file__).parents[2] / "docs" / "pod-compatibility.md"
POD = (
    "volumes initContainers containers ephemeralContainers restartPolicy terminationGracePeriodSeconds "
    "activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken "
    "nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname "
    "subdomain affinity schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates "
    "runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN "
    "os hostUsers schedulingGates resourceClaims resources hostnameOverride schedulingGroup"
)
POD_SECURITY = (
    "seLinuxOptions windowsOptions runAsUser runAsGroup runAsNonRoot supplementalGroups "
    "supplementalGroupsPolicy fsGroup sysctls fsGroupChangePolicy seccompProfile appArmorProfile seLinuxChangePolicy"
)
CONTAINER = (
    "name image command args workingDir ports envFrom env resources resizePolicy restartPolicy "
    "restartPolicyRules volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle "
    "terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty"
)
SECURITY = (
    "capabilities privileged seLinuxOptions windowsOptions runAsUser runAsGroup runAsNonRoot "
    "readOnlyRootFilesystem allowPrivilegeEscalation procMount seccompProfile appArmorProfile"
)
PROBE = "exec httpGet tcpSocket grpc initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold terminationGracePeriodSeconds"
VOLUME_SOURCES = (
    "hostPath emptyDir gcePersistentDisk awsElasticBlockStore gitRepo secret nfs iscsi glusterfs "
    "persistentVolumeClaim rbd flexVolume cinder cephfs flocker downwardAPI fc azureFile configMap vsphereVolume "
    "quobyte azureDisk photonPersistentDisk projected portworxVolume scaleIO storageos csi ephemeral image"
)


def core_v1() -> list[str]:
    paths = [*POD.split()]
    paths += [f"securityContext.{f}" for f in POD_SECURITY.split()]
    paths += [f"containers[].{f}" for f in CONTAINER.split()]
    paths += [f"containers[].securityContext.{f}" for f in SECURITY.split()]
    paths += [
        "containers[].securityContext.capabilities.add",
        "containers[].securityContext.capabilities.drop",
    ]
    paths += [
        f"containers[].ports[].{f}" for f in ["name", "hostPort", "containerPort", "protocol", "hostIP"]
    ]
    paths += [f"containers[].env[].{f}" for f in ("name", "value")]
    paths += [
        f"containers[].env[].valueFrom.{f}"
        for f in ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"]
    ]
    paths += [f"containers[].envFrom[].{f}" for f in ["prefix", "configMapRef", "secretRef"]]
    paths += [f"containers[].resources.{f}" for f in ["limits", "requests", "claims"]]
    paths += [
        f"containers[].volumeMounts[].{f}"
        for f in [
            "name",
            "readOnly",
            "recursiveReadOnly",
            "mountPath",
            "subPath",
            "mountPropagation",
            "subPathExpr",
        ]
    ]
    for probe in ("livenessProbe", "readinessProbe"):
        paths += [f"containers[].{probe}.{f}" for f in PROBE.split()]
        paths += [
            f"containers[].{probe}.httpGet.{f}" for f in ["path", "port", "host", "scheme", "httpHeaders"]
        ]
        paths += [f"containers[].{probe}.tcpSocket.{f}" for f in ("port", "host")]
    for hook in ("postStart", "preStop"):
        paths += [f"containers[].lifecycle.{hook}.{f}" for f in ["exec", "httpGet", "tcpSocket", "sleep"]]
        paths += [
            f"containers[].lifecycle.{hook}.httpGet.{f}"
            for f in ["path", "port", "host", "scheme", "httpHeaders"]
        ]
        paths += [f"containers[].lifecycle.{hook}.tcpSocket.{f}" for f in ("port", "host")]
    paths += ["containers[].lifecycle.stopSignal"]
    paths += [f"volumes[].{f}" for f in ["name", *VOLUME_SOURCES.split()]]
    paths += [f"volumes[].emptyDir.{f}" for f in ("medium", "sizeLimit")]
    paths += [f"volumes[].nfs.{f}" for f in ("server", "path", "readOnly")]
    for source, ref in (("configMap", "name"), ("secret", "secretName")):
        paths += [f"volumes[].{source}.{f}" for f in (ref, "items", "defaultMode", "optional")]
        paths += [f"volumes[].{source}.items[].{f}" for f in ("key", "path", "mode")]
    paths += [f"hostAliases[].{f}" for f in ("ip", "hostnames")]
    paths += [f"dnsConfig.{f}" for f in ("nameservers", "searches", "options")]
    return paths


def test_every_core_v1_pod_field_is_in_the_table() -> None:
    table = {f.path for f in FIELDS}
    assert [p for p in core_v1() if p not in table] == []


def test_each_field_once_and_accepted_values_documented() -> None:
    paths = [f.path for f in FIELDS]
    assert len(paths) == len(set(paths))
    for f in FIELDS:
        assert f.how, f.path
        assert (f.accepted is None) == (f.accepted_when == ""), f.path
        assert f.accepted is None or f.support is Support.UNENFORCEABLE, f.path


# The ECI-only fields of the spec (not Pod-spec fields).
ECI_FIELDS = {
    "regionId", "containerGroupId", "containerGroupName", "zoneId", "securityGroupId", "vSwitchId",
    "instanceType", "cpu", "memory", "resourceGroupId", "tags", "deletionPolicy", "updatePolicy",
    "driftPolicy", "unenforceableFields", "accountRef",
}  # fmt: skip


def _model_of(annotation: Any) -> type[BaseModel] | None:
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated, typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
        return None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def modelled(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field path the Pod-spec models declare (``containers[].env[].valueFrom...``)."""
    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if not prefix and key in ECI_FIELDS:
            continue
        listed = typing.get_origin(info.annotation) is list or "list[" in str(info.annotation)
        path = f"{prefix}{key}"
        out.append(path)
        sub = _model_of(info.annotation)
        if sub is not None and issubclass(sub, PodModel):
            out += modelled(sub, f"{path}[]." if listed else f"{path}.")
    return out


def test_mapped_exactly_when_modelled() -> None:
    declared = set(modelled(ContainerGroupSpec))
    for f in FIELDS:
        if f.support is Support.MAPPED:
            assert f.path in declared or f.path.startswith("initContainers"), (
                f"{f.path} is mapped but not modelled"
            )
        else:
            assert f.path not in declared, f"{f.path} is modelled but documented as {f.support}"

    # and every modelled field is documented, itself or by the entry of the structure holding it
    # (init containers share the container entries)
    def documented(path: str) -> bool:
        while path:
            if lookup("spec." + path) is not None:
                return True
            path = path.rpartition(".")[0].removesuffix("[]")
        return False

    assert [p for p in declared if not documented(p)] == []


# What a parent needs to be valid, so that only the field under test is in question.
REQUIRED: dict[str, dict[str, Any]] = {
    "initContainers": {"name": "init", "image": "busybox"},
    "volumes": {"name": "v"},
    "ports": {"containerPort": 80},
    "env": {"name": "A"},
    "volumeMounts": {"name": "v", "mountPath": "/v"},
    "hostAliases": {"ip": "10.0.0.1", "hostnames": ["a"]},
    "items": {"key": "k", "path": "p"},
    "httpGet": {"port": 80},
    "tcpSocket": {"port": 80},
    "configMap": {"name": "c"},
    "secret": {"secretName": "s"},
}


def spec_with(path: str, value: Any) -> dict[str, Any]:
    """A minimal valid spec with ``value`` at the table ``path`` (lists get one item)."""
    spec: dict[str, Any] = {"regionId": "cn-hangzhou", "containers": [{"name": "web", "image": "nginx"}]}
    node: Any = spec
    parts = path.replace("[]", ".[]").split(".")
    for i, part in enumerate(parts[:-1]):
        if part == "[]":
            continue
        fresh = dict(REQUIRED.get(part, {}))
        node = node.setdefault(part, [fresh])[0] if parts[i + 1] == "[]" else node.setdefault(part, fresh)
    node[parts[-1]] = value
    if "volumeMounts" in path:
        spec.setdefault("volumes", [{"name": "v"}])
    return spec


@pytest.mark.parametrize(
    "field", [f for f in FIELDS if f.support is not Support.MAPPED], ids=lambda f: f.path
)
def test_each_unmodelled_field_is_named_with_its_reason(field: Any) -> None:
    """Put the field into a spec and translate: refused naming it with the table's reason (or
    accepted, for what is satisfied)."""
    m = manifest()
    m["spec"] = spec_with(field.path, {"x": 1})
    try:
        translate(parse_group(m))
    except TranslationError as err:
        assert field.support is not Support.SATISFIED, str(err)
        found = [p for p in err.problems if p.field == "spec." + field.path.replace("[]", "[0]")]
        assert found, str(err)
        assert found[0].message == field.how
        assert found[0].unenforceable is (field.support is Support.UNENFORCEABLE)
    else:
        assert field.support is Support.SATISFIED


def test_the_documentation_holds_the_table() -> None:
    text = DOC.read_text()
    start, end = "<!-- table: generated from eci_operator.translate.compatibility -->\n", "<!-- /table -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    generated = head + start + markdown() + "\n" + end + tail
    if os.environ.get("UPDATE_DOCS") == "1":
        DOC.write_text(generated)
        return
    assert text == generated, "docs/pod-compatibility.md is stale: run the tests with UPDATE_DOCS=1"
