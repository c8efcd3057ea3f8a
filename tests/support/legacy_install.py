"""A database as supalert's first releases (up to 085c45f) left it: supalert's rows in the Supabase CLI's history
table, written exactly as `supabase db push` writes them, and its checksums in a side table beside it.

The DDL below is a frozen copy of what that runner ran (supalert/migrations.py at 085c45f); the rows are the ones it
wrote. Used to prove that today's `migrate` moves supalert's rows out and leaves the app's alone.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from supalert import migrations

FIRST_RELEASES_DDL = (
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
    "create table if not exists supabase_migrations.supalert_checksums ("
    " version text primary key, sha256 text not null, applied_at timestamptz not null default now(),"
    " applied_by text not null default current_user)",
)


def install_like_first_releases(conn: psycopg.Connection, folder: Path) -> list[migrations.MigrationFile]:
    """Apply `folder`'s migrations, then leave their history where the first releases kept it."""
    migrations.migrate(conn, folder, report=lambda _line: None)
    applied = migrations.discover(folder)
    with conn.transaction():
        for ddl in FIRST_RELEASES_DDL:
            conn.execute(ddl)
        for item in applied:
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
                (item.version, item.name, [s.text for s in item.statements]),
            )
            conn.execute(
                "insert into supabase_migrations.supalert_checksums (version, sha256) values (%s, %s)",
                (item.version, item.sha256),
            )
        conn.execute("drop schema supalert_migrations cascade")
    return applied
