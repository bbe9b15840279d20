"""The Members group: ``/members`` (reference §4.2).

Members are people by user id: the same id in every workspace they belong to.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from msgspec import UNSET, UnsetType

from webwork_async._bulk import WorkspaceResult
from webwork_async._options import CallOptions
from webwork_async._pagination import AsyncPaginator
from webwork_async._progress import ProgressCallback
from webwork_async.models.members import Invitation, Member, MemberRole, MemberStatus
from webwork_async.resources._base import Resource
from webwork_async.resources._operations import ASSIGNABLE_ROLE, Operation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["MembersResource"]

Role = MemberRole | str
Status = MemberStatus | str

_LIST = Operation[Member]("GET", "members", Member)
_GET = Operation[Member]("GET", "members/{member_id}", Member)
_INVITE = Operation[Invitation](
    "POST",
    "members",
    Invitation,
    frozenset({"workspace_id", "email", "firstname", "lastname", "role"}),
    ASSIGNABLE_ROLE,
)
_UPDATE = Operation[None]("PUT", "members/{member_id}", checks=ASSIGNABLE_ROLE, partial=True)
_DELETE = Operation[None]("DELETE", "members/{member_id}")


class MembersResource(Resource):
    """``ww.members``: list, get, invite, update and delete (archive) workspace members."""

    def list(
        self,
        *,
        workspace_id: int,
        email: str | None = None,
        status: Status | None = None,
        role: Role | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Member]:
        """Members of a workspace: await for one page, ``async for`` for all of them.

        ``email`` matches exactly; ``status`` and ``role`` take the documented values (or a
        :class:`~webwork_async.models.MemberStatus` / :class:`~webwork_async.models.MemberRole`).
        """
        return self._list(_LIST, locals())

    def list_many(
        self,
        workspace_ids: Iterable[int],
        *,
        email: str | None = None,
        status: Status | None = None,
        role: Role | None = None,
        per_page: int | None = None,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[WorkspaceResult[Member], None]:
        """Every member of each workspace, yielded per workspace as it completes (like
        :meth:`ProjectsResource.list_many <webwork_async.resources.ProjectsResource.list_many>`)."""
        return self._list_many(_LIST, locals())

    async def get(
        self, member_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> Member:
        """One member; :class:`~webwork_async.errors.NotFoundError` if not in the workspace."""
        return await self._run(_GET, locals())

    async def invite(
        self,
        *,
        workspace_id: int,
        email: str,
        firstname: str,
        lastname: str,
        role: Role,
        **options: Unpack[CallOptions],
    ) -> Invitation:
        """Invite someone by e-mail (owners and executive managers only); the member stays
        pending until the invitation is accepted. Any role but Owner may be given.

        Never sent twice: an invitation that may have reached the service is not retried.
        """
        return await self._run(_INVITE, locals())

    async def update(
        self,
        member_id: int,
        *,
        workspace_id: int,
        email: str | UnsetType = UNSET,
        firstname: str | UnsetType = UNSET,
        lastname: str | UnsetType = UNSET,
        timezone: str | UnsetType | None = UNSET,
        role: Role | UnsetType = UNSET,
        rate_status: bool | UnsetType = UNSET,
        weekly_hours_limit: int | UnsetType = UNSET,
        remove_avatar: bool | UnsetType = UNSET,
        **options: Unpack[CallOptions],
    ) -> None:
        """Change the given fields only. ``rate_status`` shows (True) or hides the member's
        rate; ``remove_avatar=True`` removes the picture. Owner cannot be given as a role.

        The service's answer carries no member: :meth:`get` it for the new state.
        """
        await self._run(_UPDATE, locals())

    async def delete(
        self, member_id: int, *, workspace_id: int, **options: Unpack[CallOptions]
    ) -> None:
        """Archive a member: they lose access; the service keeps their data."""
        await self._run(_DELETE, locals())
