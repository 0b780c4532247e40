"""Table of refusals: what ECI cannot honour is refused, naming the field, without secret values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eci_operator.translate import References, TranslationError, parse_group, translate
from tests.translate.helpers import config_map, container, dockerconfigjson, manifest, refs, secret

Patch = Callable[[dict[str, Any]], Any]
SECRET_VALUE = "correct-horse-battery-staple"
REFS = refs(
    secret("db", {"password": SECRET_VALUE, "long": "x" * 300}),
    config_map("cm", {"big": "y" * (24 * 1024 + 1), "ok": "fine"}),
    config_map("many", {f"k{i}": "v" for i in range(16)}),
    secret("opaque", {"k": "v"}),
    secret("broken", {".dockerconfigjson": "not json"}, "kubernetes.io/dockerconfigjson"),
    dockerconfigjson("nopass", {"reg.example": {"username": "u"}}),
)


def env_from(kind: str, name: str, key: str, *, var: str = "V", **extra: Any) -> dict[str, Any]:
    return {"name": var, "valueFrom": {kind: {"name": name, "key": key, **extra}}}


REFUSALS: list[tuple[str, Patch, str, str]] = [
    (
        "missing Secret for env",
        lambda s: container(s, env=[env_from("secretKeyRef", "nope", "k")]),
        "spec.containers[0].env[0].valueFrom.secretKeyRef",
        "Secret 'nope' not found",
    ),
    (
        "missing Secret key for env",
        lambda s: container(s, env=[env_from("secretKeyRef", "db", "nokey")]),
        "spec.containers[0].env[0].valueFrom.secretKeyRef",
        "key 'nokey' of Secret 'db' not found",
    ),
    (
        "missing ConfigMap for env",
        lambda s: container(s, env=[env_from("configMapKeyRef", "nope", "k")]),
        "spec.containers[0].env[0].valueFrom.configMapKeyRef",
        "ConfigMap 'nope' not found",
    ),
    (
        "env value from a Secret longer than 256",
        lambda s: container(s, env=[env_from("secretKeyRef", "db", "long")]),
        "spec.containers[0].env[0].valueFrom.secretKeyRef",
        "at most 256",
    ),
    (
        "config file over 32 KB",
        lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "cm"}}]),
        "spec.volumes[0].configMap",
        "32 KB of base64",
    ),
    (
        "configMap item key missing",
        lambda s: s.update(
            volumes=[
                {
                    "name": "c",
                    "configMap": {
                        "name": "cm",
                        "items": [{"key": "ok", "path": "a"}, {"key": "zz", "path": "b"}],
                    },
                }
            ]
        ),
        "spec.volumes[0].configMap.items[1].key",
        "key 'zz' not in ConfigMap 'cm'",
    ),
    (
        "configMap volume object missing",
        lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "absent"}}]),
        "spec.volumes[0].configMap",
        "ConfigMap 'absent' not found",
    ),
    (
        "secret volume missing even when optional",
        lambda s: s.update(volumes=[{"name": "c", "secret": {"secretName": "absent", "optional": True}}]),
        "spec.volumes[0].secret",
        "empty config-file volume",
    ),
    (
        "item path escaping the volume",
        lambda s: s.update(
            volumes=[
                {"name": "c", "configMap": {"name": "cm", "items": [{"key": "ok", "path": "../etc/passwd"}]}}
            ]
        ),
        "spec.volumes[0].configMap.items[0].path",
        "relative path",
    ),
    (
        "imagePullSecret missing",
        lambda s: s.update(imagePullSecrets=[{"name": "absent"}]),
        "spec.imagePullSecrets[0]",
        "Secret 'absent' not found",
    ),
    (
        "imagePullSecret of the wrong type",
        lambda s: s.update(imagePullSecrets=[{"name": "opaque"}]),
        "spec.imagePullSecrets[0]",
        "kubernetes.io/dockerconfigjson",
    ),
    (
        "imagePullSecret not a docker config",
        lambda s: s.update(imagePullSecrets=[{"name": "broken"}]),
        "spec.imagePullSecrets[0]",
        "valid docker config",
    ),
    (
        "imagePullSecret entry without password",
        lambda s: s.update(imagePullSecrets=[{"name": "nopass"}]),
        "spec.imagePullSecrets[0]",
        "no username and password",
    ),
    (
        "a request above its limit",
        lambda s: container(s, resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
        "spec.containers[0].resources.requests.cpu",
        "must not exceed limits.cpu",
    ),
    (
        "fractional GPU",
        lambda s: (
            s.update(instanceType="ecs.gn6i-c4g1.xlarge"),
            container(s, resources={"limits": {"nvidia.com/gpu": "500m"}}),
        ),
        "spec.containers[0].resources.limits.nvidia.com/gpu",
        "whole number",
    ),
    (
        "GPU without a GPU instance type",
        lambda s: container(s, resources={"limits": {"nvidia.com/gpu": 1}}),
        "spec.instanceType",
        "GPU instance type",
    ),
    (
        "zero cpu",
        lambda s: container(s, resources={"requests": {"cpu": "0"}}),
        "spec.containers[0].resources.requests.cpu",
        "greater than 0",
    ),
    (
        "containers larger than the instance",
        lambda s: (s.update(cpu=1, memory=2), container(s, resources={"requests": {"cpu": "2"}})),
        "spec.cpu",
        "more than the instance",
    ),
    (
        "containers need more memory than the instance",
        lambda s: (s.update(cpu=1, memory=2), container(s, resources={"requests": {"memory": "3Gi"}})),
        "spec.memory",
        "more than the instance",
    ),
    (
        "more than 20 containers in all",
        lambda s: (
            s.update(containers=[{"name": f"c{i}", "image": "x"} for i in range(15)]),
            s.update(initContainers=[{"name": f"i{i}", "image": "x"} for i in range(6)]),
        ),
        "spec.initContainers",
        "at most 20",
    ),
    (
        "duplicate port name",
        lambda s: container(
            s, ports=[{"containerPort": 80, "name": "web"}, {"containerPort": 81, "name": "web"}]
        ),
        "spec.containers[0].ports[1].name",
        "duplicate port name",
    ),
    (
        "duplicate mount path",
        lambda s: (
            s.update(volumes=[{"name": "a", "emptyDir": {}}]),
            container(s, volumeMounts=[{"name": "a", "mountPath": "/a"}, {"name": "a", "mountPath": "/a"}]),
        ),
        "spec.containers[0].volumeMounts[1].mountPath",
        "duplicate mountPath",
    ),
    (
        "init container mount of an unknown volume",
        lambda s: s.update(
            initContainers=[{"name": "i", "image": "x", "volumeMounts": [{"name": "zz", "mountPath": "/z"}]}]
        ),
        "spec.initContainers[0].volumeMounts[0].name",
        "no volume named 'zz'",
    ),
    (
        "tcpSocket named port missing",
        lambda s: container(s, livenessProbe={"tcpSocket": {"port": "nope"}}),
        "spec.containers[0].livenessProbe.tcpSocket.port",
        "no port named 'nope'",
    ),
    (
        "duplicate imagePullSecrets",
        lambda s: s.update(imagePullSecrets=[{"name": "nopass"}, {"name": "nopass"}]),
        "spec.imagePullSecrets[1].name",
        "duplicate",
    ),
    (
        "bad quantity",
        lambda s: container(s, resources={"requests": {"memory": "1Zi"}}),
        "spec.containers[0].resources.requests.memory",
        "quantity",
    ),
    (
        "unknown field",
        lambda s: s.update(notAField=1),
        "spec.notAField",
        "unknown field",
    ),
    (
        "the instance IP in a value the operator expands",
        lambda s: container(
            s,
            env=[
                {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "URL", "value": "http://$(IP):80"},
            ],
        ),
        "spec.containers[0].env[1].value",
        "only ECI knows",
    ),
    (
        "a Secret-derived value in the command",
        lambda s: container(
            s, env=[env_from("secretKeyRef", "db", "password", var="PW")], command=["run", "$(PW)"]
        ),
        "spec.containers[0].command[1]",
        "Secret-derived",
    ),
    (
        "resourceFieldRef to a limit that is not set",
        lambda s: container(
            s, env=[{"name": "C", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]
        ),
        "spec.containers[0].env[0].valueFrom.resourceFieldRef",
        "no limits.cpu",
    ),
    (
        "envFrom a missing ConfigMap",
        lambda s: container(s, envFrom=[{"configMapRef": {"name": "absent"}}]),
        "spec.containers[0].envFrom[0].configMapRef",
        "ConfigMap 'absent' not found",
    ),
    (
        "a ConfigMap of 16 keys without items",
        lambda s: s.update(volumes=[{"name": "c", "configMap": {"name": "many"}}]),
        "spec.volumes[0].configMap",
        "at most 15 files",
    ),
    (
        "dnsPolicy None without a nameserver",
        lambda s: s.update(dnsPolicy="None"),
        "spec.dnsConfig.nameservers",
        "at least one nameserver",
    ),
    (
        "host alias that is not an IP",
        lambda s: s.update(hostAliases=[{"ip": "my-host", "hostnames": ["a"]}]),
        "spec.hostAliases[0].ip",
        "not an IP address",
    ),
    (
        "runAsNonRoot with runAsUser 0",
        lambda s: container(s, securityContext={"runAsNonRoot": True, "runAsUser": 0}),
        "spec.containers[0].securityContext.runAsNonRoot",
        "contradicts runAsUser 0",
    ),
]


@pytest.mark.parametrize(
    ("patch", "field", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusal(patch: Patch, field: str, message: str) -> None:
    with pytest.raises(TranslationError) as err:
        translate(parse_group(manifest(patch)), REFS)
    text = str(err.value)
    assert any(p.field == field and message in p.message for p in err.value.problems), text
    assert SECRET_VALUE not in text and "x" * 30 not in text


def test_all_problems_reported_at_once() -> None:
    def patch(s: dict[str, Any]) -> None:
        container(
            s, env=[env_from("secretKeyRef", "nope", "k")], livenessProbe={"tcpSocket": {"port": "nope"}}
        )
        s.update(imagePullSecrets=[{"name": "absent"}])

    with pytest.raises(TranslationError) as err:
        translate(parse_group(manifest(patch)), REFS)
    assert set(err.value.fields) == {
        "spec.containers[0].env[0].valueFrom.secretKeyRef",
        "spec.containers[0].livenessProbe.tcpSocket.port",
        "spec.imagePullSecrets[0]",
    }


def test_validation_errors_do_not_echo_input_values() -> None:
    m = manifest(lambda s: container(s, env=[{"name": "A", "value": SECRET_VALUE * 200}]))
    with pytest.raises(TranslationError) as err:
        parse_group(m)
    assert err.value.fields == ["spec.containers[0].env[0].value"]
    assert SECRET_VALUE not in str(err.value)


def test_wrong_kind_refused() -> None:
    m = manifest()
    m["kind"] = "Pod"
    with pytest.raises(TranslationError, match="apiVersion"):
        parse_group(m)


def test_invalid_base64_in_secret_is_an_error_naming_the_object() -> None:
    with pytest.raises(ValueError, match="Secret 'bad'"):
        References.from_objects([{"kind": "Secret", "metadata": {"name": "bad"}, "data": {"k": "%%%"}}])


def test_non_utf8_secret_env_refused() -> None:
    r = References.from_objects(
        [{"kind": "Secret", "metadata": {"name": "b"}, "data": {"k": "/w=="}}]  # 0xff
    )
    with pytest.raises(TranslationError, match="not UTF-8"):
        translate(parse_group(manifest(lambda s: container(s, env=[env_from("secretKeyRef", "b", "k")]))), r)


def test_a_quantity_that_is_not_one_is_refused_naming_the_field() -> None:
    m = manifest(lambda s: container(s, resources={"requests": {"cpu": "1.5 cores"}}))
    with pytest.raises(TranslationError) as err:
        parse_group(m)
    assert err.value.fields == ["spec.containers[0].resources.requests.cpu"]


def test_init_container_larger_than_the_instance_refused() -> None:
    def patch(s: dict[str, Any]) -> None:
        s.update(cpu=1, memory=2)
        s["initContainers"] = [{"name": "i", "image": "x", "resources": {"requests": {"cpu": "2"}}}]

    with pytest.raises(TranslationError) as err:
        translate(parse_group(manifest(patch)), REFS)
    assert err.value.fields == ["spec.cpu"]
