"""The tests' PostgreSQL server is a real one, and each test's database is its own."""

from __future__ import annotations

import asyncpg
import pytest


@pytest.mark.parametrize("run", ["first", "second"])
async def test_a_table_is_written_and_read_back_in_a_database_of_its_own(
    postgres_dsn: str, run: str
) -> None:
    connection = await asyncpg.connect(postgres_dsn)
    try:
        # The other run's table is in its own database: this one starts empty.
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == []
        await connection.execute("CREATE TABLE entries (id integer PRIMARY KEY, note text)")
        await connection.execute("INSERT INTO entries VALUES ($1, $2)", 7, f"{run} ü")
        rows = await connection.fetch("SELECT id, note FROM entries")
        assert [tuple(row) for row in rows] == [(7, f"{run} ü")]
        version = await connection.fetchval("SHOW server_version_num")
        assert int(version) >= 120000
    finally:
        await connection.close()
