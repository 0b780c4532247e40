"""``$(VAR)`` references, expanded exactly as the kubelet expands them.

The kubelet expands an env value against the variables defined before it (envFrom, then earlier env
entries), and command, args and ``subPathExpr`` against all of them. ``$$`` is a literal ``$``; a
reference to an unknown variable, or one never closed, stays as written. ECI expands nothing, so
the operator does it and sends the result. (A port of k8s.io/kubernetes
``third_party/forked/golang/expansion``.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def references(text: str) -> list[str]:
    """The variable names ``text`` refers to, in order (``$$(X)`` is no reference)."""
    found: list[str] = []

    def record(name: str) -> str:
        found.append(name)
        return ""

    expand(text, record)
    return found


def expand(text: str, lookup: Callable[[str], str | None] | Mapping[str, str]) -> str:
    """``text`` with every ``$(NAME)`` that ``lookup`` knows replaced by its value."""
    get = lookup.get if isinstance(lookup, Mapping) else lookup
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_name(text[cursor + 1 :])
            if is_var:
                value = get(read)
                out.append(value if value is not None else f"$({read})")
            else:
                out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


def _read_name(rest: str) -> tuple[str, bool, int]:
    first = rest[0]
    if first == "$":  # an escaped operator
        return "$", False, 1
    if first == "(":
        end = rest.find(")", 1)
        if end != -1:
            return rest[1:end], True, end + 1
        return "$(", False, 1  # never closed: kept as written
    return "$" + first, False, 1
