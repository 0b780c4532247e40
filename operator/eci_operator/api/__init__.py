"""Pure pydantic models of the ContainerGroup resource and CRD generation (no I/O)."""
