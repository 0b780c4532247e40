"""A small async Kubernetes API client on httpx, for the few calls the controller makes itself.

Why not the official ``kubernetes`` client: it is synchronous, and calling it from the event loop
would stall every reconcile (and Kopf's liveness endpoint) while a request is in flight; running it
in threads adds a pool to size and tune. ``kubernetes_asyncio`` would work but is another large
dependency generated from the full OpenAPI. The controller needs a few calls (get a Secret, get a
ConfigMap, patch a ContainerGroup's status, patch its finalizers, create an Event, read and write
the leader-election Lease); httpx is already the ECI transport, so a typed client of a few hundred
lines costs less than either. Kopf keeps doing the
watching with its own aiohttp session. Both use the same credentials: :func:`load_config` reads the
in-cluster ServiceAccount or the kubeconfig (with the ``kubernetes`` package's loader), and the Kopf
login handler hands the same values to Kopf.

Credentials never appear in errors: :class:`KubeError` carries the method, path, HTTP status and the
API's ``Status.message`` only.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import httpx

from eci_operator.api.account import ACCOUNT_PLURAL
from eci_operator.api.containergroup import GROUP, KIND, PLURAL, VERSION

SA_DIR = pathlib.Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeError(Exception):
    """A Kubernetes API call failed."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        super().__init__(f"{method} {path}: HTTP {status}: {message}")


class KubeConflict(KubeError):
    """409 Conflict or a failed JSON-patch test: someone changed the object meanwhile."""


@dataclass(frozen=True)
class KubeConfig:
    """Where the API server is and how to authenticate (token, client certificate, or both)."""

    server: str
    ca_path: str | None = None
    ca_data: bytes | None = None
    insecure: bool = False
    token: str | None = None
    token_path: str | None = None  # re-read on 401: projected ServiceAccount tokens rotate
    cert_path: str | None = None
    key_path: str | None = None
    default_namespace: str | None = None
    refresh: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)
    """The token now: the loader's, fetched again once expired (exec plugins, OIDC)."""

    def current_token(self) -> str | None:
        if self.token_path:
            try:
                return pathlib.Path(self.token_path).read_text().strip()
            except OSError:
                return self.token
        if self.refresh is not None:
            return self.refresh()
        return self.token


class Kube(Protocol):
    """The Kubernetes calls the controller makes (``KubeApi``; tests may bring their own)."""

    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def get_account(self, name: str) -> dict[str, Any] | None: ...
    async def get_namespace(self, name: str) -> dict[str, Any] | None: ...
    async def patch_status(
        self, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> dict[str, Any] | None: ...
    async def patch_account_status(self, name: str, patch: Mapping[str, Any]) -> dict[str, Any] | None: ...
    async def add_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None: ...
    async def remove_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None: ...
    async def create_event(
        self, body: Mapping[str, Any], *, reason: str, message: str, type_: str = "Normal"
    ) -> None: ...
    async def record_event(self, body: Mapping[str, Any], event: EventRecord) -> bool: ...
    async def update_event(self, namespace: str, name: str, count: int, last: str) -> None: ...
    async def close(self) -> None: ...


class Leases(Protocol):
    """The Lease calls of leader election (``KubeApi``; tests may bring their own)."""

    async def get_lease(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    async def create_lease(self, namespace: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]: ...
    async def replace_lease(
        self, namespace: str, name: str, resource_version: str, spec: Mapping[str, Any]
    ) -> dict[str, Any]: ...


@runtime_checkable
class ShardLeases(Leases, Protocol):
    """Sharding's Lease calls (``run --shards``): the election's, and listing and deleting the
    member Leases of replicas."""

    async def list_leases(self, namespace: str) -> list[dict[str, Any]]: ...
    async def delete_lease(self, namespace: str, name: str, resource_version: str) -> None: ...


@dataclass(frozen=True)
class EventRecord:
    """An Event with a name of its own, aggregated by its owner (count, first and last time)."""

    name: str
    reason: str
    message: str
    type_: str
    count: int
    first: str
    last: str
    component: str


def segment(value: str) -> str:
    """One path segment of an API URL, percent-encoded so that no name can change the path
    (``..``, ``/``, ``%2e`` and the like); empty and dot-only segments are refused outright."""
    if not value or value.strip(".") == "":
        raise ValueError(f"{value!r} is not a valid object name or namespace")
    return quote(value, safe="")


def load_config(kubeconfig: str | None = None, context: str | None = None) -> KubeConfig:
    """In-cluster ServiceAccount when present (and no file or context is asked for), else the
    kubeconfig as kubectl reads it: ``kubeconfig`` or every file of ``$KUBECONFIG`` merged (else
    ~/.kube/config), ``context`` or the current one.

    The kubeconfig is read by the ``kubernetes`` package's loader (the maintained one, not a subset
    of our own): contexts, client certificates (files or data), token files, exec credential plugins
    (ACK's RAM/SSO kubeconfigs) and OIDC auth providers. Expiring tokens are fetched again when
    they expire (``current_token``); a token file is read again on every request.
    """
    in_cluster = kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST")
    if in_cluster and (SA_DIR / "token").exists():
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        namespace_file = SA_DIR / "namespace"
        return KubeConfig(
            server=f"https://{host}:{port}" if ":" not in host else f"https://[{host}]:{port}",
            ca_path=str(SA_DIR / "ca.crt"),
            token_path=str(SA_DIR / "token"),
            default_namespace=namespace_file.read_text().strip() if namespace_file.exists() else None,
        )
    return _from_kubeconfig(kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config", context)


def _from_kubeconfig(paths: str, context: str | None) -> KubeConfig:
    from kubernetes.client import Configuration
    from kubernetes.config import kube_config
    from kubernetes.config.config_exception import ConfigException

    loading: Any = kube_config  # the package is untyped
    try:
        merged = loading.KubeConfigMerger(paths)
        if merged.config is None:
            raise ValueError(f"kubeconfig {paths}: no such file, or no configuration in it")
        # config_base_path=None: relative paths are taken from the file that names them, as kubectl does.
        loader = loading.KubeConfigLoader(
            config_dict=merged.config, active_context=context, config_base_path=None
        )
        settings = Configuration()
        loader.load_and_set(settings)
        current: dict[str, Any] = loader.current_context["context"]
        user_name = current.get("user")
        users = merged.config["users"] if "users" in merged.config else None  # noqa: SIM401 (not a dict)
        user = users.get_with_name(user_name, safe=True) if user_name and users else None
    except ConfigException as exc:
        raise ValueError(f"kubeconfig {paths}: {exc}") from None
    token_file = user["user"].safe_get("tokenFile") if user is not None else None
    if token_file and user is not None:
        token_file = str(pathlib.Path(user.path).parent / pathlib.Path(token_file).expanduser())

    def bearer() -> str | None:
        if settings.refresh_api_key_hook is not None:
            settings.refresh_api_key_hook(settings)  # fetches anew only an expired token
        value = str(settings.api_key.get("BearerToken") or "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None

    return KubeConfig(
        server=str(settings.host).rstrip("/"),
        ca_path=settings.ssl_ca_cert or None,
        insecure=not settings.verify_ssl,
        token=bearer(),
        token_path=token_file,
        cert_path=settings.cert_file or None,
        key_path=settings.key_file or None,
        default_namespace=current.get("namespace"),
        refresh=bearer,
    )


def _ssl_context(config: KubeConfig) -> ssl.SSLContext | bool:
    if config.insecure:
        return False
    context = ssl.create_default_context(cafile=config.ca_path)
    if config.ca_data:
        context.load_verify_locations(cadata=config.ca_data.decode())
    if config.cert_path and config.key_path:
        context.load_cert_chain(config.cert_path, config.key_path)
    return context


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeApi:
    """The controller's Kubernetes calls. One instance per operator; close it on shutdown."""

    def __init__(self, config: KubeConfig, *, timeout: float = 30.0, component: str = "eci-operator") -> None:
        self.config = config
        self.component = component
        self._client = httpx.AsyncClient(
            base_url=config.server,
            verify=_ssl_context(config),
            timeout=timeout,
            headers={"User-Agent": f"{component}/controller"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content_type: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            token = self.config.current_token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = await self._client.request(
                    method,
                    path,
                    headers=headers,
                    params=params,
                    content=None if json is None else _dumps(json),
                )
            except httpx.TransportError as exc:
                # Unreachable or restarting apiserver: an ordinary, retryable Kubernetes error.
                raise KubeError(
                    method, path, 0, f"apiserver unreachable ({type(exc).__name__}: {exc})"
                ) from None
            if response.status_code == 401 and attempt == 0 and self.config.token_path:
                continue  # the projected token may have rotated; read it again once
            break
        if response.status_code == 404 and method == "GET":
            return None
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", ""))
            except ValueError:
                message = response.text[:200]
            # 409: a conflicting write; 422 on a JSON patch: its resourceVersion/finalizer test failed.
            conflict = response.status_code == 409 or (
                response.status_code == 422 and content_type == "application/json-patch+json"
            )
            raise (KubeConflict if conflict else KubeError)(method, path, response.status_code, message)
        body: dict[str, Any] = response.json()
        return body

    # -- reads ------------------------------------------------------------------------------

    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._request("GET", f"/api/v1/namespaces/{segment(namespace)}/secrets/{segment(name)}")

    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._request(
            "GET", f"/api/v1/namespaces/{segment(namespace)}/configmaps/{segment(name)}"
        )

    async def get_account(self, name: str) -> dict[str, Any] | None:
        return await self._request("GET", f"/apis/{GROUP}/{VERSION}/{ACCOUNT_PLURAL}/{segment(name)}")

    async def get_namespace(self, name: str) -> dict[str, Any] | None:
        return await self._request("GET", f"/api/v1/namespaces/{segment(name)}")

    async def get_containergroup(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._request("GET", self.cg_path(namespace, name))

    async def get_lease(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._request("GET", self._lease_path(namespace, name))

    async def list_leases(self, namespace: str) -> list[dict[str, Any]]:
        body = await self._request("GET", self._lease_path(namespace))
        items = (body or {}).get("items")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    async def delete_lease(self, namespace: str, name: str, resource_version: str) -> None:
        """Delete the Lease if it is still at ``resource_version`` (else :class:`KubeConflict`); one
        already gone is no error."""
        try:
            await self._request(
                "DELETE",
                self._lease_path(namespace, name),
                json={"preconditions": {"resourceVersion": resource_version}},
                content_type="application/json",
            )
        except KubeError as exc:
            if exc.status != 404:
                raise

    @staticmethod
    def _lease_path(namespace: str, name: str | None = None) -> str:
        path = f"/apis/coordination.k8s.io/v1/namespaces/{segment(namespace)}/leases"
        return path if name is None else f"{path}/{segment(name)}"

    @staticmethod
    def cg_path(namespace: str, name: str) -> str:
        return f"/apis/{GROUP}/{VERSION}/namespaces/{segment(namespace)}/{PLURAL}/{segment(name)}"

    async def list_events(self, namespace: str, uid: str) -> list[dict[str, Any]]:
        """The core/v1 Events about the object ``uid`` (``kubectl eci events``)."""
        body = await self._request(
            "GET",
            f"/api/v1/namespaces/{segment(namespace)}/events",
            params={"fieldSelector": f"involvedObject.uid={uid}"},
        )
        items = (body or {}).get("items")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    # -- writes -----------------------------------------------------------------------------

    async def annotate(
        self, namespace: str, name: str, annotations: Mapping[str, str]
    ) -> dict[str, Any] | None:
        """Merge ``annotations`` into the ContainerGroup's metadata (``kubectl eci restart``)."""
        return await self._request(
            "PATCH",
            self.cg_path(namespace, name),
            json={"metadata": {"annotations": dict(annotations)}},
            content_type="application/merge-patch+json",
        )

    async def patch_status(
        self, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        return await self._request(
            "PATCH",
            self.cg_path(namespace, name) + "/status",
            json={"status": patch},
            content_type="application/merge-patch+json",
        )

    async def patch_account_status(self, name: str, patch: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self._request(
            "PATCH",
            f"/apis/{GROUP}/{VERSION}/{ACCOUNT_PLURAL}/{segment(name)}/status",
            json={"status": patch},
            content_type="application/merge-patch+json",
        )

    async def add_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None:
        meta = body.get("metadata", {})
        ops: list[dict[str, Any]] = [
            {"op": "test", "path": "/metadata/resourceVersion", "value": meta.get("resourceVersion")}
        ]
        if meta.get("finalizers"):
            ops.append({"op": "add", "path": "/metadata/finalizers/-", "value": finalizer})
        else:
            ops.append({"op": "add", "path": "/metadata/finalizers", "value": [finalizer]})
        return await self._json_patch(meta["namespace"], meta["name"], ops)

    async def remove_finalizer(self, body: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None:
        meta = body.get("metadata", {})
        finalizers = list(meta.get("finalizers") or [])
        if finalizer not in finalizers:
            return None
        index = finalizers.index(finalizer)
        ops = [
            {"op": "test", "path": f"/metadata/finalizers/{index}", "value": finalizer},
            {"op": "remove", "path": f"/metadata/finalizers/{index}"},
        ]
        return await self._json_patch(meta["namespace"], meta["name"], ops)

    async def create_lease(self, namespace: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Create the Lease; someone else creating it first is a :class:`KubeConflict` (409)."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": dict(spec),
        }
        answer = await self._request(
            "POST", self._lease_path(namespace), json=body, content_type="application/json"
        )
        return answer or {}

    async def replace_lease(
        self, namespace: str, name: str, resource_version: str, spec: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Replace the Lease's spec if it is still at ``resource_version``, else :class:`KubeConflict`:
        two replicas racing for the Lease cannot both win."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": resource_version},
            "spec": dict(spec),
        }
        answer = await self._request(
            "PUT", self._lease_path(namespace, name), json=body, content_type="application/json"
        )
        return answer or {}

    async def _json_patch(
        self, namespace: str, name: str, ops: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        return await self._request(
            "PATCH", self.cg_path(namespace, name), json=ops, content_type="application/json-patch+json"
        )

    async def create_event(
        self,
        body: Mapping[str, Any],
        *,
        reason: str,
        message: str,
        type_: str = "Normal",
    ) -> None:
        """Post a core/v1 Event about the ContainerGroup ``body``."""
        meta = body.get("metadata", {})
        now = now_rfc3339()
        namespace = meta.get("namespace") or self.config.default_namespace or "default"
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
            "involvedObject": _involved(meta, namespace),
            "reason": reason,
            "message": message[:1024],
            "type": type_,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "reportingInstance": self.component,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self._request(
            "POST",
            f"/api/v1/namespaces/{segment(namespace)}/events",
            json=event,
            content_type="application/json",
        )

    async def record_event(self, body: Mapping[str, Any], event: EventRecord) -> bool:
        """Create the Event ``event.name`` about the ContainerGroup ``body``; False when an Event
        of that name exists already (it was recorded before a restart)."""
        meta = body.get("metadata", {})
        namespace = meta.get("namespace") or self.config.default_namespace or "default"
        document = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": event.name, "namespace": namespace},
            "involvedObject": _involved(meta, namespace),
            "reason": event.reason,
            "message": event.message[:1024],
            "type": event.type_,
            "source": {"component": event.component},
            "reportingComponent": self.component,
            "reportingInstance": self.component,
            "firstTimestamp": event.first,
            "lastTimestamp": event.last,
            "count": event.count,
        }
        try:
            await self._request(
                "POST",
                f"/api/v1/namespaces/{segment(namespace)}/events",
                json=document,
                content_type="application/json",
            )
        except KubeConflict:
            return False
        return True

    async def update_event(self, namespace: str, name: str, count: int, last: str) -> None:
        """Set the count and last time of an aggregated Event."""
        await self._request(
            "PATCH",
            f"/api/v1/namespaces/{segment(namespace)}/events/{segment(name)}",
            json={"count": count, "lastTimestamp": last},
            content_type="application/merge-patch+json",
        )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _involved(meta: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """An Event's ``involvedObject``: the ContainerGroup, at the version the Event is about."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "name": meta.get("name"),
        "namespace": namespace,
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
    }
