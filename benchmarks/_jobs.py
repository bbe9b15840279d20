"""One benchmark job in a fresh process, started by ``compare.py``.

    python benchmarks/_jobs.py '{"job": "floor", "base_url": ..., ...}'

Each job imports its own libraries and builds its models before the clock starts, so its wall
time is the job alone and its peak RSS is its own. It prints one JSON line: the wall time, the
projects it decoded (count and id checksum), the workspaces that failed, its RSS before the job
and at peak, and, read from the server's stats before and after, the requests the server answered
by status and the server's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import gc
import http.client
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

STATS_PATH = "/_bench/stats"


@dataclass(frozen=True)
class Spec:
    """What to run: the job's name, where, with which token, over which workspaces."""

    job: str
    base_url: str  # the API root, ending in /api/v2/
    token: str
    first_workspace: int
    workspaces: int
    concurrency: int
    per_page: int = 100
    pages: int = 0  # for the raw streaming baseline: how many pages to fetch
    rate_limit: tuple[int, float] | None = None  # (requests, period) for the client, if any

    @property
    def workspace_ids(self) -> list[int]:
        return list(range(self.first_workspace, self.first_workspace + self.workspaces))

    @property
    def projects_url(self) -> str:
        return self.base_url + "projects"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def query(self, workspace_id: int, page: int) -> dict[str, int]:
        return {"workspace_id": workspace_id, "page": page, "per_page": self.per_page}


@dataclass
class Tally:
    """What a job got: projects kept (and their count and id checksum) and what failed."""

    projects: int = 0
    checksum: int = 0
    failed: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    # Not in repr: on exit, asyncio.run of Python 3.11 formats the main task and its result.
    kept: list[list[Any]] = field(default_factory=list, repr=False)

    def keep(self, items: list[Any], checksum: int) -> None:
        self.kept.append(items)
        self.projects += len(items)
        self.checksum += checksum

    def fail(self, error: BaseException) -> None:
        self.failed += 1
        self.errors[type(error).__name__] += 1


Runner = Callable[[], Tally]
JOBS: dict[str, Callable[[Spec], Runner]] = {}


def job(name: str) -> Callable[[Callable[[Spec], Runner]], Callable[[Spec], Runner]]:
    """Register a job: a function that imports and prepares, then returns the timed runner."""

    def register(prepare: Callable[[Spec], Runner]) -> Callable[[Spec], Runner]:
        JOBS[name] = prepare
        return prepare

    return register


def _webwork_session(spec: Spec) -> Callable[[], Any]:
    """Import webwork-async; return what opens ``AsyncSession(token, base_url=..., ...)``.

    The bulk job runs unpaced (``rate_limit=None``); the rate-limited job paces at the server's
    own limit.
    """
    from webwork_async import AsyncSession, RateLimit

    rate_limit = None
    if spec.rate_limit is not None:
        requests, period = spec.rate_limit
        rate_limit = RateLimit(requests=requests, period=period)

    def open_session() -> Any:
        return AsyncSession(
            spec.token,
            base_url=spec.base_url,
            max_concurrency=spec.concurrency,
            rate_limit=rate_limit,
        )

    return open_session


@job("webwork-async")
@job("webwork-async, rate limited")
def webwork_bulk(spec: Spec) -> Runner:
    """``list_many`` over every workspace; each result is the workspace's complete project list."""
    open_session = _webwork_session(spec)

    async def main() -> Tally:
        tally = Tally()
        async with open_session() as ww:
            async for result in ww.projects.list_many(spec.workspace_ids):
                if result.ok:
                    tally.keep(result.items, sum([project.id for project in result.items]))
                else:
                    tally.fail(result.error)
        return tally

    return lambda: asyncio.run(main())


@job("webwork-async, streaming")
def webwork_stream(spec: Spec) -> Runner:
    """``async for`` over every project of one workspace, keeping only a count and a checksum."""
    open_session = _webwork_session(spec)

    async def main() -> Tally:
        tally = Tally()
        async with open_session() as ww:
            async for project in ww.projects.list(workspace_id=spec.first_workspace):
                tally.projects += 1
                tally.checksum += project.id
        return tally

    return lambda: asyncio.run(main())


def _aiohttp_bulk(spec: Spec, read: Callable[[bytes], tuple[list[Any], int, int]]) -> Runner:
    """One aiohttp session, a semaphore, one task per workspace; ``read`` decodes a page.

    ``read`` gives the page's projects, its ``last_page`` and the sum of its project ids.
    """
    import aiohttp

    async def main() -> Tally:
        tally = Tally()
        semaphore = asyncio.Semaphore(spec.concurrency)
        async with aiohttp.ClientSession(headers=spec.headers) as http:

            async def fetch(workspace_id: int) -> None:
                page, last_page = 1, 1
                while page <= last_page:
                    async with semaphore:
                        params = spec.query(workspace_id, page)
                        async with http.get(spec.projects_url, params=params) as response:
                            response.raise_for_status()
                            body = await response.read()
                    items, last_page, checksum = read(body)
                    tally.keep(items, checksum)
                    page += 1

            await asyncio.gather(*(fetch(workspace_id) for workspace_id in spec.workspace_ids))
        return tally

    return lambda: asyncio.run(main())


@job("floor")
def floor(spec: Spec) -> Runner:
    """The best case: aiohttp, and msgspec decoding straight into ``gc=False`` Structs."""
    from _floor_models import decoder

    def read(body: bytes) -> tuple[list[Any], int, int]:
        page = decoder.decode(body)
        return page.data, page.meta.pagination.last_page, sum([p.id for p in page.data])

    return _aiohttp_bulk(spec, read)


@job("aiohttp+json.loads")
def aiohttp_json(spec: Spec) -> Runner:
    """aiohttp, and ``json.loads`` into plain dicts: no types, no validation."""

    def read(body: bytes) -> tuple[list[Any], int, int]:
        page = json.loads(body)
        data = page["data"]
        return data, page["meta"]["pagination"]["last_page"], sum([p["id"] for p in data])

    return _aiohttp_bulk(spec, read)


@job("httpx+pydantic")
def httpx_pydantic(spec: Spec) -> Runner:
    """httpx.AsyncClient limited to the concurrency, pages validated by pydantic v2 models."""
    import httpx
    from _pydantic_models import ProjectsPage

    async def main() -> Tally:
        tally = Tally()
        limits = httpx.Limits(
            max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
        )
        semaphore = asyncio.Semaphore(spec.concurrency)
        async with httpx.AsyncClient(headers=spec.headers, limits=limits, timeout=30) as client:

            async def fetch(workspace_id: int) -> None:
                page, last_page = 1, 1
                while page <= last_page:
                    async with semaphore:
                        params = spec.query(workspace_id, page)
                        response = await client.get(spec.projects_url, params=params)
                    response.raise_for_status()
                    parsed = ProjectsPage.model_validate_json(response.content)
                    tally.keep(parsed.data, sum([p.id for p in parsed.data]))
                    last_page = parsed.meta.pagination.last_page
                    page += 1

            await asyncio.gather(*(fetch(workspace_id) for workspace_id in spec.workspace_ids))
        return tally

    return lambda: asyncio.run(main())


@job("requests+threads")
def requests_threads(spec: Spec) -> Runner:
    """A thread pool, one ``requests.Session`` per thread, ``response.json()`` into dicts."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def run() -> Tally:
        tally = Tally()
        local = threading.local()
        sessions: list[requests.Session] = []

        def fetch(workspace_id: int) -> list[dict[str, Any]]:
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.headers.update(spec.headers)
                sessions.append(local.session)
            projects: list[dict[str, Any]] = []
            page, last_page = 1, 1
            while page <= last_page:
                params = spec.query(workspace_id, page)
                response = local.session.get(spec.projects_url, params=params, timeout=30)
                response.raise_for_status()
                body = response.json()
                projects.extend(body["data"])
                last_page = body["meta"]["pagination"]["last_page"]
                page += 1
            return projects

        with ThreadPoolExecutor(max_workers=spec.concurrency) as pool:
            for projects in pool.map(fetch, spec.workspace_ids):
                tally.keep(projects, sum([p["id"] for p in projects]))
        for session in sessions:
            session.close()
        return tally

    return run


@job("raw aiohttp, streaming baseline")
def raw_stream(spec: Spec) -> Runner:
    """Fetch the pages one after another with aiohttp, holding only one page's bytes."""
    import aiohttp

    async def main() -> Tally:
        tally = Tally()
        async with aiohttp.ClientSession(headers=spec.headers) as http:
            for page in range(1, spec.pages + 1):
                params = spec.query(spec.first_workspace, page)
                async with http.get(spec.projects_url, params=params) as response:
                    response.raise_for_status()
                    body = await response.read()
                tally.checksum += len(body)
        return tally

    return lambda: asyncio.run(main())


def server_stats(base_url: str) -> dict[str, Any]:
    """The loopback server's CPU seconds and answers by status."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", STATS_PATH)
        stats: dict[str, Any] = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return stats


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS, else KB


def main() -> None:
    spec = Spec(**json.loads(sys.argv[1]))
    run = JOBS[spec.job](spec)
    before = server_stats(spec.base_url)
    gc.collect()
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    tally = run()
    seconds = time.perf_counter() - started
    rss_peak = peak_rss_mb()
    after = server_stats(spec.base_url)
    statuses = {
        status: count - before["statuses"].get(status, 0)
        for status, count in after["statuses"].items()
        if count != before["statuses"].get(status, 0)
    }
    report = {
        "job": spec.job,
        "seconds": seconds,
        "projects": tally.projects,
        "checksum": tally.checksum,
        "failed": tally.failed,
        "errors": dict(tally.errors),
        "requests": after["requests"] - before["requests"],
        "statuses": statuses,
        "server_cpu_seconds": after["cpu_seconds"] - before["cpu_seconds"],
        "rss_before_mb": rss_before,
        "rss_peak_mb": rss_peak,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()


def write_results(
    path: Any, *, started: Any, machine: Any, targets: Any, problems: list[str], **parts: Any
) -> None:
    """Write a run's results as JSON (``--json PATH``): when and where it ran, its parts, the
    targets and the problems found."""
    document = {"date": started.isoformat(), "machine": machine, **parts, "targets": targets,
                "problems": problems}  # fmt: skip
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path}")


_Plan = TypeVar("_Plan")


def sized_options(
    description: str, full: _Plan, quick: _Plan, argv: list[str] | None, quick_help: str
) -> tuple[_Plan, argparse.ArgumentParser, argparse.Namespace]:
    """Parse ``--quick``, ``--json PATH`` and one option per field of the dataclass ``full``
    (``--name-with-dashes``, typed like the field, its ``help`` from the field's metadata):
    the plan (``quick`` or ``full`` with the options given), the parser (for its ``error``) and
    the arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    sizes = dataclasses.fields(full)  # type: ignore[arg-type]
    for size in sizes:
        kind = type(getattr(full, size.name))
        parser.add_argument(
            f"--{size.name.replace('_', '-')}",
            type=kind,
            metavar="S" if kind is float else "N",
            help=f"{size.metadata['help']} (default {getattr(full, size.name):g}, "
            f"{getattr(quick, size.name):g} with --quick)",
        )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    given = {s.name: getattr(args, s.name) for s in sizes if getattr(args, s.name) is not None}
    plan = dataclasses.replace(quick if args.quick else full, **given)  # type: ignore[type-var]
    return plan, parser, args
