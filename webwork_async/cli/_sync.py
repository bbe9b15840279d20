"""``webwork sync``: every group of every workspace into SQLite or PostgreSQL (see
:mod:`webwork_async.sync`), with a bar per group on a terminal and a summary at the end."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import click
import msgspec

from webwork_async import WebWorkError
from webwork_async.cli._config import UsageProblem, parse_rate_limit
from webwork_async.cli._context import EXIT_FAILED, EXIT_INTERRUPTED, Context, usage
from webwork_async.errors import ConfigurationError, InvalidArgumentError
from webwork_async.sync import (
    DEFAULT_BUSY_TIMEOUT,
    TABLES,
    SyncFailure,
    SyncOptions,
    SyncStorageError,
    SyncSummary,
    Table,
    TableProgress,
    open_storage,
    run_sync,
)
from webwork_async.sync._job import LOOK_BACK_DAYS, ProgressHook

__all__ = ["sync"]

_DEFAULT_DB = "webwork.sqlite"


def _tables(names: Sequence[str]) -> list[Table]:
    """The tables asked for (all by default) and those their parts are read from."""
    if not names:
        return list(TABLES)
    wanted = set(names)
    for table in reversed(TABLES):
        if table.name in wanted and table.needs is not None:
            wanted.add(table.needs)
    return [table for table in TABLES if table.name in wanted]


@click.command("sync")
@click.option("--db", "target", default=_DEFAULT_DB, show_default=True, metavar="TARGET",
              help="a SQLite file, or a postgresql://USER@HOST/DB URL")  # fmt: skip
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="first day of time data (default: 30 days back, then the last run)")  # fmt: skip
@click.option("--look-back", type=click.IntRange(0, 366), default=LOOK_BACK_DAYS, show_default=True,
              help="days before the last window's end that the next one starts")  # fmt: skip
@click.option("--full", is_flag=True, help="start anew: no resuming, time data from --since")
@click.option("--group", "groups", multiple=True, type=click.Choice([t.name for t in TABLES]),
              help="only these groups (repeatable; with the groups they need)")  # fmt: skip
@click.option("--workspace", "workspace_ids", type=click.IntRange(1), multiple=True,
              help="only these workspaces (repeatable)")  # fmt: skip
@click.option("--per-page", type=click.IntRange(1, 100), help="page size of the lists")
@click.option("--lock-timeout", type=click.FloatRange(0, 3600), default=DEFAULT_BUSY_TIMEOUT,
              show_default=True, help="seconds to wait for a database that is locked")  # fmt: skip
@click.option("--print-schema", is_flag=True, help="print the tables' SQL for --db and stop")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]),
              help="json: the summary as JSON on stdout")  # fmt: skip
@click.pass_obj
def sync(
    context: Context,
    target: str,
    since: datetime.datetime | None,
    look_back: int,
    full: bool,
    groups: tuple[str, ...],
    workspace_ids: tuple[int, ...],
    per_page: int | None,
    lock_timeout: float,
    print_schema: bool,
    fmt: str | None,
) -> None:
    """Copy every group of every workspace into a database, incrementally and resumably.

    Entity groups are swept whole, time data in date windows; a run that was stopped (killed,
    Ctrl-C) is resumed by the next. A --token-file of several lines syncs with every token,
    each workspace by one token that sees it.
    """
    tables = _tables(groups)
    storage = open_storage(target, busy_timeout=lock_timeout)
    if print_schema:
        click.echo(";\n\n".join(storage.schema_sql(tables)) + ";")
        return
    options = SyncOptions(
        tables=tables,
        since=since.date() if since else None,
        look_back_days=look_back,
        full=full,
        workspace_ids=list(workspace_ids) or None,
        per_page=per_page,
    )
    try:
        sessions = context.sessions(every_token=True)
        limit = parse_rate_limit(context.rate_limit)
    except (UsageProblem, ConfigurationError, InvalidArgumentError) as exc:
        usage(str(exc))
    pace = None if limit is None else limit.period / limit.requests / len(sessions)

    async def main() -> SyncSummary:
        try:
            async with contextlib.AsyncExitStack() as stack:
                for session in sessions:
                    await stack.enter_async_context(session)
                with _bars(tables, context.quiet, pace) as show:
                    return await run_sync(list(sessions), storage, options, progress=show)
        finally:
            await storage.close()

    try:
        summary = asyncio.run(main())
    except SyncStorageError as exc:
        usage(str(exc))
    except KeyboardInterrupt:
        click.echo(
            "webwork sync: interrupted; every page written is kept, the database is "
            "consistent, and the next webwork sync resumes where this one stopped",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    except WebWorkError as exc:
        click.echo(f"webwork sync: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    if fmt == "json":
        click.echo(msgspec.json.encode(_summary_value(summary, storage.target)).decode())
    if not context.quiet:
        click.echo(_summary_text(summary, storage.target), err=True, nl=False)
    if not summary.ok:
        sys.exit(EXIT_FAILED)


def _summary_value(summary: SyncSummary, target: str) -> dict[str, Any]:
    return {
        "db": target,
        "run": summary.run_id,
        "resumed": summary.resumed,
        "finished": summary.finished,
        "seconds": round(summary.elapsed, 3),
        "requests": summary.requests,
        "migrations": summary.migrations,
        "tables": [vars(counts) for counts in summary.tables.values()],
        "failures": [vars(failure) for failure in summary.failures],
    }


_HEADINGS = ("table", "workspaces", "rows", "inserted", "updated", "deleted", "failed")


def _summary_text(summary: SyncSummary, target: str) -> str:
    """The end-of-run report: per table what changed, then every failure."""
    how = "resumed run" if summary.resumed else "run"
    lines = [
        f"webwork sync: {how} {summary.run_id} into {target}: {summary.elapsed:.1f} s, "
        f"{summary.requests} requests"
    ]
    lines += [f"  migrated: {migration}" for migration in summary.migrations]
    rows: list[tuple[str, ...]] = [_HEADINGS]
    for counts in summary.tables.values():
        synced = f"{counts.done - counts.failed}/{counts.total}"
        if counts.skipped:
            synced += f" ({counts.skipped} done before)"
        rows.append(
            (
                counts.table,
                synced,
                *(
                    str(n)
                    for n in (
                        counts.rows,
                        counts.inserted,
                        counts.updated,
                        counts.deleted,
                        counts.failed,
                    )
                ),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADINGS))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells))
    if summary.failures:
        groups = sum(1 for name in summary.tables if name != "workspaces")
        lines.append(_failures_text(summary.failures, groups))
    if not summary.finished:
        lines.append("the run did not reach its end: the next webwork sync resumes it")
    return "\n".join(lines) + "\n"


def _failures_text(failures: Sequence[SyncFailure], groups: int) -> str:
    """Every failure, a line per workspace and kind of error (a workspace the token may not
    read fails each of its ``groups`` alike)."""
    grouped: dict[tuple[int, str], list[SyncFailure]] = {}
    for failure in failures:
        kind = failure.error.split(":", 1)[0]
        grouped.setdefault((failure.workspace_id, kind), []).append(failure)
    workspaces = len({workspace for workspace, _ in grouped})
    lines = [f"failures in {workspaces} workspace(s), synced again by the next run:"]
    for (workspace, _), found in grouped.items():
        names = ", ".join(failure.table for failure in found)
        if len(found) == groups > 1:
            names = f"all {groups} groups"
        lines.append(f"  workspace {workspace} ({names}): {found[0].error}")
    return "\n".join(lines)


@contextlib.contextmanager
def _bars(
    tables: Sequence[Table], quiet: bool, pace: float | None
) -> Iterator[ProgressHook | None]:
    """A bar per table on stderr when it is a terminal (none with --quiet or in a pipe):
    workspaces done of all, rows, requests, retries, rate-limit waits and an estimate of the
    time left. With a rate limit the estimate is the requests still to come at its pace
    (``pace`` seconds a request across the tokens), else the pace so far."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    counters = (
        "{task.fields[rows]} rows, {task.fields[requests]} requests, "
        "{task.fields[retries]} retries, {task.fields[waits]} waits {task.fields[eta]}"
    )
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(counters))  # fmt: skip
    with Progress(
        *columns,
        console=Console(stderr=True),
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        ids = {
            t.name: bar.add_task(t.name, total=None, rows=0, requests=0, retries=0, waits=0, eta="")
            for t in tables
        }

        def show(counts: TableProgress) -> None:
            bar.update(
                ids[counts.table],
                completed=counts.done,
                total=counts.total or None,
                rows=counts.rows,
                requests=counts.requests,
                retries=counts.retries,
                waits=counts.rate_limit_waits,
                eta=_eta(counts, pace, bar.tasks[ids[counts.table]].elapsed or 0.0),
            )

        yield show


def _eta(counts: TableProgress, pace: float | None, elapsed: float) -> str:
    """The time left for a table: its remaining workspaces at the requests each took so far."""
    fetched = counts.done - counts.skipped
    left = counts.total - counts.done
    if fetched <= 0 or left <= 0:
        return ""
    seconds = (
        left * counts.requests / fetched * pace if pace is not None else left * elapsed / fetched
    )
    minutes, rest = divmod(int(seconds), 60)
    return f"ETA {minutes}m{rest:02d}s"
