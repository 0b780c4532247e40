"""The kubectl plugin ``kubectl-eci`` (``kubectl eci ...``): day-2 operations on a ContainerGroup.

One module per subcommand (``logs``, ``execute``, ``restart``, ``events``, ``export``, ``plan``),
each with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; ``session`` holds what they
share (the kubeconfig context, the ContainerGroup and its instance, the ECI client, the errors).
"""
