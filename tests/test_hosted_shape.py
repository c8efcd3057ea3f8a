"""The test cluster is shaped like a hosted Supabase project, and supalert runs in it as the non-superuser
`postgres`: what a hosted project forbids fails here too, and what supautils allows works (where the vendored
extensions are built; otherwise those tests are skipped, saying why)."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.support.harness import CRON_DB, needs_vendored


def test_postgres_is_not_a_superuser_and_holds_supabases_memberships(conn):
    row = conn.execute(
        "select current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication"
        " from pg_roles where rolname = current_user"
    ).fetchone()
    assert row == ("postgres", False, True, True, True, True)
    memberships = {
        name
        for (name,) in conn.execute(
            "select b.rolname from pg_auth_members m join pg_roles b on b.oid = m.roleid"
            " join pg_roles u on u.oid = m.member where u.rolname = 'postgres'"
        )
    }
    assert {"anon", "authenticated", "service_role", "pg_monitor", "pg_read_all_data", "pg_signal_backend"} <= (
        memberships
    )
    bootstrap = conn.execute("select rolname from pg_roles where oid = 10").fetchone()[0]
    assert bootstrap == "supabase_admin"
    # Every migration ran as postgres, and supalert's objects are its own.
    assert {r for (r,) in conn.execute("select distinct applied_by from supalert_migrations.history")} == {"postgres"}
    assert conn.execute("select nspowner::regrole::text from pg_namespace where nspname = 'monitoring'").fetchone()[
        0
    ] == ("postgres")


def test_what_a_hosted_project_forbids_postgres_fails_here(conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("alter system set work_mem = '8MB'")
    # pageinspect is untrusted and not on supautils' list: only a superuser may create it.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="create extension"):
        conn.execute("create extension pageinspect")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select pg_read_file('postgresql.conf')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("create table auth.supalert_probe (id int)")


@needs_vendored("supautils", "pg_net")
def test_create_extension_pg_net_works_for_postgres_through_supautils(bare_db):
    # A database without supalert (whose migration creates pg_net where postgres may, as here).
    with psycopg.connect(bare_db, autocommit=True) as conn:
        conn.execute("create extension pg_net with schema extensions")
        owner, schema = conn.execute(
            "select extowner::regrole::text, extnamespace::regnamespace::text"
            " from pg_extension where extname = 'pg_net'"
        ).fetchone()
        assert (owner, schema) == ("supabase_admin", "extensions")  # created by supautils as the superuser
        # Supabase's event trigger gave postgres and the API roles the schema.
        assert conn.execute("select has_schema_privilege('postgres', 'net', 'usage')").fetchone()[0]
        http_get = "net.http_get(text,jsonb,jsonb,integer)"
        assert conn.execute("select has_function_privilege('postgres', %s, 'execute')", (http_get,)).fetchone()[0]


@needs_vendored("supautils")
def test_supautils_keeps_postgres_off_the_reserved_roles(conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="reserved"):
        conn.execute("alter role anon bypassrls")
    conn.execute("set session_replication_role = replica")  # allowed for the privileged role
    conn.execute("reset session_replication_role")


@needs_vendored("supabase_vault")
def test_vault_stores_and_decrypts_a_secret_for_postgres(conn):
    conn.execute("select vault.create_secret('s3cret-value', 'supalert_shape_probe')")
    assert conn.execute(
        "select decrypted_secret from vault.decrypted_secrets where name = 'supalert_shape_probe'"
    ).fetchone() == ("s3cret-value",)
    stored = conn.execute("select secret from vault.secrets where name = 'supalert_shape_probe'").fetchone()[0]
    assert "s3cret-value" not in stored


@needs_vendored("pg_cron")
@pytest.mark.slow
def test_a_ten_second_pg_cron_schedule_runs_as_postgres(pg):
    with psycopg.connect(pg.url(CRON_DB), autocommit=True) as conn:
        version = conn.execute("select extversion from pg_extension where extname = 'pg_cron'").fetchone()[0]
        assert version.startswith("1.6")
        job = conn.execute("select cron.schedule('supalert-shape-probe', '10 seconds', 'select 1')").fetchone()[0]
        try:
            deadline = time.monotonic() + 40
            runs: list = []
            while time.monotonic() < deadline and len(runs) < 2:
                runs = conn.execute(
                    "select status, username from cron.job_run_details where jobid = %s", (job,)
                ).fetchall()
                time.sleep(0.5)
        finally:
            conn.execute("select cron.unschedule(%s)", (job,))
    assert len(runs) >= 2, f"a 10-second job ran {len(runs)} time(s) in 40 s"
    assert {row for row in runs} == {("succeeded", "postgres")}
