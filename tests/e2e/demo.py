"""``make demo``: a control plane, the ECI emulator and the operator, and one ContainerGroup's life.

Uses the cluster of ``$KUBECONFIG`` when it is set (the operator then runs locally with that
kubeconfig), otherwise starts kube-testenv and runs the operator as the deploy/ ServiceAccount.
Steps: apply deploy/examples/web.yaml → Ready → edit the image → the update and its impact →
delete → the instance is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from eci_operator.controller.kube import KubeConfig, load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "examples" / "web.yaml"
NAMESPACE = "eci-demo"
CG_PATH = f"/apis/eci.operator.dev/v1alpha1/namespaces/{NAMESPACE}/containergroups"


def say(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def kubectl_view(kubeconfig: Path) -> Callable[[], None]:
    """Print `kubectl get containergroups -o wide` when a kubectl is at hand (make gitops-tools, PATH)."""
    built = REPO / ".cache" / "bin" / "kubectl"
    binary = str(built) if built.exists() else shutil.which("kubectl")

    def view() -> None:
        if binary is None:
            return
        command = [
            binary,
            "--kubeconfig",
            str(kubeconfig),
            "-n",
            NAMESPACE,
            "get",
            "containergroups",
            "-o",
            "wide",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        print("   $ kubectl get containergroups -o wide")
        print(textwrap.indent(result.stdout or result.stderr, "   "), end="")

    return view


def show(data: Any) -> None:
    print(yaml.safe_dump(data, sort_keys=False, width=110).rstrip(), flush=True)


class Kube:
    """A minimal admin client for the demo (sync httpx over the kubeconfig's credentials)."""

    def __init__(self, config: KubeConfig) -> None:
        verify: Any = False
        if not config.insecure:
            import ssl

            context = ssl.create_default_context(cafile=config.ca_path)
            if config.ca_data:
                context.load_verify_locations(cadata=config.ca_data.decode())
            if config.cert_path and config.key_path:
                context.load_cert_chain(config.cert_path, config.key_path)
            verify = context
        headers = {"Authorization": f"Bearer {config.current_token()}"} if config.current_token() else {}
        self.http = httpx.Client(base_url=config.server, verify=verify, headers=headers, timeout=30)

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        api_version, kind = obj["apiVersion"], obj["kind"]
        name, namespace = obj["metadata"]["name"], obj["metadata"].get("namespace")
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        plural = {
            "CustomResourceDefinition": "customresourcedefinitions",
            "ClusterRole": "clusterroles",
            "ClusterRoleBinding": "clusterrolebindings",
        }.get(kind, kind.lower() + "s")
        path = f"{base}/namespaces/{namespace}/{plural}/{name}" if namespace else f"{base}/{plural}/{name}"
        response = self.http.patch(
            path,
            params={"fieldManager": "eci-demo", "force": "true"},
            content=json.dumps(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"applying {kind} {name}: {response.status_code} {response.text}")
        return dict(response.json())

    def wait_crd(self, name: str) -> None:
        for _ in range(100):
            body = self.http.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").json()
            if any(
                c["type"] == "Established" and c["status"] == "True"
                for c in body.get("status", {}).get("conditions", [])
            ):
                return
            time.sleep(0.1)
        raise TimeoutError(f"CRD {name} not established")

    def cg(self, name: str) -> dict[str, Any] | None:
        response = self.http.get(f"{CG_PATH}/{name}")
        return None if response.status_code == 404 else dict(response.json())

    def wait(
        self, name: str, what: str, predicate: Callable[[dict[str, Any] | None], bool], timeout: float = 90
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.cg(name)
            if predicate(body):
                return body
            time.sleep(0.3)
        raise TimeoutError(f"{name} did not become {what}: {json.dumps(self.cg(name))[:2000]}")

    def events(self, name: str) -> list[dict[str, Any]]:
        items = self.http.get(f"/api/v1/namespaces/{NAMESPACE}/events").json()["items"]
        return sorted(
            (e for e in items if e["involvedObject"]["name"] == name),
            key=lambda e: e.get("lastTimestamp") or "",
        )


def ready(body: dict[str, Any] | None, generation: int = 1) -> bool:
    if body is None or (body.get("status") or {}).get("observedGeneration") != generation:
        return False
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (body.get("status") or {}).get("conditions", [])
    )


def summary(body: dict[str, Any]) -> dict[str, Any]:
    status = body.get("status") or {}
    return {
        "generation": body["metadata"]["generation"],
        "status": {
            k: status.get(k)
            for k in ("observedGeneration", "containerGroupId", "phase", "intranetIp", "plan")
            if status.get(k) is not None
        }
        | {
            "conditions": [
                f"{c['type']}={c['status']} ({c['reason']}) {c['message']}"
                for c in status.get("conditions", [])
            ]
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def control_plane(workdir: Path) -> Iterator[tuple[Path, Path | None]]:
    """(admin kubeconfig, operator kubeconfig or None to reuse the admin one)."""
    if os.environ.get("KUBECONFIG"):
        say(f"Using the cluster of $KUBECONFIG ({os.environ['KUBECONFIG']})")
        yield Path(os.environ["KUBECONFIG"].split(os.pathsep)[0]), None
        return
    from tests.kube.testenv import running_testenv

    say("Starting kube-testenv (a real kube-apiserver + etcd)")
    with running_testenv(workdir) as env:
        yield env.kubeconfig, workdir / "operator.kubeconfig"


def main() -> int:
    from tests.support.emulator import launch

    workdir = Path(tempfile.mkdtemp(prefix="eci-demo-"))
    with control_plane(workdir) as (admin_kubeconfig, operator_kubeconfig):
        kube = Kube(load_config(str(admin_kubeconfig)))
        say("Installing the CRD, namespace, ServiceAccount and RBAC from crds/ and deploy/")
        for path in (
            REPO / "crds" / "containergroup.yaml",
            *(REPO / "deploy" / n for n in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml")),
        ):
            for obj in yaml.safe_load_all(path.read_text()):
                if obj:
                    kube.apply(obj)
                    print(f"   {obj['kind']}/{obj['metadata']['name']}")
        kube.wait_crd("containergroups.eci.operator.dev")
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        if operator_kubeconfig is not None:
            from tests.kube.testenv import KubeEnv

            data = json.loads((workdir / "env.json").read_text())
            env = KubeEnv(
                dir=workdir,
                kubeconfig=admin_kubeconfig,
                server=data["server"],
                ca_file=Path(data["ca_file"]),
                tokens=data["tokens"],
            )
            env.serviceaccount_kubeconfig("eci-operator-system", "eci-operator", operator_kubeconfig)
            env.close()
            print(
                "   the operator will run as ServiceAccount eci-operator-system/eci-operator (TokenRequest)"
            )

        say("Starting the ECI emulator")
        emulator = launch(transition_delay=1.0)
        print(f"   {emulator.url}")
        operator_log = workdir / "operator.log"
        liveness = free_port()
        say("Starting the operator: eci-operator run --namespace eci-demo --resync-interval 10")
        with operator_log.open("wb") as log:
            operator = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "eci_operator.cli",
                    "run",
                    "--namespace",
                    NAMESPACE,
                    "--eci-endpoint",
                    emulator.url,
                    "--resync-interval",
                    "10",
                    "--liveness",
                    f"http://127.0.0.1:{liveness}/healthz",
                    "--cluster-id",
                    "demo",
                ],
                env={
                    **os.environ,
                    "KUBECONFIG": str(operator_kubeconfig or admin_kubeconfig),
                    "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id or "",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret or "",
                },
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            return demo(kube, emulator, operator, operator_log, kubectl_view(admin_kubeconfig))
        finally:
            operator.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                operator.wait(15)
            if operator.poll() is None:
                operator.kill()
            emulator.stop()
            print(f"\n(operator log: {operator_log})")


def demo(
    kube: Kube, emulator: Any, operator: subprocess.Popen[bytes], log: Path, view: Callable[[], None]
) -> int:
    documents = [d for d in yaml.safe_load_all(EXAMPLE.read_text()) if d]
    say(f"kubectl apply -f {EXAMPLE.relative_to(REPO)}")
    for obj in documents:
        obj["metadata"]["namespace"] = NAMESPACE
        kube.apply(obj)
        print(f"   {obj['kind']}/{obj['metadata']['name']} applied")
    name = next(d["metadata"]["name"] for d in documents if d["kind"] == "ContainerGroup")

    say("Waiting for Ready (kubectl wait --for=condition=Ready)")
    body = kube.wait(name, "Ready", lambda b: ready(b, 1))
    show(summary(body))
    view()
    group_id = body["status"]["containerGroupId"]
    instance = emulator.instance(group_id)
    print(f"   ECI instance {group_id}: {instance['Status']}, image {instance['Containers'][0]['Image']}")

    say("Editing the image (nginx:1.27 -> nginx:1.28)")
    containers = body["spec"]["containers"]
    containers[0]["image"] = containers[0]["image"].replace("1.27", "1.28")
    emulator.clear_requests()
    kube.http.patch(
        f"{CG_PATH}/{name}",
        json={"spec": {"containers": containers}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()
    progressing = kube.wait(
        name, "updating", lambda b: b is not None and (b.get("status") or {}).get("observedGeneration") == 2
    )
    show(summary(progressing))
    view()
    body = kube.wait(name, "Ready again", lambda b: ready(b, 2))
    show(summary(body))
    view()
    for request in emulator.requests():
        if not request["Action"].startswith("Describe"):  # the edit's writes, not the reads
            groups = sorted({k.split(".")[0] for k in request["Params"] if "." in k})
            print(f"   ECI {request['Action']} sent groups: {', '.join(groups)}")
    for event in kube.events(name):
        print(f"   event {event['type']:7} {event['reason']:14} {event['message']}")
    instance = emulator.instance(group_id)
    print(
        f"   ECI instance {group_id}: {instance['Status']}, image {instance['Containers'][0]['Image']}, "
        f"restarts {instance['Containers'][0].get('RestartCount')}"
    )

    say(f"kubectl delete containergroup {name}")
    kube.http.delete(f"{CG_PATH}/{name}").raise_for_status()
    kube.wait(name, "deleted", lambda b: b is None)
    remaining = emulator.instance(group_id)
    state = "gone" if remaining is None else remaining["Status"]
    print(f"   ContainerGroup gone; ECI instance {group_id}: {state}")
    if remaining is not None:
        return 1
    say("Demo complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
