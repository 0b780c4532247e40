"""Helpers shared by the test folders: plain modules, imported where needed (no pytest magic).

- ``cluster``: ``Cluster`` (ContainerGroups, Secrets, ConfigMaps and Events in one namespace, as
  the cluster admin), ``condition``, ``is_ready``, ``is_stalled``
- ``operator``: ``Operator`` (one ``eci-operator run`` process), ``install_operator_access``,
  ``free_port``, ``free_ports``, ``listening_addresses``
- ``access``: ``allowed`` (a SubjectAccessReview for a ServiceAccount)
- ``audit``: ``AuditLog`` (the apiserver's record of every ServiceAccount request and its answer)
- ``kustomize``: ``build`` and ``overlay`` (deploy/ as ``kubectl apply -k`` sees it)
- ``manifests``: ``container_group`` (the ContainerGroup manifest every test starts from)
- ``emulator``: ``EmulatorHandle`` and ``launch`` (an ``eci-operator emulator`` process)
- ``tools``: the GitOps tools from ``tests/gitops-tools`` (``Kubectl``, ``kstatus``, ``argo_health``,
  ``helm``)
- ``access``: SubjectAccessReview tables of what a ServiceAccount may do
- ``build``: ``built``, a Go-built test binary, made with its make target when missing

Pytest fixtures that wrap them live in the conftest files and in ``tests.kube.testenv`` /
``tests.emulator.fixtures`` (registered as plugins in ``tests/conftest.py``).
"""
