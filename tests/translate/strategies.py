"""Hypothesis strategies for ContainerGroup specs (and the Secrets/ConfigMaps they refer to)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from eci_operator.translate import References
from tests.translate.helpers import config_map, dockerconfigjson, secret

NAMES = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " -_./:=", min_size=1, max_size=24)
ENV_KEYS = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)
REFS = References.from_objects(
    [
        secret("db", {"password": "pw-123", "user": "app"}),
        config_map("conf", {"app.conf": "a=1\n", "extra.conf": "b=2\n"}),
        config_map("envs", {"LEVEL": "debug", "MODE": "prod"}),
        dockerconfigjson("reg", {"https://reg.example.com": {"username": "u", "password": "reg-pass-789"}}),
    ]
)


@st.composite
def probes(draw: st.DrawFn, port: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["httpGet", "tcpSocket", "exec"]))
    handlers: dict[str, dict[str, Any]] = {
        "httpGet": {
            "port": port,
            **draw(
                st.fixed_dictionaries(
                    {}, optional={"path": st.just("/healthz"), "scheme": st.sampled_from(["HTTP", "HTTPS"])}
                )
            ),
        },
        "tcpSocket": {"port": port},
        "exec": {"command": draw(st.lists(WORDS, min_size=1, max_size=3))},
    }
    handler = handlers[kind]
    timings = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "initialDelaySeconds": st.integers(0, 30),
                "periodSeconds": st.integers(1, 30),
                "timeoutSeconds": st.integers(1, 10),
                "failureThreshold": st.integers(1, 5),
            },
        )
    )
    return {kind: handler, **timings}


@st.composite
def containers(draw: st.DrawFn, name: str, volumes: list[str], init: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name,
        "image": draw(st.sampled_from(["nginx:1.27", "busybox:1.36", "redis:7"])),
    }
    if draw(st.booleans()):
        c["command"] = draw(st.lists(WORDS, min_size=1, max_size=3))
    if draw(st.booleans()):
        c["args"] = draw(st.lists(WORDS, min_size=1, max_size=3))
    env_keys = draw(st.lists(ENV_KEYS, max_size=4, unique=True))
    env: list[dict[str, Any]] = []
    for i, key in enumerate(env_keys):
        choice = i % 4 if draw(st.booleans()) else 0
        if choice == 0:
            env.append({"name": key, "value": draw(st.text(alphabet=string.printable.strip(), max_size=20))})
        elif choice == 1:
            env.append({"name": key, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
        elif choice == 2:
            env.append({"name": key, "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}})
        else:
            env.append({"name": key, "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "app.conf"}}})
    if draw(st.booleans()):  # the ContainerGroup's metadata, resolved by the operator
        path = draw(
            st.sampled_from(["metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels['app']"])
        )
        env.append({"name": "META_" + str(len(env)), "valueFrom": {"fieldRef": {"fieldPath": path}}})
    if len(env) > 0 and draw(st.booleans()):  # a reference to a variable defined before it
        env.append({"name": "REF_" + str(len(env)), "value": f"x-$({env[0]['name']})-$$(NO)"})
    if env:
        c["env"] = env
    if draw(st.booleans()):
        c["envFrom"] = [
            {
                "configMapRef": {"name": "envs"},
                **draw(st.fixed_dictionaries({}, optional={"prefix": st.just("CM_")})),
            }
        ]
    ports = draw(st.lists(st.integers(1, 65535), max_size=2, unique=True))
    if ports:
        c["ports"] = [{"containerPort": p, "protocol": draw(st.sampled_from(["TCP", "UDP"]))} for p in ports]
    resources = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "cpu": st.sampled_from(["250m", "500m", "1", 2]),
                "memory": st.sampled_from(["512Mi", "1Gi", "2Gi"]),
            },
        )
    )
    if resources:
        c["resources"] = {draw(st.sampled_from(["requests", "limits"])): resources}
    mounts = draw(st.lists(st.sampled_from(volumes), unique=True, max_size=len(volumes))) if volumes else []
    if mounts:
        c["volumeMounts"] = [
            {
                "name": v,
                "mountPath": f"/mnt/{v}",
                **draw(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "readOnly": st.booleans(),
                            "subPath": st.sampled_from(["a", "b/c"]),
                            "mountPropagation": st.sampled_from(["None", "HostToContainer", "Bidirectional"]),
                        },
                    )
                ),
            }
            for v in mounts
        ]
    if draw(st.booleans()):
        optional: dict[str, Any] = {
            "readOnlyRootFilesystem": st.booleans(),
            "runAsUser": st.integers(1, 65535),
            "capabilities": st.just({"add": ["NET_ADMIN"]}),
        }
        if not init:  # ECI's init containers take none of these
            optional.update(
                runAsGroup=st.integers(0, 65535), runAsNonRoot=st.booleans(), privileged=st.booleans()
            )
        c["securityContext"] = draw(st.fixed_dictionaries({}, optional=optional))
    if draw(st.booleans()):
        c["terminationMessagePolicy"] = draw(st.sampled_from(["File", "FallbackToLogsOnError"]))
    c.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "workingDir": st.just("/srv"),
                    "imagePullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
                },
            )
        )
    )
    if not init:
        c.update(
            draw(
                st.fixed_dictionaries(
                    {}, optional={"stdin": st.booleans(), "stdinOnce": st.booleans(), "tty": st.booleans()}
                )
            )
        )
        port = ports[0] if ports else 8080
        if draw(st.booleans()):
            c["readinessProbe"] = draw(probes(port))
        if draw(st.booleans()):
            c["livenessProbe"] = draw(probes(port))
        if draw(st.booleans()):
            c["lifecycle"] = draw(
                st.fixed_dictionaries({}, optional={"postStart": hooks(port), "preStop": hooks(port)})
            )
    return c


@st.composite
def hooks(draw: st.DrawFn, port: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["exec", "httpGet", "tcpSocket"]))
    if kind == "exec":
        return {"exec": {"command": draw(st.lists(WORDS, min_size=1, max_size=3))}}
    if kind == "tcpSocket":
        return {
            "tcpSocket": {
                "port": port,
                **draw(st.fixed_dictionaries({}, optional={"host": st.just("127.0.0.1")})),
            }
        }
    extra = st.fixed_dictionaries(
        {},
        optional={
            "path": st.just("/hook"),
            "host": st.just("localhost"),
            "scheme": st.sampled_from(["HTTP", "HTTPS"]),
            "httpHeaders": st.just([{"name": "X-Hook", "value": "1"}]),
        },
    )
    return {"httpGet": {"port": port, **draw(extra)}}


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = []
    for i, kind in enumerate(
        draw(st.lists(st.sampled_from(["emptyDir", "nfs", "configMap", "secret"]), max_size=3))
    ):
        name = f"v{i}"
        if kind == "emptyDir":
            volumes.append(
                {
                    "name": name,
                    "emptyDir": draw(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "medium": st.sampled_from(["", "Memory"]),
                                "sizeLimit": st.sampled_from(["256Mi", "1Gi"]),
                            },
                        )
                    ),
                }
            )
        elif kind == "nfs":
            volumes.append(
                {
                    "name": name,
                    "nfs": {"server": "nas.example.com", "path": "/share", "readOnly": draw(st.booleans())},
                }
            )
        elif kind == "configMap":
            items = draw(
                st.sampled_from(
                    [
                        None,
                        [{"key": "extra.conf", "path": "conf/extra.conf"}],
                        [{"key": "app.conf", "path": "a", "mode": 0o600}],
                    ]
                )
            )
            mode = draw(st.sampled_from([None, 0o644, 0o400]))
            volumes.append(
                {
                    "name": name,
                    "configMap": {
                        "name": "conf",
                        **({"items": items} if items else {}),
                        **({"defaultMode": mode} if mode else {}),
                    },
                }
            )
        else:
            volumes.append({"name": name, "secret": {"secretName": "db"}})
    volume_names = [v["name"] for v in volumes]
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    split = draw(st.integers(1, len(names)))
    spec: dict[str, Any] = {
        "regionId": "cn-hangzhou",
        "restartPolicy": draw(st.sampled_from(["Always", "OnFailure", "Never"])),
        "containers": [draw(containers(n, volume_names, init=False)) for n in names[:split]],
    }
    if names[split:]:
        spec["initContainers"] = [draw(containers(n, volume_names, init=True)) for n in names[split:]]
    if volumes:
        spec["volumes"] = volumes
    if draw(st.booleans()):
        # Tag keys and values starting with "aliyun" (any case) are reserved and refused.
        allowed = st.text(alphabet=string.ascii_letters, max_size=8).filter(
            lambda v: not v.lower().startswith("aliyun")
        )
        keys = NAMES.filter(lambda k: not k.startswith("aliyun"))
        spec["tags"] = draw(st.dictionaries(keys, allowed, max_size=3))
    if draw(st.booleans()):
        spec["dnsConfig"] = {
            "nameservers": ["10.0.0.2"],
            "searches": ["svc.local"],
            "options": [{"name": "ndots", "value": "2"}],
        }
    if draw(st.booleans()):
        spec["imagePullSecrets"] = [{"name": "reg"}]
    spec.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "zoneId": st.just("cn-hangzhou-h"),
                    "vSwitchId": st.sampled_from(["vsw-a", "vsw-a,vsw-b"]),
                    "securityGroupId": st.just("sg-test1"),
                },
            )
        )
    )
    if draw(st.booleans()):
        spec.update(cpu=8, memory=16)
    spec.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={  # instance settings only CreateContainerGroup takes
                    "terminationGracePeriodSeconds": st.integers(0, 120),
                    "activeDeadlineSeconds": st.integers(1, 86400),
                    "hostAliases": st.just([{"ip": "10.0.0.9", "hostnames": ["db", "db.local"]}]),
                    "dnsPolicy": st.just("Default"),
                    "hostname": st.just("prop-0"),
                    "shareProcessNamespace": st.booleans(),
                    "nodeSelector": st.sampled_from(
                        [{"kubernetes.io/os": "linux"}, {"kubernetes.io/arch": "arm64"}]
                    ),
                    "securityContext": st.fixed_dictionaries(
                        {},
                        optional={
                            "runAsUser": st.integers(1, 65535),
                            "sysctls": st.sampled_from(
                                [
                                    [{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"}],
                                    [{"name": "net.core.somaxconn", "value": "1024"}],
                                ]
                            ),
                        },
                    ),
                },
            )
        )
    )
    if draw(st.booleans()):  # extra ephemeral storage beyond the included 30 GiB
        spec["containers"][0].setdefault("resources", {})["requests"] = {"ephemeral-storage": "40Gi"}
    return spec


def manifest_of(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "eci.operator.dev/v1alpha1",
        "kind": "ContainerGroup",
        "metadata": {"name": "prop", "namespace": "test", "uid": "u-1", "labels": {"app": "prop"}},
        "spec": spec,
    }
