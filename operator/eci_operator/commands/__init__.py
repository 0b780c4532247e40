"""Subcommands of the ``eci-operator`` console script, one module each."""
