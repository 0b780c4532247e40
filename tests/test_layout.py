"""The source tree's shape: one name per idea, and no import cycles.

A module name tells a stranger what is inside only if it means one thing wherever it appears, so a
basename may recur in two packages only when it names the same idea in both (the allowlist below
says which idea). Import cycles are what layers exist to prevent; import-linter checks the layers
it is told about, this checks every module, the tests included.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
TREES = (ROOT / "operator" / "eci_operator", ROOT / "tests")
GO_PROGRAMS = (ROOT / "tests" / "kube-testenv", ROOT / "tests" / "gitops-tools")

# Basenames that mean the same idea in every package that has one. Test modules (``test_*``) are
# not checked: each names what it tests, and two levels (the reconciler, the process) may test one thing.
SAME_IDEA = {
    "__init__": "a package itself",
    "conftest": "pytest's fixtures for the tests of one folder",
    "errors": "the exceptions a package raises (the client's, the translator's refusals, the emulator's)",
    "quotas": "ECI's per-action request quotas (the client's token buckets, the emulator's enforcement)",
    "crd": "the ContainerGroup CRD (generated in api, printed by the `crd` subcommand)",
    "plan": "the Plan of an edit (made in translate, printed by `eci-operator plan` and `kubectl eci plan`)",
    "export": "a manifest that adopts an instance (made in translate, printed by `kubectl eci export`)",
    "logs": "an instance's container logs (DescribeContainerLog: the emulator serves, kubectl eci reads)",
    "feeds": "ECI's change feeds (DescribeContainerGroupStatus/Events: the emulator serves, eci reads)",
    "emulator": "the local ECI emulator (the subcommand that runs it, the tests' handle on that process)",
    "sts": "STS's AssumeRole and AssumeRoleWithOIDC (the emulator serves, eci asks for temporary keys)",
    "corpus": "a test folder's corpus of manifest files and their loader",
}


def modules() -> dict[str, list[Path]]:
    """Every Python module of the package and the tests, by basename."""
    found: dict[str, list[Path]] = defaultdict(list)
    for tree in TREES:
        for path in tree.rglob("*.py"):
            if not any(path.is_relative_to(go) for go in GO_PROGRAMS):
                found[path.stem].append(path.relative_to(ROOT))
    return found


def test_no_basename_means_two_things() -> None:
    clashes = {
        name: sorted(str(p) for p in paths)
        for name, paths in modules().items()
        if len({p.parent for p in paths}) > 1 and name not in SAME_IDEA and not name.startswith("test_")
    }
    assert clashes == {}, (
        "modules in different packages share a name; rename one so each name says what it holds, "
        f"or add the name to SAME_IDEA if it really is one idea: {clashes}"
    )


def test_every_allowed_name_is_still_shared() -> None:
    """The allowlist only lists names that recur, so it cannot quietly excuse a future clash."""
    shared = {name for name, paths in modules().items() if len({p.parent for p in paths}) > 1}
    assert set(SAME_IDEA) - shared == set()


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.find_modules_directly_imported_by(target)))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1 or graph.direct_import_exists(importer=module, imported=module):
                    found.append(sorted(group))
    return found


def test_no_import_cycles() -> None:
    """Imports under ``TYPE_CHECKING`` count too: a cycle hidden there is still a tangle to read."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("eci_operator", "tests", cache_dir=None)
    assert "eci_operator.controller.reconciler" in graph.modules  # the graph is the real one
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.one", "a.two", "a.three", "a.four"):
        graph.add_module(module)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.three")
    graph.add_import(importer="a.three", imported="a.one")
    graph.add_import(importer="a.four", imported="a.one")
    assert cycles(graph) == [["a.one", "a.three", "a.two"]]
