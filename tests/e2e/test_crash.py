"""A crash between CreateContainerGroup and recording the ID must not leave two instances.

A small forwarding proxy sits between the operator and the emulator. It passes every request
through, but after forwarding the first CreateContainerGroup it holds the answer back; the operator
is then SIGKILLed, so the instance exists in ECI while its ID never reached Kubernetes. A new
operator (talking to the emulator directly) must find and adopt that instance.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.cluster import Cluster, is_ready
from tests.support.manifests import container_group

pytestmark = pytest.mark.kube


class CreateSwallower:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.created = threading.Event()
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(urlsplit(self.path).query)
                action = self.headers.get("x-acs-action") or (query.get("Action") or [""])[0]
                with httpx.Client(timeout=30) as client:
                    response = client.request(
                        "POST",
                        owner.upstream + self.path,
                        content=body,
                        headers={k: v for k, v in self.headers.items() if k.lower() != "content-length"},
                    )
                if action == "CreateContainerGroup" and not owner.created.is_set():
                    owner.created.set()
                    owner.release.wait(60)  # the operator dies while waiting for this answer
                    return
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> CreateSwallower:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_killed_between_create_and_recording_the_id(
    cluster: Cluster, emulator: Any, start_operator: Any
) -> None:
    with CreateSwallower(emulator.url) as proxy:
        first = start_operator(cluster.namespace, emulator, resync=2.0, endpoint=proxy.url)
        cluster.create(container_group())
        assert proxy.created.wait(30), first.log()[-3000:]
        time.sleep(0.5)
        first.kill()
        proxy.release.set()
    body = cluster.get("web")
    assert body is not None and "containerGroupId" not in (body.get("status") or {})
    [instance] = emulator.instances()  # ECI made it; Kubernetes never heard of it

    start_operator(cluster.namespace, emulator, resync=2.0)
    body = cluster.wait("web", is_ready)
    assert body["status"]["containerGroupId"] == instance["ContainerGroupId"]
    assert len(emulator.instances()) == 1
