"""The migration runner against the real test cluster, driven through the CLI as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from supalert.migrations import LOCK_KEY, discover
from supalert.paths import PROJECT_ROOT as ROOT
from supalert.paths import migrations_dir
from supalert.server_build import server_build
from tests.support.cli import assert_clean_error
from tests.support.harness import PASSWORD, PASSWORD_USER, free_port
from tests.support.history import history

FILES = discover(migrations_dir())


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder)
    return folder


def test_fresh_migrate_applies_every_file_into_its_own_history_and_leaves_the_clis_alone(bare_db, cli):
    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    assert f"applied {len(FILES)} of {len(FILES)} migrations" in done.stdout
    assert history(bare_db) == [(f.version, f.name, f.sha256) for f in FILES]
    with psycopg.connect(bare_db) as conn:
        assert conn.execute("select count(*) from monitoring.settings").fetchone()[0] == 1
        # The CLI's history schema belongs to the app's `supabase db push`: supalert never makes it.
        assert conn.execute("select to_regnamespace('supabase_migrations') is null").fetchone()[0]
        applied_by = conn.execute("select distinct applied_by, applied_via from supalert_migrations.history").fetchall()
        assert applied_by == [("postgres", "deploy.py migrate")]


def test_second_migrate_is_a_quick_no_op(db, cli):
    before = history(db)
    started = time.monotonic()
    done = cli("migrate", "--db-url", db)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout and "nothing to do" in done.stdout
    assert history(db) == before
    print(f"no-op migrate took {elapsed:.2f} s (process start included)")


def test_dry_run_lists_pending_and_changes_nothing(bare_db, cli):
    done = cli("migrate", "--db-url", bare_db, "--dry-run")
    assert done.returncode == 0, done.stderr
    for item in FILES:
        assert f"would apply {item.path.name}" in done.stdout
    with psycopg.connect(bare_db) as conn:
        assert conn.execute("select to_regnamespace('supalert_migrations') is null").fetchone()[0]
        assert conn.execute("select to_regnamespace('monitoring') is null").fetchone()[0]


def test_concurrent_runs_wait_for_each_other_and_apply_each_file_once(bare_db):
    # Hold the migration lock so both runs are certainly waiting on it together, then let them race.
    holder = psycopg.connect(bare_db, autocommit=True)
    holder.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
    cmd = [sys.executable, str(ROOT / "deploy.py"), "migrate", "--db-url", bare_db]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = holder.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted"
        ).fetchone()[0]
        if waiting == 2:
            break
        time.sleep(0.05)
    assert waiting == 2, "both runs should be waiting for the lock"
    holder.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    holder.close()
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    applied_lines = sum(err.count(".sql (") for _, err in outputs)
    assert applied_lines == len(FILES), outputs
    assert sum("nothing to do" in out for out, _ in outputs) == 1
    assert all("waiting for another migrate" in err for _, err in outputs)
    assert [v for v, _, _ in history(bare_db)] == [f.version for f in FILES]


def test_failing_statement_rolls_back_the_file_and_names_file_line_and_error(bare_db, cli, tmp_path):
    folder = copy_migrations(tmp_path)
    bad = folder / "29990101000000_broken.sql"
    bad.write_text(
        "-- a file that fails half way\n"
        "create table public.half_done (id int);\n"
        "\n"
        "select 1;\n"
        "select no_such_column\n"
        "  from public.half_done;\n"
    )
    done = cli("migrate", "--db-url", bare_db, env={"SUPALERT_MIGRATIONS_DIR": str(folder)})
    assert_clean_error(done, "29990101000000_broken.sql", "line 5", "no_such_column", "rolled back")
    # Postgres's own hint would stay a hint; the fix names the object first, and the file only as a new one.
    assert f"(fix: change the database object the error names, or fix {bad} if it is a new migration" in done.stderr
    versions = [v for v, _, _ in history(bare_db)]
    assert versions == [f.version for f in FILES]  # every good file applied, the broken one not recorded
    with psycopg.connect(bare_db) as conn:
        assert conn.execute("select to_regclass('public.half_done') is null").fetchone()[0]
    bad.write_text("create table public.half_done (id int);\n")
    fixed = cli("migrate", "--db-url", bare_db, env={"SUPALERT_MIGRATIONS_DIR": str(folder)})
    assert fixed.returncode == 0, fixed.stderr
    assert "applied 1 of" in fixed.stdout


def test_changed_applied_file_is_reported_by_name_unless_allowed(db, cli, tmp_path):
    folder = copy_migrations(tmp_path)
    target = folder / FILES[-1].path.name
    target.write_text(target.read_text() + "\n-- edited after it was applied\n")
    env = {"SUPALERT_MIGRATIONS_DIR": str(folder)}
    done = cli("migrate", "--db-url", db, env=env)
    assert_clean_error(done, "changed since they ran", target.name)
    allowed = cli("migrate", "--db-url", db, "--allow-changed", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert f"accepting changed applied migration(s) without re-running them: {target.name}" in allowed.stderr
    again = cli("migrate", "--db-url", db, env=env)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_existing_telemetry_table_with_other_columns_stops_migrate_naming_them(bare_db, cli):
    with psycopg.connect(bare_db, autocommit=True) as conn:
        conn.execute("create table public.error_logs (id bigint primary key, message text, created_at timestamptz)")
        conn.execute("alter table public.error_logs enable row level security")
    done = cli("migrate", "--db-url", bare_db)
    # Refused before anything of supalert's is installed (tests/test_existing_app_tables.py has the whole matrix).
    assert_clean_error(done, "public.error_logs has no column severity, occurred_at [SQLSTATE", "add column severity")
    assert history(bare_db) == []


def test_badly_named_migration_file_is_refused_before_connecting(cli, tmp_path):
    folder = copy_migrations(tmp_path)
    (folder / "add_rule.sql").write_text("select 1;")
    done = cli(
        "migrate",
        "--db-url",
        "postgresql://nobody@127.0.0.1:1/x",
        env={"SUPALERT_MIGRATIONS_DIR": str(folder)},
    )
    assert_clean_error(done, "badly named", "add_rule.sql", "<YYYYMMDDHHMMSS>_<name>.sql")


def test_unreachable_database_is_one_clean_line(cli):
    done = cli("migrate", "--db-url", f"postgresql://postgres:s3cret-pw@127.0.0.1:{free_port()}/postgres")
    assert_clean_error(done, "cannot connect", "connection refused")
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_wrong_password_is_one_clean_line_without_the_password(pg, cli):
    url = pg.url("postgres", user=PASSWORD_USER, password="wrong-" + PASSWORD)
    done = cli("migrate", "--db-url", url)
    assert_clean_error(done, "rejected the password")
    assert PASSWORD not in done.stderr + done.stdout


def test_transaction_pooler_url_is_refused_with_an_explanation(cli):
    url = "postgresql://postgres.abcdefgh:pooler-secret@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"
    done = cli("migrate", "--db-url", url)
    assert_clean_error(done, "transaction pooler", "session pooler")
    assert "pooler-secret" not in done.stderr + done.stdout


def test_url_from_environment_is_used(bare_db, cli):
    done = cli("migrate", env={"SUPABASE_DB_URL": bare_db})
    assert done.returncode == 0, done.stderr
    assert len(history(bare_db)) == len(FILES)


@pytest.mark.slow
def test_no_url_starts_and_migrates_the_embedded_local_database(cli):
    # Not pytest's tmp_path: it is private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="supalert-local-", dir="/tmp"))
    base.chmod(0o755)
    env = {"SUPALERT_LOCAL_DIR": str(base / "local"), "SUPALERT_LOCAL_PORT": str(free_port())}
    try:
        first = cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        notice = [line for line in first.stderr.splitlines() if "embedded local database" in line]
        assert len(notice) == 1 and "(started it)" in notice[0]
        assert f"applied {len(FILES)} of {len(FILES)}" in first.stdout
        second = cli("migrate", env=env)
        assert second.returncode == 0 and "nothing to do" in second.stdout
        assert "(already running)" in second.stderr
        status = cli("status", "--json", env=env)
        assert status.returncode == 0, status.stdout + status.stderr
        pg_cron = "1.6" if server_build().has("pg_cron") else "1.4"
        assert f'"pg_cron": "{pg_cron}' in status.stdout
        # Shaped like a hosted project: pg_cron enabled by the superuser, everything else as postgres.
        with psycopg.connect(cli("local", "url", env=env).stdout.strip()) as conn:
            assert conn.execute(
                "select current_user, rolsuper from pg_roles where rolname = current_user"
            ).fetchone() == (
                "postgres",
                False,
            )
            owners = dict(conn.execute("select extname, extowner::regrole::text from pg_extension").fetchall())
            assert owners["pg_cron"] == "supabase_admin"
            assert conn.execute("select distinct applied_by from supalert_migrations.history").fetchall() == [
                ("postgres",)
            ]
        url = cli("local", "url", env=env).stdout.strip()
        assert url.endswith(f":{env['SUPALERT_LOCAL_PORT']}/postgres?sslmode=disable")
        assert cli("local", "status", env=env).returncode == 0
    finally:
        stop = cli("local", "stop", env=env)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert cli("local", "status", env=env).returncode == 1
    shutil.rmtree(base, ignore_errors=True)


def test_until_applies_migrations_up_to_that_version_and_then_the_rest(bare_db, cli):
    middle = FILES[len(FILES) // 2].version
    done = cli("migrate", "--db-url", bare_db, "--until", middle)
    assert done.returncode == 0, done.stderr
    assert [v for v, _, _ in history(bare_db)] == [f.version for f in FILES if f.version <= middle]
    rest = cli("migrate", "--db-url", bare_db)
    assert rest.returncode == 0, rest.stderr
    assert [v for v, _, _ in history(bare_db)] == [f.version for f in FILES]


def test_until_an_unknown_version_names_it_and_changes_nothing(bare_db, cli):
    done = cli("migrate", "--db-url", bare_db, "--until", "20260101000000")
    assert done.returncode == 1
    assert "error: no migration has version '20260101000000'" in done.stderr
    assert f"e.g. {FILES[-1].version}" in done.stderr
    assert history(bare_db) == []


@pytest.mark.slow
def test_a_first_start_on_a_port_in_use_names_it_and_the_next_start_shapes_the_database(pg, cli):
    base = Path(tempfile.mkdtemp(prefix="supalert-local-", dir="/tmp"))
    base.chmod(0o755)
    env = {"SUPALERT_LOCAL_DIR": str(base / "local"), "SUPALERT_LOCAL_PORT": str(pg.port)}  # the test cluster's
    try:
        busy = cli("local", "start", env=env)
        assert_clean_error(busy, f"another server already listens on 127.0.0.1:{pg.port}", "SUPALERT_LOCAL_PORT=")
        env["SUPALERT_LOCAL_PORT"] = str(free_port())
        done = cli("migrate", env=env)  # the cluster initdb made above, started and shaped now
        assert done.returncode == 0, done.stderr
        with psycopg.connect(cli("local", "url", env=env).stdout.strip()) as conn:
            assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
    finally:
        cli("local", "stop", env=env)
        shutil.rmtree(base, ignore_errors=True)
