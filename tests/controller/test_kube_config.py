"""Kubernetes credentials are read from kubeconfig files the way kubectl reads them."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from eci_operator.controller.kube import load_config


def write(path: Path, user: dict[str, str], cluster: dict[str, object]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": cluster}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "ops"}}],
                "current-context": "x",
            }
        )
    )
    return path


def test_token_and_relative_ca(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("PEM")
    config = load_config(
        str(
            write(
                tmp_path / "kc",
                {"token": "abc"},
                {"server": "https://h:6443/", "certificate-authority": "ca.crt"},
            )
        )
    )
    assert config.server == "https://h:6443"
    assert config.current_token() == "abc"
    assert config.ca_path == str(tmp_path / "ca.crt")
    assert config.default_namespace == "ops"


def test_embedded_certificates_are_materialised(tmp_path: Path) -> None:
    data = base64.b64encode(b"PEM").decode()
    config = load_config(
        str(
            write(
                tmp_path / "kc",
                {"client-certificate-data": data, "client-key-data": data},
                {"server": "https://h", "certificate-authority-data": data},
            )
        )
    )
    assert config.ca_path and Path(config.ca_path).read_bytes() == b"PEM"
    assert config.cert_path and Path(config.cert_path).read_bytes() == b"PEM"
    assert config.key_path and Path(config.key_path).read_bytes() == b"PEM"


def test_token_file_is_reread(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    config = load_config(str(write(tmp_path / "kc", {"tokenFile": str(token)}, {"server": "https://h"})))
    assert config.current_token() == "one"
    token.write_text("two")  # projected ServiceAccount tokens rotate
    assert config.current_token() == "two"


def test_unknown_context_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump({"current-context": "nope", "contexts": []}))
    with pytest.raises(ValueError, match="nope"):
        load_config(str(path))
    kc = write(tmp_path / "kc2", {"token": "abc"}, {"server": "https://h"})
    with pytest.raises(ValueError, match="other"):
        load_config(str(kc), context="other")


def test_files_of_kubeconfig_merge_and_a_context_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "a", {"token": "abc"}, {"server": "https://h"})
    second = tmp_path / "b"
    second.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "c2", "cluster": {"server": "https://other:6443"}}],
                "users": [{"name": "u2", "user": {"token": "def"}}],
                "contexts": [{"name": "y", "context": {"cluster": "c2", "user": "u2"}}],
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    assert load_config().server == "https://h"
    other = load_config(context="y")
    assert (other.server, other.current_token(), other.default_namespace) == (
        "https://other:6443",
        "def",
        None,
    )


def test_an_exec_credential_plugin_gives_the_token(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    plugin.write_text(
        "#!/bin/sh\n"
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
        '"status":{"token":"from-plugin"}}\'\n'
    )
    plugin.chmod(0o755)
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}}
    config = load_config(str(write(tmp_path / "kc", exec_user, {"server": "https://h"})))  # type: ignore[arg-type]
    assert config.current_token() == "from-plugin"


def test_run_refuses_a_context_the_kubeconfig_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from eci_operator.cli import main

    kc = write(tmp_path / "kc", {"token": "abc"}, {"server": "https://h"})
    assert main(["run", "--kubeconfig", str(kc), "--context", "elsewhere"]) == 1
    assert "elsewhere" in capsys.readouterr().err
