"""``eci-operator render -f FILE ...``: the ECI parameters a ContainerGroup translates to."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eci_operator.api.containergroup import ContainerGroup
    from eci_operator.translate import Desired, References

HELP = (
    "print the flattened ECI parameters of a ContainerGroup (with the Secrets/ConfigMaps in the same "
    "files) as one JSON object; Secret values are masked unless --show-secrets"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_files_argument(parser, "YAML file with a ContainerGroup and any Secrets/ConfigMaps it refers to")
    parser.add_argument(
        "--action",
        choices=("CreateContainerGroup", "UpdateContainerGroup"),
        default="CreateContainerGroup",
        help="which request to render (default CreateContainerGroup; Update carries every updatable group)",
    )
    parser.add_argument("--show-secrets", action="store_true", help="print Secret-derived values in clear")


def run(args: argparse.Namespace) -> int:
    import json

    from eci_operator.translate.parameters import parameter_sort_key, parameters

    loaded = translated(args.files)
    if loaded is None:
        return 1
    group, _, desired = loaded
    params = parameters(
        desired,
        args.action,
        show_secrets=args.show_secrets,
        container_group_id=group.spec.container_group_id,
    )
    ordered = {k: params[k] for k in sorted(params, key=parameter_sort_key)}
    print(json.dumps(ordered, indent=2, ensure_ascii=False))
    return 0


def add_files_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``-f FILE`` (repeatable, ``-`` = stdin): the manifests ``load_group`` reads."""
    parser.add_argument(
        "-f",
        "--filename",
        dest="files",
        action="append",
        required=True,
        metavar="FILE",
        help=f"{what} ('-' = stdin); repeatable",
    )


class ManifestError(Exception):
    """The files do not hold exactly one readable ContainerGroup."""


def read_documents(files: Iterable[str]) -> list[dict[str, Any]]:
    """Every mapping document of the YAML files (``kind: List`` items flattened)."""
    import yaml

    docs: list[dict[str, Any]] = []
    for name in files:
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                with open(name, encoding="utf-8") as handle:
                    text = handle.read()
            loaded = list(yaml.safe_load_all(text))
        except OSError as exc:
            raise ManifestError(f"{name}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ManifestError(f"{name}: not valid YAML: {exc}") from None
        for doc in loaded:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise ManifestError(f"{name}: every document must be a mapping")
            if doc.get("kind") == "List":
                docs.extend(d for d in doc.get("items") or [] if isinstance(d, dict))
            else:
                docs.append(doc)
    return docs


def load_group(files: Iterable[str]) -> tuple[ContainerGroup, References]:
    """The one ContainerGroup in ``files`` and the Secrets/ConfigMaps next to it
    (raises ``ManifestError`` or ``TranslationError``)."""
    from eci_operator.translate import References, parse_group

    docs = read_documents(files)
    groups = [d for d in docs if d.get("kind") == "ContainerGroup"]
    if len(groups) != 1:
        raise ManifestError(f"expected exactly one ContainerGroup in the files, found {len(groups)}")
    group = parse_group(groups[0])
    # A ContainerGroup uses only its own namespace's objects; one that names no namespace is
    # applied wherever the user's context points, and so are the objects next to it.
    namespace = (groups[0].get("metadata") or {}).get("namespace")
    try:
        refs = References.from_objects(docs, namespace=namespace)
    except ValueError as exc:
        raise ManifestError(str(exc)) from None
    return group, refs


def translated(files: Iterable[str]) -> tuple[ContainerGroup, References, Desired] | None:
    """``load_group`` and the translation; None, after saying why on stderr, when either refuses."""
    from eci_operator.translate import TranslationError, translate

    try:
        group, refs = load_group(files)
        return group, refs, translate(group, refs)
    except (ManifestError, TranslationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
