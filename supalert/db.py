"""Small helpers every command's queries share."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.abc import Query
from psycopg.rows import dict_row

from supalert.errors import SupalertError


def fetch_dicts(conn: psycopg.Connection, query: Query, params: tuple | dict = ()) -> list[dict[str, Any]]:
    """The query's rows as dicts keyed by column name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def require_installed(conn: psycopg.Connection) -> None:
    """Raises, naming the fix, unless supalert's migrations have run in this database."""
    if not conn.execute("select to_regclass('monitoring.rules') is not null").fetchone()[0]:
        raise SupalertError("supalert is not installed in this database (no monitoring.rules)", "run migrate first")
