"""The ``webwork`` command (``pip install webwork-async[cli]``): every API group from the shell.

    webwork [--format table|json|jsonl|csv] <group> <action> [ids] [--options]
    webwork projects list --all-workspaces --format csv > projects.csv
    webwork timesheets approve a1b2c3d4-... --workspace 1
    webwork api GET reports/tracked-hours --param workspace_id=1 --param start_date=2026-11-01

Data goes to stdout; failures and warnings to stderr. Exit codes: 0 all done, 1 some
workspaces or the call failed (each reported), 2 a usage or configuration problem.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from webwork_async import AsyncPaginator, AsyncSession, WebWorkError, WorkspaceResult
from webwork_async._constants import DEFAULT_MAX_CONCURRENCY
from webwork_async.cli._commands import Action, actions, given, groups, parameters
from webwork_async.cli._config import UsageProblem
from webwork_async.cli._context import EXIT_FAILED, Context, usage
from webwork_async.cli._output import (
    FORMATS,
    default_format,
    plain,
    progress_bar,
    write_items,
    write_stream,
    write_value,
)
from webwork_async.cli._sync import sync
from webwork_async.errors import ConfigurationError, InvalidArgumentError

__all__ = ["main", "webwork"]

T = TypeVar("T")


def _run(context: Context, job: Callable[[AsyncSession], Coroutine[Any, Any, None]]) -> None:
    """Run ``job`` in a session, turning errors into messages and exit codes."""

    async def main() -> None:
        async with session as ww:
            await job(ww)

    try:
        (session,) = context.sessions()
        asyncio.run(main())
    except (InvalidArgumentError, ConfigurationError, UsageProblem) as exc:
        usage(str(exc))
    except WebWorkError as exc:
        click.echo(f"webwork: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    if context.failed:
        sys.exit(EXIT_FAILED)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--base-url", help="the API root (the fake server's, a proxy's); $WEBWORK_BASE_URL")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="a file whose first line is the token (else $WEBWORK_TOKEN or the config file)",
)
@click.option("--rate-limit", default="60/60", show_default=True, help="REQUESTS/SECONDS, or off")
@click.option("--concurrency", type=click.IntRange(1, 256), default=DEFAULT_MAX_CONCURRENCY,
              show_default=True, help="requests in flight at once")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="default: a table on a terminal, JSON lines when piped")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="no progress or summaries on stderr")
@click.pass_context
def webwork(
    ctx: click.Context,
    base_url: str | None,
    token_file: Path | None,
    rate_limit: str,
    concurrency: int,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Every WebWork Tracker API group from the shell; the token is never a flag."""
    output = fmt or default_format(sys.stdout)
    ctx.obj = Context(base_url, token_file, rate_limit, concurrency, output, quiet)


#: ``--format`` after the command too (``webwork projects list --format csv``).
_FORMAT_OPTION = click.Option(["--format", "fmt"], type=click.Choice(FORMATS), help="output format")


def _for_command(fmt: str | None) -> Context:
    """The root options, with the command's own ``--format`` if it was given."""
    context = click.get_current_context().find_object(Context)
    assert context is not None
    if fmt is not None:
        context.format = fmt
    return context


def _workspaces(values: dict[str, Any]) -> tuple[list[int], bool]:
    """The ``--workspace`` ids, and whether every workspace of the token was asked for."""
    ids = list(values.pop("workspace_ids", None) or ())
    every = bool(values.pop("all_workspaces", False))
    if ids and every:
        raise UsageProblem("give --workspace ID or --all-workspaces, not both")
    return ids, every


async def _all_workspaces(ww: AsyncSession) -> list[int]:
    return [workspace.id async for workspace in ww.workspaces.list()]


async def _write_bulk(context: Context, results: AsyncIterator[WorkspaceResult[Any]]) -> int:
    """Every workspace's items, each row with its ``workspace_id``; failures on stderr (and in
    the JSON output), each one reported. Returns how many workspaces failed."""
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    streaming = context.format == "jsonl"
    async for result in results:
        if result.error is not None:
            failures.append(
                {
                    "workspace_id": result.workspace_id,
                    "error": type(result.error).__name__,
                    "message": str(result.error),
                }
            )
            context.warn(f"workspace {result.workspace_id} failed: {type(result.error).__name__}: "
                         f"{result.error}")  # fmt: skip
            continue
        batch = [{"workspace_id": result.workspace_id, **plain(item)} for item in result.items]
        if streaming:
            write_items(batch, "jsonl")
        else:
            rows += batch
    if context.format == "json":
        write_value({"data": rows, "failures": failures}, "json")
    elif not streaming:
        write_items(rows, context.format)
    context.failed = context.failed or bool(failures)
    return len(failures)


def _command(action: Action) -> click.Command:
    """The click command of one action."""

    def callback(**values: Any) -> None:
        context = _for_command(values.pop("fmt"))
        try:
            ids, every = _workspaces(values) if action.per_workspace else ([], False)
        except UsageProblem as exc:
            usage(str(exc))
        arguments = given(values)

        async def job(ww: AsyncSession) -> None:
            resource = getattr(ww, action.group)
            workspace_ids = await _all_workspaces(ww) if every else ids
            if action.per_workspace and not workspace_ids:
                raise UsageProblem(f"{action.group} {action.name} needs --workspace ID")
            if len(workspace_ids) > 1 or every:
                if action.many is None or not action.is_list:
                    raise UsageProblem(f"{action.group} {action.name} takes one --workspace")
                many = getattr(resource, action.many.__name__)
                with progress_bar(f"{action.group} {action.name}", context.quiet) as show:
                    failed = await _write_bulk(
                        context, many(workspace_ids, progress=show, **arguments)
                    )
                if not context.quiet:  # after the bar, which a line of its time would cut
                    summary = f"{failed} workspace(s) failed" if failed else "every workspace done"
                    context.warn(summary)
                return
            if workspace_ids:
                arguments["workspace_id"] = workspace_ids[0]
            result = getattr(resource, action.name)(**arguments)
            if isinstance(result, AsyncPaginator):
                if "page" in arguments:  # one page, as asked
                    write_items([plain(item) for item in (await result).items], context.format)
                else:
                    await write_stream(aiter(result), context.format)
            else:
                value = await result
                if value is not None:
                    write_value(plain(value), context.format)

        _run(context, job)

    doc = _help(action.method)
    return click.Command(
        action.name.replace("_", "-"),
        params=[*parameters(action), _FORMAT_OPTION],
        callback=callback,
        help=doc,
        short_help=doc.split("\n", 1)[0],
    )


def _help(target: object) -> str:
    """A docstring as plain text for ``--help``: no reST roles or literals."""
    text = _ROLE.sub(lambda match: match[1].rsplit(".", 1)[-1], inspect.getdoc(target) or "")
    return text.replace("``", "")


_ROLE = re.compile(r":[a-z]+:`~?(?:[^`<]*<)?([^`>]+)>?`")


def _group(name: str, kind: type) -> click.Group:
    summary = _help(kind).split("\n", 1)[0]
    group = click.Group(name.replace("_", "-"), help=summary.split(": ", 1)[-1])
    for action in actions(name, kind):
        group.add_command(_command(action))
    return group


for _name, _kind in groups().items():
    webwork.add_command(_group(_name, _kind))


def _param_value(text: str) -> tuple[str, object]:
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise UsageProblem(f"--param takes NAME=VALUE, got {text!r}")
    try:
        value: object = json.loads(raw)  # 1, true, null, [1,2] as JSON; anything else as text
    except ValueError:
        value = raw
    return name, value


@webwork.command("api")
@click.argument("method", type=click.Choice(["GET", "POST", "PUT", "DELETE"], case_sensitive=False))
@click.argument("path")
@click.option(
    "--param",
    "params",
    multiple=True,
    help="NAME=VALUE (repeatable): the query of a "
    "GET, the JSON body of any other method; values are read as JSON when they can be",
)
@click.option("--paginate", is_flag=True, help="GET every page: one result across the pages")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="output format")
def api(method: str, path: str, params: tuple[str, ...], paginate: bool, fmt: str | None) -> None:
    """Any path of the API: webwork api GET projects --param workspace_id=1 --paginate"""
    context = _for_command(fmt)
    try:
        fields = dict(_param_value(text) for text in params)
    except UsageProblem as exc:
        usage(str(exc))
    verb = method.upper()
    if paginate and verb != "GET":
        usage("--paginate is for GET")

    async def job(ww: AsyncSession) -> None:
        if paginate:
            await write_stream(aiter(ww.api.paginate(path, params=fields)), context.format)
            return
        query, body = (fields, None) if verb == "GET" else (None, fields)
        value = await ww.api.request(verb, path, params=query, body=body)
        write_value(value, context.format)

    _run(context, job)


webwork.add_command(sync)


webwork.add_command(sync)


def main() -> None:
    """The console script."""
    webwork(prog_name="webwork")
