"""The apiserver's own record of what a ServiceAccount asked and what it was answered.

``AuditLog(directory)`` writes an audit policy that records every request made by a ServiceAccount
at the Metadata level (who, verb, URI, response code; no bodies, so no Secret value is written) and
nothing else, and gives the kube-apiserver flags that enable it (``ControlPlane(...,
apiserver_args=audit.apiserver_args)``). ``requests(user)`` parses the log: tests assert on these
structured records (``responseStatus.code``), not on anything the operator prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],  # one record per request, when answered
    "rules": [
        {"level": "Metadata", "userGroups": ["system:serviceaccounts"]},
        {"level": "None"},
    ],
}
REFUSED = (401, 403)


def serviceaccount_user(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


class AuditLog:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "audit.log"
        self.policy = directory / "audit-policy.yaml"
        self.policy.write_text(yaml.safe_dump(POLICY))

    @property
    def apiserver_args(self) -> list[str]:
        return [
            f"--audit-policy-file={self.policy}",
            f"--audit-log-path={self.path}",
            "--audit-log-format=json",
            "--audit-log-mode=blocking",  # written before the answer: complete once the client has it
        ]

    def requests(self, user: str) -> list[dict[str, Any]]:
        """Every answered request of ``user``, oldest first."""
        if not self.path.exists():
            return []
        events = (json.loads(line) for line in self.path.read_text().splitlines() if line.strip())
        return [e for e in events if e.get("user", {}).get("username") == user]

    def refused(self, user: str) -> list[dict[str, Any]]:
        """Requests of ``user`` the apiserver refused (401 Unauthorized, 403 Forbidden)."""
        return [e for e in self.requests(user) if e.get("responseStatus", {}).get("code") in REFUSED]


def summary(events: list[dict[str, Any]]) -> list[str]:
    """``VERB URI -> CODE`` per event, for assertion messages."""
    return [
        f"{e.get('verb')} {e.get('requestURI')} -> {e.get('responseStatus', {}).get('code')}" for e in events
    ]
