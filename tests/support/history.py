"""The two migration histories a database may hold: supalert's own and the Supabase CLI's."""

from __future__ import annotations

import psycopg


def history(url: str) -> list[tuple[str, str, str]]:
    """supalert's own history: (version, name, sha256) in version order."""
    with psycopg.connect(url) as conn:
        if not conn.execute("select to_regclass('supalert_migrations.history') is not null").fetchone()[0]:
            return []
        return conn.execute("select version, name, sha256 from supalert_migrations.history order by version").fetchall()


def cli_history(url: str) -> list[tuple[str, str, list[str]]]:
    """The Supabase CLI's history, which belongs to the app's `supabase db push`."""
    with psycopg.connect(url) as conn:
        if not conn.execute("select to_regclass('supabase_migrations.schema_migrations') is not null").fetchone()[0]:
            return []
        return conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations order by version"
        ).fetchall()
