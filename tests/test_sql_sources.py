"""sql/ is the source of truth for functions and cron jobs; the migrations must define exactly the same."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from supalert import sqlsource
from supalert.errors import SupalertError
from supalert.paths import project_root
from tests.support.project_copy import project_copy

SCHEMAS = ("public", "monitoring")


def definitions(conn: psycopg.Connection) -> dict[str, tuple[str, str, str]]:
    """Every function of supalert's schemas (not from extensions): signature -> (definition, grants, comment)."""
    rows = conn.execute(
        """
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid),
               coalesce((select string_agg(a::text, ',' order by a::text) from unnest(p.proacl) a), ''),
               coalesce(obj_description(p.oid, 'pg_proc'), '')
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any(%s)
           and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
        """,
        (list(SCHEMAS),),
    ).fetchall()
    return {sig: (body, acl, comment) for sig, body, acl, comment in rows}


def cron_jobs(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select jobname, schedule, command, active from cron.job order by jobname").fetchall()


def test_database_built_from_migrations_has_exactly_the_sql_definitions(conn):
    from_migrations = definitions(conn), cron_jobs(conn)
    # Drop everything the migrations defined, then run sql/ alone: what remains must be identical.
    for signature in from_migrations[0]:
        conn.execute(f"drop function {signature} cascade")
    conn.execute("select cron.unschedule(jobid) from cron.job")
    for source in sqlsource.source_files(project_root()):
        conn.execute(source.text)
    from_sql = definitions(conn), cron_jobs(conn)
    assert from_sql[0] == from_migrations[0]
    assert from_sql[1] == from_migrations[1]
    assert from_sql[0], "sql/ should define functions"
    assert from_sql[1], "sql/cron should define jobs"


def test_new_migration_check_finds_nothing_pending(cli):
    done = cli("new-migration", "--check", "unused")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sql/ and rules/ match the migrations and the README" in done.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path)


def test_new_migration_copies_only_changed_files(project):
    folder = project / "migrations"
    changed = project / "sql" / "security" / "is_admin.sql"
    changed.write_text(changed.read_text().replace("True when", "True if"))
    path, changes = sqlsource.write_migration(project, folder, "reword_is_admin")
    assert [c.relpath for c in changes.changed] == ["sql/security/is_admin.sql"]
    assert changes.removed == [] and changes.moved == []
    assert "True if auth.jwt()" in path.read_text()
    assert not sqlsource.changed_sources(project, folder)
    (project / "sql" / "housekeeping" / "require_columns.sql").unlink()
    path2, changes2 = sqlsource.write_migration(project, folder, "drop_require_columns")
    assert changes2.changed == [] and changes2.removed == ["sql/housekeeping/require_columns.sql"]
    assert path2.name > path.name
    assert not sqlsource.changed_sources(project, folder)


def test_a_file_moved_unchanged_is_a_marker_not_a_copy(project):
    folder = project / "migrations"
    (project / "sql" / "api").rename(project / "sql" / "outbox" / "api")  # a stray folder first: refused
    with pytest.raises(SupalertError, match=r"sql/ file\(s\) outside the known folders: sql/outbox/api/"):
        sqlsource.changed_sources(project, folder)
    (project / "sql" / "outbox" / "api").rename(project / "sql" / "api")
    (project / "sql" / "api" / "get_error_rate.sql").rename(project / "sql" / "actions" / "get_error_rate.sql")
    path, changes = sqlsource.write_migration(project, folder, "move_get_error_rate")
    assert changes.moved == [("sql/api/get_error_rate.sql", "sql/actions/get_error_rate.sql")]
    assert changes.changed == [] and changes.removed == []
    assert "-- supalert:moved sql/api/get_error_rate.sql -> sql/actions/get_error_rate.sql" in path.read_text()
    assert "create or replace" not in path.read_text()
    assert not sqlsource.changed_sources(project, folder)


def test_new_migration_rejects_bad_names(cli):
    done = cli("new-migration", "bad name!")
    assert done.returncode == 1
    assert "error: migration name 'bad name!' is not allowed" in done.stderr
