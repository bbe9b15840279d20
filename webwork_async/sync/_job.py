"""The sync job: every table of every workspace into a :class:`SyncStorage`, resumably.

A run lists the workspaces of every token, gives each workspace to one token that can see it
(balanced, owners' tokens first), then syncs the workspaces concurrently, each one table after
the other (:data:`TABLES` order). A unit (a table of a workspace) writes each page with its
checkpoint in one transaction and, once its sweep is complete, marks deleted the rows the sweep
did not see. A run that stops before its end (killed, Ctrl-C, a rejected token) is resumed by
the next: units done are skipped, a unit half-way continues at its checkpoint.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec

from webwork_async import AsyncPaginator, AsyncSession, JobProgress, WebWorkError, ends_bulk_job
from webwork_async.errors import APIError, PermissionDeniedError
from webwork_async.sync._storage import Fetched, Run, SyncStorage, UnitState
from webwork_async.sync._tables import TABLES, Table, TrackedHoursEntry, table_named

__all__ = [
    "SyncFailure",
    "SyncOptions",
    "SyncSummary",
    "TableProgress",
    "assign_workspaces",
    "run_sync",
    "window_of",
]

#: Days back the first sync of a workspace's time data starts at.
FIRST_SYNC_DAYS = 30
#: Days before the end of the last window that the next window starts at: time data changes
#: after the fact (approvals, late edits) and the API has no "updated since" filter.
LOOK_BACK_DAYS = 7
#: Roles whose tokens may read a workspace through the API (reference-core: variant B).
_ADMIN_ROLES = frozenset({"Owner", "Executive manager"})
_ACCOUNT = 0  # the workspace id of the account-wide unit (the workspaces table)


@dataclass(frozen=True)
class SyncOptions:
    """What a run covers.

    Attributes:
        tables: the groups to sync (default: all), in :data:`TABLES` order.
        since: the first day of time data; default: :data:`FIRST_SYNC_DAYS` back on a
            workspace's first sync, then ``look_back_days`` before the last window's end.
        look_back_days: how far a later window reaches back.
        full: start a new run even if the last one did not finish, and fetch time data from
            ``since`` (or the first-sync default) instead of from the last window.
        workspace_ids: only these workspaces (default: every workspace of the tokens).
        per_page: page size of the lists (default: the largest each list allows).
        today: the last day of time data (default: today in UTC).
    """

    tables: Sequence[Table] = TABLES
    since: datetime.date | None = None
    look_back_days: int = LOOK_BACK_DAYS
    full: bool = False
    workspace_ids: Sequence[int] | None = None
    per_page: int | None = None
    today: datetime.date | None = None


@dataclass
class TableProgress:
    """The counts of one table so far (handed to the progress callback, and the summary)."""

    table: str
    total: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0


@dataclass(frozen=True)
class SyncFailure:
    """A unit that could not be synced: its table, workspace and error."""

    table: str
    workspace_id: int
    error: str


@dataclass
class SyncSummary:
    """What a run did."""

    run_id: int
    resumed: bool
    tables: dict[str, TableProgress]
    failures: list[SyncFailure] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    finished: bool = False
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return sum(counts.requests for counts in self.tables.values())

    @property
    def ok(self) -> bool:
        """True when every unit of the run was synced completely."""
        return self.finished and not self.failures


ProgressHook = Callable[[TableProgress], object]


def window_of(
    table: Table, previous: UnitState | None, options: SyncOptions, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The days a unit of time data covers in a new sweep (see :class:`SyncOptions`), widened
    by the table's ``widen_days``."""
    widen = datetime.timedelta(days=table.widen_days)
    if options.since is not None:
        start = options.since
    elif previous is not None and not options.full and previous.window_start is not None:
        if previous.status == "done" and previous.window_end is not None:
            back = datetime.timedelta(days=options.look_back_days)
            start = min(previous.window_end - widen, today) - back
        else:  # the last window failed: it is fetched again whole
            start = previous.window_start + widen
    else:
        start = today - datetime.timedelta(days=FIRST_SYNC_DAYS)
    return start - widen, today + widen


def assign_workspaces(visible: Sequence[Sequence[tuple[int, str | None]]]) -> dict[int, int]:
    """Give each workspace to one token: ``visible[t]`` lists (workspace id, role) that token
    ``t`` sees. Tokens with an owner's or executive manager's role there come first; among
    those, the least loaded token; workspaces seen by fewer tokens are placed first, so the
    load stays balanced. Returns workspace id -> token index."""
    seen_by: dict[int, list[tuple[bool, int]]] = {}
    for token, workspaces in enumerate(visible):
        for workspace_id, role in workspaces:
            seen_by.setdefault(workspace_id, []).append((role in _ADMIN_ROLES, token))
    load = [0] * len(visible)
    assigned: dict[int, int] = {}
    for workspace_id, tokens in sorted(seen_by.items(), key=lambda item: (len(item[1]), item[0])):
        able = [token for admin, token in tokens if admin] or [token for _, token in tokens]
        chosen = min(able, key=lambda token: (load[token], token))
        load[chosen] += 1
        assigned[workspace_id] = chosen
    return assigned


def _describe(error: BaseException) -> str:
    """An error for the summary: the service's answer without the URL (the table and the
    workspace say where)."""
    if isinstance(error, APIError):
        detail = f" ({error.error})" if error.error and error.error != error.message else ""
        return f"{type(error).__name__}: HTTP {error.status}: {error.message}{detail}"
    return f"{type(error).__name__}: {error}"


class _Job:
    """One run over the storage, with the sessions of its tokens."""

    def __init__(
        self,
        sessions: Sequence[AsyncSession],
        storage: SyncStorage,
        options: SyncOptions,
        progress: ProgressHook | None,
    ) -> None:
        self.sessions = sessions
        self.storage = storage
        self.options = options
        self.progress = progress
        self.today = options.today or datetime.datetime.now(datetime.timezone.utc).date()
        self.counts = {table.name: TableProgress(table.name) for table in options.tables}
        self.failures: list[SyncFailure] = []
        self.stopped: dict[int, BaseException] = {}  # token index -> the error that ended it
        self.roles: dict[tuple[int, int], str | None] = {}  # (token, workspace) -> its role
        self.run: Run | None = None

    # -- reporting ------------------------------------------------------------------------------

    def _told(self, counts: TableProgress) -> None:
        if self.progress is not None:
            self.progress(counts)

    def _fail(self, table: Table, workspace_id: int, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else _describe(error)
        self.failures.append(SyncFailure(table.name, workspace_id, text))
        counts = self.counts[table.name]
        counts.failed += 1
        counts.done += 1
        self._told(counts)

    def _walk_counter(self, counts: TableProgress) -> Callable[[JobProgress], None]:
        """A ``progress`` callback for one page walk, adding its requests to the table's."""
        last = [0, 0, 0]

        def seen(step: JobProgress) -> None:
            now = [step.requests, step.retries, step.rate_limit_waits]
            counts.requests += now[0] - last[0]
            counts.retries += now[1] - last[1]
            counts.rate_limit_waits += now[2] - last[2]
            last[:] = now

        return seen

    # -- the run --------------------------------------------------------------------------------

    async def run_all(self) -> SyncSummary:
        started = time.monotonic()
        storage = self.storage
        migrations = await storage.open(self.options.tables)
        now = _now()
        self.run = run = await storage.begin_run(full=self.options.full, now=now)
        summary = SyncSummary(run.id, run.resumed, self.counts, self.failures, migrations)
        assigned = await self._discover()
        wanted = self.options.workspace_ids
        workspace_ids = sorted(assigned if wanted is None else set(wanted) & assigned.keys())
        for workspace_id in sorted(set(wanted or ()) - assigned.keys()):
            for table in self._per_workspace_tables():
                self._fail(table, workspace_id, "no token of the run can see this workspace")
        for table in self._per_workspace_tables():
            self.counts[table.name].total = len(workspace_ids)
        await self._sync_workspaces(workspace_ids, assigned)
        summary.finished = not self.stopped
        if summary.finished:
            await storage.finish_run(run, _now())
        summary.elapsed = time.monotonic() - started
        return summary

    def _per_workspace_tables(self) -> list[Table]:
        return [table for table in self.options.tables if table.fill != "account"]

    async def _discover(self) -> dict[int, int]:
        """List every token's workspaces, store them (the ``workspaces`` table, when synced),
        and assign each to a token."""
        visible: list[list[tuple[int, str | None]]] = []
        listed: list[tuple[int, Fetched]] = []
        complete = True
        table = table_named("workspaces")
        counts = self.counts.get(table.name)
        for token, session in enumerate(self.sessions):
            counter = None if counts is None else self._walk_counter(counts)  # one a walk
            try:
                paginator = session.workspaces.list(per_page=self.options.per_page)
                fetched = [
                    item async for items, _ in _pages(paginator, table, counter) for item in items
                ]
            except WebWorkError as exc:
                complete = False
                self.stopped[token] = exc
                self.failures.append(SyncFailure("workspaces", _ACCOUNT, f"token {token + 1}: "
                                                 f"{_describe(exc)}"))  # fmt: skip
                visible.append([])
                continue
            visible.append([(f.item.id, f.item.role) for f in fetched])
            self.roles.update({(token, f.item.id): f.item.role for f in fetched})
            listed += [(f.item.id, f) for f in fetched]
        if len(self.stopped) == len(self.sessions):
            return {}
        if counts is not None:
            await self._store_account(table, listed, complete)
        return assign_workspaces(visible)

    async def _store_account(
        self, table: Table, listed: list[tuple[int, Fetched]], complete: bool
    ) -> None:
        """The workspaces of every token, once each; marked deleted only when every token's
        list was complete."""
        assert self.run is not None
        counts = self.counts[table.name]
        counts.total = 1
        previous = await self.storage.unit(table.name, _ACCOUNT)
        state = UnitState(
            table.name, _ACCOUNT, self.run.id, (previous.sweep if previous else 0) + 1
        )
        unique = list(dict(listed).values())
        counts.inserted, counts.updated, counts.deleted = await self.storage.write_page(
            table,
            replace(state, rows=len(unique)),
            [(f.item.id, f) for f in unique],
            _now(),
            finish=complete,
        )
        counts.rows = len(unique)
        counts.done = 1
        self._told(counts)

    async def _sync_workspaces(self, workspace_ids: list[int], assigned: dict[int, int]) -> None:
        """Each token's workspaces, as many at once as its session allows requests."""
        by_token: dict[int, list[int]] = {}
        for workspace_id in workspace_ids:
            by_token.setdefault(assigned[workspace_id], []).append(workspace_id)
        await _together([self._token_job(token, ids) for token, ids in by_token.items()])

    async def _token_job(self, token: int, workspace_ids: list[int]) -> None:
        session = self.sessions[token]
        remaining = iter(workspace_ids)

        async def worker() -> None:
            for workspace_id in remaining:
                await self._workspace(token, session, workspace_id)

        await _together([worker() for _ in range(min(session.max_concurrency, len(workspace_ids)))])

    async def _workspace(self, token: int, session: AsyncSession, workspace_id: int) -> None:
        """Every table of one workspace, in order. A 403 where the token's role is not one the
        API serves (a regular member) fails the workspace's other tables alike, unasked."""
        refused: BaseException | None = None
        for table in self._per_workspace_tables():
            stopped = self.stopped.get(token) or refused
            if stopped is not None:
                self._fail(table, workspace_id, stopped)
                continue
            try:
                await self._unit(session, table, workspace_id)
            except (WebWorkError, msgspec.ValidationError) as exc:
                if ends_bulk_job(exc):
                    self.stopped.setdefault(token, exc)
                elif (
                    isinstance(exc, PermissionDeniedError)
                    and self.roles.get((token, workspace_id)) not in _ADMIN_ROLES
                ):
                    refused = exc
                await self._unit_failed(table, workspace_id, exc)

    async def _unit_failed(self, table: Table, workspace_id: int, error: BaseException) -> None:
        assert self.run is not None
        state = await self.storage.unit(table.name, workspace_id)
        if state is not None and state.run_id == self.run.id:
            await self.storage.save_unit(
                replace(state, status="failed", error=_describe(error)), _now()
            )
        self._fail(table, workspace_id, error)

    # -- one unit -------------------------------------------------------------------------------

    async def _start(self, table: Table, workspace_id: int) -> UnitState | None:
        """The unit's state for this run: None when it is already done; else where to go on
        from (a new sweep, or the checkpoint of one this run began)."""
        assert self.run is not None
        run = self.run
        previous = await self.storage.unit(table.name, workspace_id)
        if previous is not None and previous.run_id == run.id:
            if previous.status == "done":
                return None
            if previous.status == "running":
                return previous
        sweep = (previous.sweep if previous else 0) + 1
        state = UnitState(table.name, workspace_id, run.id, sweep)
        if table.windowed:
            start, end = window_of(table, previous, self.options, self.today)
            state = replace(state, window_start=start, window_end=end)
        return state  # saved with its first page: a unit that fails before starts anew

    async def _unit(self, session: AsyncSession, table: Table, workspace_id: int) -> None:
        counts = self.counts[table.name]
        if table.needs is not None and not await self._done_in_run(table.needs, workspace_id):
            self._fail(table, workspace_id, f"not synced: {table.needs} of this workspace failed")
            return
        state = await self._start(table, workspace_id)
        if state is None:
            counts.skipped += 1
            counts.done += 1
            self._told(counts)
            return
        parts = await self._parts(table, state)
        finished = False
        for part in range(state.part, len(parts)):
            first_page = state.page if part == state.part else 1
            page_number = first_page
            async for items, last_page in self._walk(
                session, table, state, parts[part], first_page
            ):
                ended = last_page is not None and page_number >= last_page
                following = (part + 1, 1) if ended else (part, page_number + 1)
                state = state.advanced(part=following[0], page=following[1], rows=len(items))
                finished = ended and part == len(parts) - 1  # the sweep ends with this page
                inserted, updated, deleted = await self.storage.write_page(
                    table, state, [(workspace_id, item) for item in items], _now(), finish=finished
                )
                counts.rows += len(items)
                counts.inserted += inserted
                counts.updated += updated
                counts.deleted += deleted
                page_number += 1
                self._told(counts)
        if not finished:  # no parts, or a last page that did not say it was the last
            counts.deleted += await self.storage.finish_unit(table, state, _now())
        counts.done += 1
        self._told(counts)

    async def _done_in_run(self, table_name: str, workspace_id: int) -> bool:
        assert self.run is not None
        state = await self.storage.unit(table_name, workspace_id)
        return state is not None and state.run_id == self.run.id and state.status == "done"

    async def _parts(self, table: Table, state: UnitState) -> list[Any]:
        """What a unit walks one after the other (see :mod:`webwork_async.sync._tables`)."""
        if table.fill == "per_project":
            return list(await self.storage.live_projects(state.workspace_id))
        if table.fill == "per_user_day":
            assert state.window_start is not None
            assert state.window_end is not None
            return list(
                await self.storage.tracked_days(
                    state.workspace_id, state.window_start, state.window_end
                )
            )
        return [None]

    def _walk(
        self, ww: AsyncSession, table: Table, state: UnitState, part: Any, page: int
    ) -> AsyncIterator[tuple[list[Fetched], int | None]]:
        """The pages of one part from ``page``: its items, and its ``last_page``."""
        counts = self.counts[table.name]
        if table.fill == "report":
            return self._report(ww, state, counts)
        paginator = self._list(ww, table, state, part, page)
        return _pages(paginator, table, self._walk_counter(counts))

    def _list(
        self, ww: AsyncSession, table: Table, state: UnitState, part: Any, page: int
    ) -> AsyncPaginator[Any]:
        """The list a part walks, from ``page``."""
        per_page = self.options.per_page
        scope: dict[str, Any] = {"workspace_id": state.workspace_id, "page": page}
        if per_page is not None:
            scope["per_page"] = per_page
        if table.fill == "per_project":
            return ww.tasks.list(project_id=part, **scope)
        if table.fill == "per_user_day":
            user_id, day = part
            if per_page is not None:
                scope["per_page"] = min(per_page, 50)
            return ww.time_entries.list(user_id=user_id, date=day, **scope)
        group = getattr(ww, table.name)
        if table.fill == "window":
            window = {"date_from": state.window_start, "date_to": state.window_end}
            return group.list(**window, **scope)  # type: ignore[no-any-return]
        return group.list(**scope)  # type: ignore[no-any-return]

    async def _report(
        self, ww: AsyncSession, state: UnitState, counts: TableProgress
    ) -> AsyncIterator[tuple[list[Fetched], int | None]]:
        """The tracked-hours report of the window: one answer, one page of rows."""
        counts.requests += 1
        report = await ww.reports.tracked_hours(
            workspace_id=state.workspace_id,
            start_date=state.window_start,
            end_date=state.window_end,
        )
        entries = [TrackedHoursEntry.of(row) for row in report.rows()]
        yield [Fetched(entry, _encode(entry)) for entry in entries], 1


_encode = msgspec.json.Encoder().encode


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def _together(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` concurrently; the first error cancels the others (awaited) and goes on."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _pages(
    paginator: AsyncPaginator[Any],
    table: Table,
    counter: Callable[[JobProgress], None] | None,
) -> AsyncIterator[tuple[list[Fetched], int | None]]:
    """Each page of a walk as items with their JSON, and the page's ``last_page``."""
    decode = _decoder(table)
    async for page in paginator.as_type(msgspec.Raw).pages(progress=counter):
        yield decode(page.items), page.last_page


@functools.cache  # one set of decoders a table, not one a walk
def _decoder(table: Table) -> Callable[[list[msgspec.Raw]], list[Fetched]]:
    """Decodes a page's items into the table's model, each kept with its JSON (secrets
    removed): the whole page in one call, item by item (strict, then lax as the library
    does) only when that fails or a secret must be taken out first."""
    strict = msgspec.json.Decoder(table.model)
    lax = msgspec.json.Decoder(table.model, strict=False)
    whole = msgspec.json.Decoder(list[table.model])  # type: ignore[name-defined]

    def one(raw: msgspec.Raw) -> Fetched:
        body = bytes(raw)
        if table.secret_fields:
            plain = msgspec.json.decode(body)
            for name in table.secret_fields:
                plain.pop(name, None)
            body = _encode(plain)
        try:
            return Fetched(strict.decode(body), body)
        except msgspec.ValidationError:
            return Fetched(lax.decode(body), body)

    def decode(raws: list[msgspec.Raw]) -> list[Fetched]:
        if not table.secret_fields:
            bodies = [bytes(raw) for raw in raws]
            try:
                items = whole.decode(b"[" + b",".join(bodies) + b"]")
            except msgspec.ValidationError:
                pass
            else:
                return [Fetched(item, body) for item, body in zip(items, bodies, strict=True)]
        return [one(raw) for raw in raws]

    return decode


async def run_sync(
    sessions: Sequence[AsyncSession],
    storage: SyncStorage,
    options: SyncOptions | None = None,
    *,
    progress: ProgressHook | None = None,
) -> SyncSummary:
    """Sync every table of every workspace the ``sessions`` (one per token) can see into
    ``storage`` (opened, checked and migrated first; not closed).

    ``progress(TableProgress)`` is called as pages and units finish. Failures are in the
    summary, each with its table and workspace; a run that did not reach its end (a token
    rejected) is resumed by the next one. Raises :class:`SyncStorageError` when the database
    cannot be used, before anything is fetched.
    """
    return await _Job(sessions, storage, options or SyncOptions(), progress).run_all()
