"""The fetch-only job of ``sync.py``, in a fresh process of its own.

    python benchmarks/_sync_fetch.py '{"base_url": ..., "token": ..., "concurrency": 16}'

``GET /workspaces`` for the ids (as ``webwork sync`` discovers them), then
``projects.list_many`` over them with ``rate_limit=None``: every project decoded, counted and
checksummed, none kept. Prints one JSON line: the workspaces listed, the projects, their id
checksum, the workspaces that failed, and the job's own seconds (inside the process).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

from webwork_async import AsyncSession


async def fetch(spec: dict[str, Any]) -> dict[str, Any]:
    projects = checksum = failed = 0
    async with AsyncSession(
        spec["token"],
        base_url=spec["base_url"],
        max_concurrency=spec["concurrency"],
        rate_limit=None,
    ) as ww:
        ids = [workspace.id async for workspace in ww.workspaces.list()]
        async for result in ww.projects.list_many(ids):
            if result.error is None:
                projects += len(result.items)
                checksum += sum([project.id for project in result.items])
            else:
                failed += 1
    return {"workspaces": len(ids), "projects": projects, "checksum": checksum, "failed": failed}


def main() -> None:
    spec = json.loads(sys.argv[1])
    gc.collect()
    started = time.perf_counter()
    report = asyncio.run(fetch(spec))
    print(json.dumps({**report, "job_seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
