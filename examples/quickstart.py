"""Quick start: list workspaces and projects, then create, read, update and archive a project.

Everything happens in the first workspace where you are "Owner" or "Executive manager" (the
only roles the API serves); the project it creates is archived again at the end.

Run it against the fake server (the token and base URL come from the environment only)::

    WEBWORK_TOKEN=dev-token .venv/bin/webwork-fake --port 8080 --workspaces 30
    WEBWORK_TOKEN=dev-token WEBWORK_BASE_URL=http://127.0.0.1:8080/api/v2/ \
        python examples/quickstart.py

Against the real service, set only ``WEBWORK_TOKEN`` (a personal access token).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date, timedelta

from webwork_async import AsyncSession

MANAGER_ROLES = {"Owner", "Executive manager"}


async def main() -> int:
    # Token from $WEBWORK_TOKEN, base URL from $WEBWORK_BASE_URL (else the real service).
    async with AsyncSession() as ww:
        workspaces = [workspace async for workspace in ww.workspaces.list()]
        for workspace in workspaces:
            print(f"workspace {workspace.id}: {workspace.workspace_name} ({workspace.role})")
        managed = [w for w in workspaces if w.role in MANAGER_ROLES]
        if not managed:
            print("no workspace where you are Owner or Executive manager", file=sys.stderr)
            return 1
        workspace_id = managed[0].id
        print(f"using workspace {workspace_id}")

        page = await ww.projects.list(workspace_id=workspace_id, page=1, per_page=10)  # one request
        total = page.pagination.total if page.pagination else "?"
        print(f"first page: {len(page.items)} of {total} projects")

        projects = [project async for project in ww.projects.list(workspace_id=workspace_id)]
        with_deadline = sum(project.deadline is not None for project in projects)
        print(f"all pages: {len(projects)} projects, {with_deadline} with a deadline")

        start = date.today()
        project = await ww.projects.create(
            workspace_id=workspace_id, name="Quickstart project", start_date=start, budget=5000
        )
        print(f"created project {project.id} {project.name!r} starting {project.start_date}")
        project = await ww.projects.get(project.id, workspace_id=workspace_id)
        print(f"got project {project.id}: budget {project.budget_estimation}")
        project = await ww.projects.update(
            project.id, workspace_id=workspace_id, deadline=start + timedelta(days=90)
        )
        print(f"updated project {project.id}: deadline {project.deadline}")
        await ww.projects.delete(project.id, workspace_id=workspace_id)  # archives it
        print(f"archived project {project.id}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
