"""Every version of the ContainerGroups in one namespace, as a watch delivers them."""

from __future__ import annotations

import json
import ssl
import threading
import time
from typing import Any

import httpx

from tests.support.cluster import GROUP_PATH


class Recorder:
    """Watches the namespace's ContainerGroups in a thread and keeps every object version it sees."""

    def __init__(self, kube_env: Any, namespace: str) -> None:
        self.versions: list[dict[str, Any]] = []
        self._client = httpx.Client(
            base_url=kube_env.server,
            verify=ssl.create_default_context(cafile=str(kube_env.ca_file)),
            headers={"Authorization": f"Bearer {kube_env.tokens['admin']}"},
            timeout=httpx.Timeout(10.0, read=None),
        )
        self._path = f"{GROUP_PATH}/namespaces/{namespace}/containergroups"
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        if not self._started.wait(30) or self._error is not None:
            self._stopping = True
            self._client.close()
            raise RuntimeError(f"the watch on {self._path} did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        self._client.close()
        self._thread.join(10)
        if self._error is not None and not any(exc):
            raise RuntimeError(f"the watch on {self._path} broke, versions may be missing: {self._error!r}")

    def _watch(self) -> None:
        try:
            deadline = time.monotonic() + 30
            while True:
                with self._client.stream("GET", self._path, params={"watch": "true"}) as response:
                    # 429 while the watch cache of a new resource initialises: retry, as client-go does
                    if response.status_code == 429 and time.monotonic() < deadline:
                        time.sleep(_retry_after(response))
                        continue
                    self._follow(response)
                    return
        except (httpx.HTTPError, RuntimeError) as e:
            # Closing the client from __exit__ ends the loop with an error: that one is the stop.
            if not self._stopping:
                self._error = e
        finally:
            self._started.set()

    def _follow(self, response: httpx.Response) -> None:
        response.raise_for_status()
        self._started.set()
        for line in response.iter_lines():
            event = json.loads(line) if line else {}
            if event.get("type") in ("ADDED", "MODIFIED"):
                self.versions.append(event["object"])
        if not self._stopping:
            raise RuntimeError("the server ended the watch")


def _retry_after(response: httpx.Response) -> float:
    """Seconds from a Retry-After header (delta-seconds), bounded; 1 when absent or not a number."""
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), 5.0)
    except ValueError:
        return 1.0
