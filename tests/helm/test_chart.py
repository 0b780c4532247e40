"""The Helm chart (charts/eci-operator) with Helm v4 itself: lint, template, install, upgrade, uninstall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import kustomize
from tests.support.access import access_table
from tests.support.operator import REPO, SA_NAME, SA_NAMESPACE
from tests.support.tools import checked, helm

pytestmark = pytest.mark.kube  # the Go-built tools

CHART = REPO / "charts" / "eci-operator"
DEPLOY = REPO / "deploy"
CRD_NAME = "containergroups.eci.operator.dev"


def render(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    out = checked(helm("template", "eci", str(CHART), "--namespace", "eci-system", *args, home=tmp_path))
    return [doc for doc in yaml.safe_load_all(out) if doc]


def template_error(tmp_path: Path, *args: str) -> str:
    result = helm("template", "eci", str(CHART), *args, home=tmp_path)
    assert result.returncode != 0, result.stdout
    return result.stderr


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def deploy_rules() -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()) if d]
    (role,) = of_kind(docs, "ClusterRole")
    rules: list[dict[str, Any]] = role["rules"]
    return rules


def deploy_lease_rules() -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()) if d]
    (role,) = of_kind(docs, "Role")
    rules: list[dict[str, Any]] = role["rules"]
    return rules


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = of_kind(docs, "Deployment")
    (operator,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(operator)


def test_lint_is_clean(tmp_path: Path) -> None:
    result = helm("lint", "--strict", str(CHART), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith(("[WARNING]", "[ERROR]"))]


def test_crd_is_the_generated_one_and_not_templated(tmp_path: Path) -> None:
    for name in ("containergroup.yaml", "eciaccount.yaml"):
        assert (CHART / "crds" / name).read_text() == (REPO / "crds" / name).read_text()
    assert not of_kind(render(tmp_path), "CustomResourceDefinition")  # crds/ is installed, never rendered
    with_crds = render(tmp_path, "--include-crds")
    assert sorted(d["metadata"]["name"] for d in of_kind(with_crds, "CustomResourceDefinition")) == [
        CRD_NAME,
        "eciaccounts.eci.operator.dev",
    ]


def test_default_render_matches_deploy(tmp_path: Path) -> None:
    docs = render(tmp_path)
    assert sorted(d["kind"] for d in docs) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    (role,) = of_kind(docs, "ClusterRole")
    assert role["rules"] == deploy_rules()
    (binding,) = of_kind(docs, "ClusterRoleBinding")
    (account,) = of_kind(docs, "ServiceAccount")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "eci-system"}
    ]

    deploy = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    (deployment,) = of_kind(docs, "Deployment")
    pod, reference = deployment["spec"]["template"]["spec"], deploy["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == deploy["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == deploy["spec"]["strategy"]
    assert pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    (lease_role,) = of_kind(docs, "Role")
    assert lease_role["metadata"]["namespace"] == "eci-system"
    assert lease_role["rules"] == deploy_lease_rules()  # create, and get/update of its own Lease only
    (lease_binding,) = of_kind(docs, "RoleBinding")
    assert lease_binding["roleRef"]["name"] == lease_role["metadata"]["name"]
    (budget,) = of_kind(docs, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert pod["securityContext"] == reference["securityContext"]
    assert container(docs)["securityContext"] == reference["containers"][0]["securityContext"]
    assert container(docs)["image"] == "eci-operator:0.1.0"  # the chart's appVersion
    args = container(docs)["args"]
    assert args[0] == "run" and not [a for a in args if a.startswith("--namespace")]
    assert "--resync-interval=600" in args and "--feed-interval=5" in args and "--metrics-port=9090" in args
    reference_args = reference["containers"][0]["args"]
    assert {a for a in reference_args if a.startswith(("--resync", "--feed"))} == {
        a for a in args if a.startswith(("--resync", "--feed"))
    }, "the chart and deploy/ run the same sweep and feed intervals"
    assert "--leader-elect" in args and "--leader-election-namespace=eci-system" in args


def test_one_replica_without_leader_election(tmp_path: Path) -> None:
    docs = render(tmp_path, "--set", "replicas=1", "--set", "leaderElection.enabled=false")
    (deployment,) = of_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert not of_kind(docs, "Role") and not of_kind(docs, "PodDisruptionBudget")
    assert not [a for a in container(docs)["args"] if a.startswith("--leader")]
    assert "leaderElection.enabled" in template_error(tmp_path, "--set", "leaderElection.enabled=false")


def test_shards_pass_the_flag_and_grant_deploy_shardeds_lease_rule(tmp_path: Path) -> None:
    assert "--shards" not in " ".join(container(render(tmp_path))["args"])  # default: one leader
    docs = render(tmp_path, "--set", "replicas=3", "--set", "leaderElection.shards=3")
    assert "--shards=3" in container(docs)["args"]
    (lease_role,) = of_kind(docs, "Role")
    sharded = [d for d in yaml.safe_load_all((DEPLOY / "sharded" / "rbac.yaml").read_text()) if d]
    (sharded_role,) = of_kind(sharded, "Role")
    assert lease_role["rules"] == deploy_lease_rules() + sharded_role["rules"]
    message = template_error(
        tmp_path, "--set", "leaderElection.shards=3", "--set", "leaderElection.enabled=false"
    )
    assert "leaderElection.shards" in message


def test_watched_namespaces_bind_the_same_rules_there_only(tmp_path: Path) -> None:
    """As deploy/namespaced: the ClusterRole stays the one list of rules, a RoleBinding grants it in
    each watched namespace, and nothing is bound cluster-wide."""
    docs = render(tmp_path, "--set", "watchNamespaces={shop,team-b}")
    (role,) = of_kind(docs, "ClusterRole")
    assert role["rules"] == deploy_rules()
    assert not of_kind(docs, "ClusterRoleBinding")
    (lease_role,) = of_kind(docs, "Role")  # the Lease's, in the release namespace only
    assert lease_role["metadata"]["namespace"] == "eci-system"
    bindings = [b for b in of_kind(docs, "RoleBinding") if b["roleRef"]["kind"] == "ClusterRole"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["shop", "team-b"]
    reference = yaml.safe_load((DEPLOY / "namespaced" / "rolebinding.yaml").read_text())
    (account,) = of_kind(docs, "ServiceAccount")
    for binding in bindings:
        assert binding["roleRef"] == {**reference["roleRef"], "name": role["metadata"]["name"]}
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "eci-system"}
        ]
    assert [a for a in container(docs)["args"] if a.startswith("--namespace")] == [
        "--namespace=shop",
        "--namespace=team-b",
    ]


def test_credentials(tmp_path: Path) -> None:
    env = {
        e["name"]: e
        for e in container(render(tmp_path, "--set", "credentials.existingSecret=eci-keys"))["env"]
    }
    assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {
        "name": "eci-keys",
        "key": "accessKeyId",
    }
    assert env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "eci-keys",
        "key": "accessKeySecret",
    }
    assert "ALIBABA_CLOUD_SECURITY_TOKEN" not in env

    role, provider = "acs:ram::123456:role/eci-operator", "acs:ram::123456:oidc-provider/ack-rrsa-c1"
    docs = render(
        tmp_path,
        "--set",
        f"credentials.rrsa.roleArn={role}",
        "--set",
        f"credentials.rrsa.oidcProviderArn={provider}",
    )
    env = {e["name"]: e.get("value") for e in container(docs)["env"]}
    assert env["ALIBABA_CLOUD_ROLE_ARN"] == role and env["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] == provider
    (deployment,) = of_kind(docs, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (source,) = volumes["rrsa-token"]["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "sts.aliyuncs.com"
    mounts = {m["name"]: m["mountPath"] for m in container(docs)["volumeMounts"]}
    assert f"{mounts['rrsa-token']}/token" == env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"]

    docs = render(
        tmp_path, "--set", "serviceAccount.annotations.pod-identity\\.alibabacloud\\.com/role-name=eci"
    )
    (account,) = of_kind(docs, "ServiceAccount")
    assert account["metadata"]["annotations"] == {"pod-identity.alibabacloud.com/role-name": "eci"}

    assert "oidcProviderArn is required" in template_error(
        tmp_path, "--set", f"credentials.rrsa.roleArn={role}"
    )


def test_account_token_is_off_by_default_and_as_deploy_component_when_on(tmp_path: Path) -> None:
    """EciAccounts with credentials.rrsa read a projected token for STS; the chart's and
    deploy/account-token's are the same volume at the same path."""

    def token(docs: list[dict[str, Any]]) -> tuple[Any, Any]:
        (deployment,) = of_kind(docs, "Deployment")
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        (operator,) = deployment["spec"]["template"]["spec"]["containers"]
        mounts = {m["name"]: m for m in operator["volumeMounts"]}
        return volumes.get("account-token"), mounts.get("account-token")

    assert token(render(tmp_path)) == (None, None)
    volume, mount = token(render(tmp_path, "--set", "accountToken.enabled=true"))
    assert (volume, mount) == token(
        kustomize.build(
            kustomize.overlay(
                tmp_path / "overlay",
                {"resources": [str(DEPLOY)], "components": [str(DEPLOY / "account-token")]},
            )
        )
    )
    (source,) = volume["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "sts.aliyuncs.com"
    assert (
        f"{mount['mountPath']}/{source['serviceAccountToken']['path']}"
        == "/var/run/secrets/eci-accounts/token"
    )


def test_metrics_and_service_monitor(tmp_path: Path) -> None:
    assert not of_kind(render(tmp_path), "ServiceMonitor")
    docs = render(tmp_path, "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.port=9100")
    (monitor,) = of_kind(docs, "ServiceMonitor")
    (service,) = of_kind(docs, "Service")
    assert monitor["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert service["spec"]["ports"][0]["port"] == 9100 and "--metrics-port=9100" in container(docs)["args"]
    off = render(tmp_path, "--set", "metrics.enabled=false", "--set", "metrics.serviceMonitor.enabled=true")
    assert not of_kind(off, "Service") and not of_kind(off, "ServiceMonitor")
    assert not [a for a in container(off)["args"] if a.startswith("--metrics-port")]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("resyncInterval=0", "resyncInterval"),
        ("metrics.port=70000", "metrics/port"),
        ("logFormat=xml", "logFormat"),
        ("watchNamespaces={Team_A}", "watchNamespaces/0"),
        ("resyncIntervall=5", "resyncIntervall"),
        ("credentials.rrsa.roleArn=arn:aws:iam::1:role/x", "credentials/rrsa/roleArn"),
        ("leaderElection.shards=0", "leaderElection/shards"),
    ],
)
def test_values_schema_refuses_bad_values_naming_them(tmp_path: Path, value: str, field: str) -> None:
    message = template_error(tmp_path, "--set", value)
    assert "values don't meet the specifications of the schema" in message, message
    assert field in message, message


# -- against a real apiserver ---------------------------------------------------------------------


def crd_identity(kube_env: Any) -> tuple[str, str]:
    response = kube_env.http().get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD_NAME}")
    response.raise_for_status()
    meta = response.json()["metadata"]
    return meta["uid"], meta["resourceVersion"]


def exists(kube_env: Any, path: str) -> bool:
    status: int = kube_env.http().get(path).status_code
    assert status in (200, 404), status
    return status == 200


def test_install_upgrade_uninstall(private_control_plane: Any, tmp_path: Path) -> None:
    """Install on a cluster without the CRD and compare the installed ServiceAccount's rights with
    deploy/'s; upgrade to one watched namespace and compare with deploy/namespaced's (the CRD
    untouched); uninstall (the CRD stays, as Helm leaves crds/)."""
    kube_env = private_control_plane.env
    kubeconfig = kube_env.kubeconfig

    def run(*args: str) -> str:
        return checked(helm(*args, kubeconfig=kubeconfig, home=tmp_path))

    # deploy/ as kustomize users install it, as the reference
    for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml"):
        kube_env.apply(DEPLOY / name)
    for namespace in ("shop", "other"):
        kube_env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})

    notes = run("install", "eci", str(CHART), "--namespace", "eci-system", "--create-namespace")
    assert "It manages ContainerGroups in all namespaces." in notes
    uid, version = crd_identity(kube_env)
    kube_env.wait_crd_established(CRD_NAME)
    account = "eci-eci-operator"
    chart_sa = ("eci-system", account)
    assert exists(kube_env, f"/api/v1/namespaces/eci-system/serviceaccounts/{account}")
    assert exists(kube_env, "/apis/apps/v1/namespaces/eci-system/deployments/eci-eci-operator")

    deploy_sa = (SA_NAMESPACE, SA_NAME)
    reference = access_table(kube_env, deploy_sa, "shop")
    assert any(reference.values()) and not all(reference.values())
    assert access_table(kube_env, chart_sa, "shop") == reference
    assert access_table(kube_env, chart_sa, "other") == reference  # cluster-wide
    assert access_table(kube_env, chart_sa, "") == access_table(kube_env, deploy_sa, "")

    # deploy/'s reference becomes the namespaced install: the component removes the
    # ClusterRoleBinding, deploy/namespaced/rolebinding.yaml grants the ClusterRole in shop
    response = kube_env.http().delete("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eci-operator")
    assert response.status_code == 200, response.text
    kube_env.apply(DEPLOY / "namespaced" / "rolebinding.yaml")

    # upgrade: only shop watched; the CRD is the same object, not even rewritten
    notes = run("upgrade", "eci", str(CHART), "-n", "eci-system", "--set", "watchNamespaces={shop}")
    assert "It manages ContainerGroups in the namespaces shop." in notes
    assert crd_identity(kube_env) == (uid, version)
    assert not exists(kube_env, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eci-eci-operator")
    for namespace in ("shop", "other", ""):
        assert access_table(kube_env, chart_sa, namespace) == access_table(kube_env, deploy_sa, namespace)
    assert not any(access_table(kube_env, chart_sa, "other").values())
    history = run("history", "eci", "--namespace", "eci-system", "-o", "yaml")
    assert [h["revision"] for h in yaml.safe_load(history)] == [1, 2]

    run("uninstall", "eci", "--namespace", "eci-system", "--wait")
    assert not exists(kube_env, f"/api/v1/namespaces/eci-system/serviceaccounts/{account}")
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    assert not exists(kube_env, f"{rbac}/namespaces/shop/rolebindings/eci-eci-operator")
    assert not exists(kube_env, f"{rbac}/clusterroles/eci-eci-operator")
    assert crd_identity(kube_env) == (uid, version)  # Helm leaves crds/ in place
