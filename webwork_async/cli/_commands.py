"""The ``webwork <group> <action>`` commands, made from the session's resources.

There is no command written by hand for an operation: each public method of each group becomes a
command (``ww.tasks.assign`` -> ``webwork tasks assign``), its positional ids become arguments
and its keyword arguments options, typed from the method's annotations. The library checks every
value before sending, as it does for Python callers. A list that takes a ``workspace_id`` takes
``--workspace ID`` (repeatable) or ``--all-workspaces`` and goes through its ``*_many`` bulk
form for several workspaces.
"""

from __future__ import annotations

import collections.abc
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click
from msgspec import UNSET, UnsetType

from webwork_async import AsyncSession, resources

__all__ = ["Action", "actions", "groups"]

#: Parameters that are never options: the bulk forms' own, the call options.
_HIDDEN = frozenset({"self", "workspace_ids", "progress", "projects"})
_NAMESPACE = {"Unpack": typing.Any}  # imported only under TYPE_CHECKING in the resources


@dataclass(frozen=True)
class Action:
    """One operation as a command: its group, method and, for a list, its bulk form."""

    group: str
    name: str
    method: Callable[..., Any]
    many: Callable[..., Any] | None

    @property
    def is_list(self) -> bool:
        return _returns(self.method) == "paginator"

    @property
    def per_workspace(self) -> bool:
        """Whether the command takes ``--workspace`` (several, for a list) for ``workspace_id``."""
        return "workspace_id" in inspect.signature(self.method).parameters


def groups() -> dict[str, type]:
    """The session's API groups by attribute name (``ww.time_entries``): its attributes typed
    with a class that :mod:`webwork_async.resources` exports (``ww.api`` is not one)."""
    exported = {getattr(resources, name) for name in resources.__all__}
    return {
        name: kind for name, kind in typing.get_type_hints(AsyncSession).items() if kind in exported
    }


def actions(group: str, kind: type) -> Iterator[Action]:
    """The commands of one group: every public method, a ``*_many`` only as a list's bulk form."""
    members = dict(inspect.getmembers(kind, inspect.isfunction))
    for name, method in sorted(members.items()):
        if name.startswith("_") or name.endswith("_many"):
            continue
        yield Action(group, name, method, members.get(f"{name}_many"))


def _returns(method: Callable[..., Any]) -> str:
    annotation = str(inspect.signature(method).return_annotation)
    return "paginator" if annotation.startswith("AsyncPaginator") else "value"


def _hint(method: Callable[..., Any], parameter: inspect.Parameter) -> Any:
    annotation = parameter.annotation
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules[method.__module__]
    return eval(annotation, {**vars(module), **_NAMESPACE})


def click_type(hint: Any) -> tuple[click.ParamType[Any], bool]:
    """The click type of a parameter's annotation, and whether the option repeats (a list)."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    members = tuple(m for m in members if m not in (type(None), UnsetType))
    origin = typing.get_origin(members[0]) if members else None
    if origin in (collections.abc.Iterable, list):
        inner, _ = click_type(typing.get_args(members[0])[0])
        return inner, True
    if members and all(isinstance(m, type) and issubclass(m, bool) for m in members):
        return click.BOOL, False
    ints = [m for m in members if isinstance(m, type) and issubclass(m, int)]
    if members and len(ints) == len(members):
        return click.INT, False
    if members and all(m in (int, float) for m in members):
        return click.FLOAT, False
    return click.STRING, False


def _option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def parameters(action: Action) -> list[click.Parameter]:
    """The click arguments and options of an action, from its method's signature."""
    found: list[click.Parameter] = []
    for parameter in inspect.signature(action.method).parameters.values():
        name = parameter.name
        if name in _HIDDEN or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        kind, multiple = click_type(_hint(action.method, parameter))
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            found.append(click.Argument([name], type=kind))
        elif name == "workspace_id":
            found.append(
                click.Option(
                    ["--workspace", "workspace_ids"],
                    type=click.INT,
                    multiple=True,
                    help="workspace id" + (" (repeatable)" if action.is_list else ""),
                )
            )
            if action.is_list:
                found.append(
                    click.Option(
                        ["--all-workspaces"], is_flag=True, help="every workspace of the token"
                    )
                )
        else:
            required = parameter.default is inspect.Parameter.empty
            found.append(
                click.Option(
                    [_option_name(name), name],
                    type=kind,
                    multiple=multiple,
                    required=required and not multiple,
                    help=_type_help(parameter),
                )
            )
    return found


def _type_help(parameter: inspect.Parameter) -> str:
    annotation = str(parameter.annotation).replace("UnsetType | ", "").replace(" | UnsetType", "")
    return annotation.replace(" | None", "").replace("Unpack[CallOptions]", "")


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user gave: an option left out is not sent (None, UNSET or empty)."""
    return {
        name: (list(value) if isinstance(value, tuple) else value)
        for name, value in values.items()
        if value is not None and value is not UNSET and value != ()
    }
