"""The Secrets and ConfigMaps a spec refers to, passed in as plain data (no I/O here).

The controller reads the objects named by ``referenced_names`` and hands them over as
``References``; the translator resolves env values, config-file volumes and registry credentials
from them. A reference is looked up by the name the spec gives, so ``References`` must hold each
object under the name it was requested by and never another: ``References.requested`` builds them
that way from what a reader returned for each name, and refuses an answer that is not the object
asked for (another name, another namespace, another kind).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eci_operator.api.containergroup import ContainerGroupSpec
from eci_operator.api.names import SUBDOMAIN_RULE, is_object_name
from eci_operator.translate.errors import Problem, TranslationError

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"


def _decoded(value: Any, where: str) -> bytes:
    """One base64 value of an object's data; the error names where it is, never the value."""
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{where} is not valid base64") from exc


@dataclass(frozen=True)
class Secret:
    """A Secret's decoded data (``data`` base64-decoded, ``stringData`` merged as Kubernetes does)."""

    name: str
    data: Mapping[str, bytes] = field(default_factory=dict)
    type: str = "Opaque"

    def __repr__(self) -> str:  # never print the values
        return f"Secret(name={self.name!r}, type={self.type!r}, keys={sorted(self.data)!r})"

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> Secret:
        name = str(obj.get("metadata", {}).get("name", ""))
        data: dict[str, bytes] = {}
        for key, value in (obj.get("data") or {}).items():
            data[key] = _decoded(value, f"Secret {name!r}: data[{key!r}]")
        for key, value in (obj.get("stringData") or {}).items():
            data[key] = str(value).encode()
        return cls(name=name, data=data, type=str(obj.get("type") or "Opaque"))


@dataclass(frozen=True)
class ConfigMap:
    """A ConfigMap's ``data`` (text) and ``binaryData`` (decoded bytes)."""

    name: str
    data: Mapping[str, str] = field(default_factory=dict)
    binary_data: Mapping[str, bytes] = field(default_factory=dict)

    def get(self, key: str) -> bytes | None:
        if key in self.data:
            return self.data[key].encode()
        return self.binary_data.get(key)

    def keys(self) -> list[str]:
        return sorted({*self.data, *self.binary_data})

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> ConfigMap:
        name = str(obj.get("metadata", {}).get("name", ""))
        binary: dict[str, bytes] = {}
        for key, value in (obj.get("binaryData") or {}).items():
            binary[key] = _decoded(value, f"ConfigMap {name!r}: binaryData[{key!r}]")
        data = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
        return cls(name=name, data=data, binary_data=binary)


@dataclass(frozen=True)
class References:
    """Secrets and ConfigMaps of the ContainerGroup's namespace, by the name the spec refers to them."""

    secrets: Mapping[str, Secret] = field(default_factory=dict)
    config_maps: Mapping[str, ConfigMap] = field(default_factory=dict)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]], namespace: str | None = None) -> References:
        """Pick the Secrets and ConfigMaps out of a list of manifests (other kinds are ignored), each
        under its own ``metadata.name``: for manifests given as a whole, such as the files of
        ``eci-operator render``. Two objects of one kind and name, or (when ``namespace`` is given) an
        object that names another namespace, are refused with ``ValueError``."""
        secrets: dict[str, Secret] = {}
        config_maps: dict[str, ConfigMap] = {}
        for obj in objects:
            kind = obj.get("kind")
            if kind not in ("Secret", "ConfigMap"):
                continue
            meta = obj.get("metadata") or {}
            name = str(meta.get("name", ""))
            other = meta.get("namespace")
            if namespace is not None and other is not None and other != namespace:
                raise ValueError(
                    f"{kind} {name!r} is in namespace {other!r}: a ContainerGroup in {namespace!r} "
                    "uses only the objects of its own namespace"
                )
            into: dict[str, Any] = secrets if kind == "Secret" else config_maps
            if name in into:
                raise ValueError(f"{kind} {name!r} is given twice")
            into[name] = Secret.from_manifest(obj) if kind == "Secret" else ConfigMap.from_manifest(obj)
        return cls(secrets=secrets, config_maps=config_maps)

    @classmethod
    def requested(
        cls,
        namespace: str,
        secrets: Mapping[str, Mapping[str, Any] | None],
        config_maps: Mapping[str, Mapping[str, Any] | None],
    ) -> References:
        """What a reader returned for each requested name (None: not found), held under that name.

        For objects read one by one by name, as the controller reads them: an object is served only
        for the name it was read for, so one reference can never pick up an object read for another
        (``controller/resolving.py`` files its reads the same way). An answer that is not
        the object requested — whose ``metadata.name``, ``metadata.namespace`` or ``kind`` differ,
        as when a URL resolved to another object — and a requested name that is not a valid object
        name are refused with ``ValueError``.
        """
        return cls(
            secrets={
                name: Secret.from_manifest(obj)
                for name, obj in _checked("Secret", namespace, secrets)
                if obj is not None
            },
            config_maps={
                name: ConfigMap.from_manifest(obj)
                for name, obj in _checked("ConfigMap", namespace, config_maps)
                if obj is not None
            },
        )


def _checked(
    kind: str, namespace: str, answers: Mapping[str, Mapping[str, Any] | None]
) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    for name, obj in answers.items():
        if not is_object_name(name):
            raise ValueError(f"{kind} name {name!r} {SUBDOMAIN_RULE}")
        if obj is not None:
            meta = obj.get("metadata") or {}
            found = (obj.get("kind", kind), meta.get("namespace"), meta.get("name"))
            if found != (kind, namespace, name):
                raise ValueError(
                    f"{kind} {name!r} was requested in namespace {namespace!r} but the answer is "
                    f"{found[0]} {found[2]!r} of namespace {found[1]!r}; it is not used"
                )
        yield name, obj


@dataclass(frozen=True)
class ReferencedNames:
    """Names of the Secrets and ConfigMaps a spec needs (what the controller must read and watch)."""

    secrets: frozenset[str]
    config_maps: frozenset[str]


@dataclass(frozen=True)
class Reference:
    """One place where the spec names a Secret or ConfigMap."""

    field: str
    """Manifest path of the name, e.g. ``spec.volumes[0].secret.secretName``."""
    kind: str
    """Secret or ConfigMap."""
    name: str


def references(spec: ContainerGroupSpec) -> Iterator[Reference]:
    """Every Secret and ConfigMap name in the spec, with the field that holds it."""
    for i, ref in enumerate(spec.image_pull_secrets or []):
        yield Reference(f"spec.imagePullSecrets[{i}].name", "Secret", ref.name)
    for kind, items in (("initContainers", spec.init_containers or []), ("containers", spec.containers)):
        for i, container in enumerate(items):
            for j, env in enumerate(container.env or []):
                source = env.value_from
                where = f"spec.{kind}[{i}].env[{j}].valueFrom"
                if source is not None and source.secret_key_ref is not None:
                    yield Reference(f"{where}.secretKeyRef.name", "Secret", source.secret_key_ref.name)
                if source is not None and source.config_map_key_ref is not None:
                    yield Reference(
                        f"{where}.configMapKeyRef.name", "ConfigMap", source.config_map_key_ref.name
                    )
            for j, env_from in enumerate(container.env_from or []):
                where = f"spec.{kind}[{i}].envFrom[{j}]"
                if env_from.secret_ref is not None:
                    yield Reference(f"{where}.secretRef.name", "Secret", env_from.secret_ref.name)
                if env_from.config_map_ref is not None:
                    yield Reference(f"{where}.configMapRef.name", "ConfigMap", env_from.config_map_ref.name)
    for i, volume in enumerate(spec.volumes or []):
        if volume.secret is not None:
            yield Reference(f"spec.volumes[{i}].secret.secretName", "Secret", volume.secret.secret_name)
        if volume.config_map is not None:
            yield Reference(f"spec.volumes[{i}].configMap.name", "ConfigMap", volume.config_map.name)


def invalid_names(spec: ContainerGroupSpec) -> list[Problem]:
    """References whose name is not a valid object name. The models refuse them already; this is
    checked again where names leave the pure layers, for specs built without validation."""
    return [Problem(r.field, SUBDOMAIN_RULE) for r in references(spec) if not is_object_name(r.name)]


def referenced_names(spec: ContainerGroupSpec) -> ReferencedNames:
    """The names to read; ``TranslationError`` names the field of any name that is not a valid
    object name (it would not name one object of the namespace in a request path)."""
    problems = invalid_names(spec)
    if problems:
        raise TranslationError(problems)
    refs = list(references(spec))
    return ReferencedNames(
        frozenset(r.name for r in refs if r.kind == "Secret"),
        frozenset(r.name for r in refs if r.kind == "ConfigMap"),
    )
