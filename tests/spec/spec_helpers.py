"""Reading ``spec/webwork-v2.openapi.yaml`` for the spec tests: its operations, schemas and
examples, with ``$ref`` and ``allOf`` resolved."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "webwork-v2.openapi.yaml"
HTTP_METHODS = ("get", "post", "put", "delete", "patch")

Schema = dict[str, Any]


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec as plain data (YAML anchors expanded). Treat it as read-only."""
    with SPEC_PATH.open(encoding="utf-8") as file:
        loaded: dict[str, Any] = yaml.safe_load(file)
    return loaded


def resolve(node: Any) -> Any:
    """``node`` with its ``$ref`` followed (repeatedly); other nodes as they are."""
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        if not reference.startswith("#/"):
            raise ValueError(f"only local references are used in the spec: {reference}")
        node = load_spec()
        for part in reference[2:].split("/"):
            node = node[part]
    return node


def flatten(node: Any) -> Schema:
    """A schema with its ``$ref`` followed and its ``allOf`` merged into one object.

    Properties and required names of the parts are united; other keywords of the outer schema
    win (``nullable``, ``description``, ``default`` next to an ``allOf``).
    """
    node = resolve(node)
    if not isinstance(node, dict):
        raise TypeError(f"not a schema: {node!r}")
    merged: Schema = {}
    for part in node.get("allOf", ()):
        flat = flatten(part)
        properties = {**merged.get("properties", {}), **flat.pop("properties", {})}
        required = [*merged.get("required", []), *flat.pop("required", [])]
        merged.update(flat)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = list(dict.fromkeys(required))
    for key, value in node.items():
        if key == "allOf":
            continue
        if key == "properties":
            merged["properties"] = {**merged.get("properties", {}), **value}
        elif key == "required":
            merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
        else:
            merged[key] = value
    return merged


def component_schema(name: str) -> Schema:
    """``components/schemas/<name>``, flattened."""
    return flatten(load_spec()["components"]["schemas"][name])


def ref_name(node: Any) -> str | None:
    """The component a schema refers to (directly or as its only ``allOf`` part), if any."""
    if not isinstance(node, dict):
        return None
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    parts = node.get("allOf", ())
    if len(parts) == 1:
        return ref_name(parts[0])
    return None


@dataclass(frozen=True)
class Operation:
    """One operation of the spec."""

    method: str
    path: str
    operation_id: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def request_schema(self) -> Schema | None:
        """The flattened JSON request body schema, if the operation takes a body."""
        body = self.definition.get("requestBody")
        if body is None:
            return None
        return flatten(resolve(body)["content"]["application/json"]["schema"])

    def success(self) -> tuple[int, Schema, Any]:
        """The 2xx status, the flattened schema of its JSON body, and its example."""
        for status, answer in self.definition["responses"].items():
            if str(status).startswith("2"):
                media = resolve(answer)["content"]["application/json"]
                return int(status), flatten(media["schema"]), media["example"]
        raise LookupError(f"{self.label} documents no 2xx answer")


def operations() -> Iterator[Operation]:
    """Every operation, in the order of the file."""
    for path, item in load_spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                definition = item[method]
                yield Operation(method, path, definition["operationId"], definition)


def operation(operation_id: str) -> Operation:
    """The operation with this ``operationId``."""
    for candidate in operations():
        if candidate.operation_id == operation_id:
            return candidate
    raise LookupError(f"no operation {operation_id!r} in the spec")
