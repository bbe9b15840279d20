"""How results are written: data to stdout as a table, JSON, JSON lines or CSV; everything else
(progress, warnings, failures, summaries) to stderr."""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, TextIO

import msgspec

from webwork_async import JobProgress, ProgressCallback

__all__ = [
    "FORMATS",
    "default_format",
    "plain",
    "progress_bar",
    "write_items",
    "write_stream",
    "write_value",
]

FORMATS = ("table", "json", "jsonl", "csv")
_encoder = msgspec.json.Encoder()


def default_format(stream: TextIO) -> str:
    """A table for a person at a terminal, JSON lines for a pipe."""
    return "table" if stream.isatty() else "jsonl"


def plain(value: object) -> Any:
    """A model (or anything msgspec knows) as plain JSON values: dicts, lists, strings."""
    return msgspec.to_builtins(value)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return _encoder.encode(value).decode()
    return str(value)


def write_items(rows: Iterable[dict[str, Any]], fmt: str, out: TextIO | None = None) -> None:
    """Write list items (to stdout by default). ``jsonl`` streams them one by one; the others
    gather them first."""
    out = out or sys.stdout  # looked up now: a test runner swaps sys.stdout
    if fmt == "jsonl":
        for row in rows:
            out.write(_encoder.encode(row).decode() + "\n")
        return
    gathered = list(rows)
    if fmt == "json":
        out.write(_encoder.encode(gathered).decode() + "\n")
        return
    columns = list(dict.fromkeys(name for row in gathered for name in row))
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(name)) for name in columns] for row in gathered])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, show_lines=False)
    for row in gathered:
        table.add_row(*(_cell(row.get(name)) for name in columns))
    Console(file=out, width=None if out.isatty() else 200).print(table)


def write_value(value: Any, fmt: str, out: TextIO | None = None) -> None:
    """Write one result: an object as a one-row table (or CSV), JSON otherwise."""
    out = out or sys.stdout
    if isinstance(value, dict) and fmt in ("table", "csv"):
        write_items([value], fmt, out)
    elif isinstance(value, list):
        write_items(
            [item if isinstance(item, dict) else {"value": item} for item in value], fmt, out
        )
    else:
        out.write(_encoder.encode(value).decode() + "\n")


async def write_stream(items: AsyncIterator[Any], fmt: str, out: TextIO | None = None) -> None:
    """Write the items of an async iterator (a paginator walked page by page): JSON lines as
    they arrive, the other formats once all are in."""
    out = out or sys.stdout
    if fmt == "jsonl":
        async for item in items:
            out.write(_encoder.encode(plain(item)).decode() + "\n")
        return
    rows = [plain(item) async for item in items]
    write_items(rows, fmt, out)


#: The bar's counters: requests sent, retries, waits for the rate limiter.
_COUNTS = (
    "{task.fields[requests]} requests, {task.fields[retries]} retries, "
    "{task.fields[waits]} rate-limit waits"
)


@contextlib.contextmanager
def progress_bar(description: str, quiet: bool) -> Iterator[ProgressCallback | None]:
    """A bar on stderr for a bulk job, fed by its ``progress`` callback: workspaces done of all,
    requests, retries and rate-limit waits. None (no bar) when stderr is not a terminal or the
    command is ``--quiet``: a log or a pipe gets the summary line only."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(_COUNTS),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    # Not redirected: rich would otherwise send what the command prints to stdout (the data)
    # to its own console, stderr.
    with Progress(
        *columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False
    ) as bar:
        task = bar.add_task(description, total=None, requests=0, retries=0, waits=0)

        def show(progress: JobProgress) -> None:
            bar.update(
                task,
                completed=progress.done,
                total=progress.total,
                requests=progress.requests,
                retries=progress.retries,
                waits=progress.rate_limit_waits,
            )

        yield show
