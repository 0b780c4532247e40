"""eci-operator: Alibaba Cloud ECI container groups as Kubernetes ContainerGroup resources.

Layers (imports point down, enforced by import-linter):

    cli, commands   the ``eci-operator`` console script and its subcommands
    handlers        Kopf glue only
    controller      reconcile logic (observe -> plan -> act -> status), Kopf-free
    emulator        a local ECI service for development, demos and tests
    translate       pure: spec -> ECI desired state; Describe -> observed; diff -> plan
    eci             the ECI client: models, flattening, signing, transport, errors, quotas
    api             pure: pydantic models of the ContainerGroup resource; CRD generation
"""

__version__ = "0.1.0"
