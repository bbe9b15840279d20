"""Fixtures of the ``webwork sync --db`` tests: a real PostgreSQL server (see
``postgres_server.py``), one a session since a start costs about a second, and a fresh database
a test so that no test sees another's tables."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from postgres_server import PostgresServer, postgres_server

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's server; stopped and deleted at its end, also when tests failed."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    """The DSN of a new, empty database, named after the test (for reading the server's log)."""
    test = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower())[:40]
    return postgres.new_database(f"t{next(_numbers)}_{test}")
