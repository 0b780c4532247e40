"""A local ECI service for development, demos and tests (``eci-operator emulator``).

It answers the ECI RPC API on loopback as the cloud would: both signature schemes with the
gateway's error codes, the parameter rules and codes of CreateContainerGroup and
UpdateContainerGroup, the instance lifecycle over time, quotas, ClientToken idempotency and
injected faults. Modules:

- ``server``: the aiohttp application (ECI endpoint at ``/``, admin API at ``/_emulator/``, exec
  sessions at ``/exec/``)
- ``auth``: signature, access key, timestamp and nonce checks (signing from ``eci.signing``)
- ``params`` / ``schema``: the emulator's own unflattening of wire parameters, per action
- ``validation`` / ``specs``: cross-field rules and the vCPU/memory table
- ``actions`` / ``updates``: the actions, and UpdateContainerGroup's rules as a plan
- ``tags``: the tag API (TagResources, UntagResources, ListTagResources)
- ``logs``: DescribeContainerLog (admin ``POST /_emulator/instances/{id}/logs`` appends lines)
- ``execs``: ExecContainerCommand (Sync commands; interactive sessions on the ``/exec/`` WebSocket)
- ``describing``: request shapes → the names and shapes DescribeContainerGroups returns
- ``state``: instances, lazily applied lifecycle steps, ClientToken answers
- ``admin``: seeding and out-of-band patches; ``quotas``, ``faults``, ``persistence``
"""
