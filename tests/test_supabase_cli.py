"""supalert installed into an app that deploys with the real Supabase CLI: its own history never trips the app's
`supabase db push`, an install made by the first releases is moved out, and exported migrations are applied once
whichever tool runs first."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from supalert.export import MARK
from supalert.migrations import discover
from supalert.paths import migrations_dir
from tests.support.cli import assert_clean_error
from tests.support.history import cli_history, history
from tests.support.legacy_install import install_like_first_releases
from tests.support.supabase_cli import SUPABASE, supabase

FILES = discover(migrations_dir())
APP_MIGRATIONS = {
    # One older and one newer than every supalert migration, as an app that was there first and goes on.
    "20240101000000_app_init.sql": "create table public.todos (id bigserial primary key, title text not null);\n"
    "alter table public.todos enable row level security;\n",
    "20261201000000_app_orders.sql": "create table public.orders (id uuid primary key default gen_random_uuid());\n"
    "alter table public.orders enable row level security;\n",
}
NEXT_RELEASE = "29990101000000_next_release.sql"

pytestmark = pytest.mark.skipif(not SUPABASE.exists(), reason="Supabase CLI missing: run `make setup`")


def listed_versions(output: str) -> list[tuple[str, str]]:
    """(local, remote) pairs from `supabase migration list`."""
    rows = []
    for line in output.splitlines():
        cells = [c.strip().strip("`") for c in line.split("|")]
        if len(cells) >= 3 and (re.fullmatch(r"\d{14}", cells[0]) or re.fullmatch(r"\d{14}", cells[1])):
            rows.append((cells[0], cells[1]))
    return rows


def make_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    (app / "supabase" / "migrations").mkdir(parents=True)
    for name, text in APP_MIGRATIONS.items():
        (app / "supabase" / "migrations" / name).write_text(text)
    return app


def add_app_migration(app: Path, name: str) -> None:
    (app / "supabase" / "migrations" / name).write_text("alter table public.todos add column done boolean;\n")


def push(app: Path, url: str) -> subprocess.CompletedProcess:
    done = supabase("db", "push", "--db-url", url, "--yes", cwd=app)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def app_versions(app: Path) -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in (app / "supabase" / "migrations").glob("*.sql"))


def assert_no_remote_only_version(app: Path, url: str) -> None:
    listed = supabase("migration", "list", "--db-url", url, cwd=app)
    assert listed.returncode == 0, listed.stderr
    pairs = listed_versions(listed.stdout)
    assert pairs == [(v, v) for v in app_versions(app)], listed.stdout


def next_supalert_release(tmp_path: Path) -> Path:
    """supalert's migrations plus one new migration of its own, as the next release ships them."""
    folder = tmp_path / "supalert-next"
    shutil.copytree(migrations_dir(), folder)
    (folder / NEXT_RELEASE).write_text("create table monitoring.next_release_marker (id integer primary key);\n")
    return folder


def test_app_keeps_pushing_its_own_migrations_after_migrate_and_a_supalert_upgrade(bare_db, cli, tmp_path):
    app = make_app(tmp_path)
    push(app, bare_db)
    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    add_app_migration(app, "20261202000000_app_more.sql")
    pushed = push(app, bare_db)
    assert "20261202000000_app_more.sql" in pushed.stdout + pushed.stderr
    assert_no_remote_only_version(app, bare_db)
    assert [v for v, _, _ in cli_history(bare_db)] == app_versions(app)  # supalert wrote nothing there

    upgraded = cli(
        "migrate", "--db-url", bare_db, env={"SUPALERT_MIGRATIONS_DIR": str(next_supalert_release(tmp_path))}
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"applied 1 of {len(FILES) + 1} migrations" in upgraded.stdout
    assert history(bare_db)[-1][0] == NEXT_RELEASE.split("_")[0]
    pushed_again = push(app, bare_db)
    assert "up to date" in (pushed_again.stdout + pushed_again.stderr).lower()
    assert_no_remote_only_version(app, bare_db)


def test_an_install_made_by_the_first_releases_is_moved_out_of_the_clis_history(bare_db, cli, tmp_path):
    app = make_app(tmp_path)
    push(app, bare_db)
    with psycopg.connect(bare_db, autocommit=True) as conn:
        install_like_first_releases(conn, migrations_dir())
    add_app_migration(app, "20261202000000_app_more.sql")
    # What users of the first releases saw: supalert's rows trip the app's next push.
    stuck = supabase("db", "push", "--db-url", bare_db, "--yes", cwd=app)
    assert stuck.returncode != 0 and "Remote migration versions not found" in stuck.stderr + stuck.stdout

    dry = cli("migrate", "--db-url", bare_db, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would move supalert's history of {len(FILES)} migration(s)" in dry.stderr
    assert len(cli_history(bare_db)) == len(APP_MIGRATIONS) + len(FILES)  # a dry run changes nothing

    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    moved = [line for line in done.stderr.splitlines() if line.startswith("moved supalert's history")]
    assert moved == [
        f"moved supalert's history of {len(FILES)} migration(s) out of supabase_migrations.schema_migrations "
        f"(which belongs to `supabase db push`) into supalert_migrations.history; the {len(APP_MIGRATIONS)} row(s) "
        "of other tools there are untouched"
    ]
    assert "nothing to do" in done.stdout
    assert [v for v, _, _ in cli_history(bare_db)] == sorted(v.split("_")[0] for v in APP_MIGRATIONS)
    assert [(v, sha) for v, _, sha in history(bare_db)] == [(f.version, f.sha256) for f in FILES]
    with psycopg.connect(bare_db) as conn:
        assert conn.execute("select to_regclass('supabase_migrations.supalert_checksums') is null").fetchone()[0]

    push(app, bare_db)
    assert_no_remote_only_version(app, bare_db)
    upgraded = cli(
        "migrate", "--db-url", bare_db, env={"SUPALERT_MIGRATIONS_DIR": str(next_supalert_release(tmp_path))}
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"applied 1 of {len(FILES) + 1} migrations" in upgraded.stdout


def exported_files(app: Path) -> list[Path]:
    return sorted(p for p in (app / "supabase" / "migrations").glob("*.sql") if MARK.search(p.read_text()))


def test_export_then_db_push_installs_once_and_migrate_and_status_agree(cron_bare_db, cli, tmp_path):
    # The database pg_cron serves, as `postgres` is on a hosted project: status judges its jobs there.
    bare_db = cron_bare_db
    app = make_app(tmp_path)
    done = cli("export", "--into", str(app))
    assert done.returncode == 0, done.stderr
    written = exported_files(app)
    assert len(written) == len(FILES)
    newest_app = max(v.split("_")[0] for v in APP_MIGRATIONS)
    assert all(p.name.split("_")[0] > newest_app for p in written)
    carried = [MARK.search(p.read_text())["version"] for p in written]
    assert carried == [f.version for f in FILES]  # in supalert's order

    push(app, bare_db)
    assert [(v, sha) for v, _, sha in history(bare_db)] == [(f.version, f.sha256) for f in FILES]
    with psycopg.connect(bare_db) as conn:
        via = conn.execute("select applied_via from supalert_migrations.history order by version").fetchall()
        assert [row[0] for row in via] == [f"supabase db push ({p.name})" for p in written]
    again = cli("migrate", "--db-url", bare_db)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stderr
    status = cli("status", "--db-url", bare_db)
    assert status.returncode == 0, status.stdout + status.stderr
    second = cli("export", "--into", str(app))
    assert second.returncode == 0 and "nothing written" in second.stdout
    assert exported_files(app) == written

    # The next supalert release: export adds only its new migration, and the push applies just that.
    env = {"SUPALERT_MIGRATIONS_DIR": str(next_supalert_release(tmp_path))}
    third = cli("export", "--into", str(app / "supabase" / "migrations"), env=env)
    assert third.returncode == 0, third.stderr
    new = [p for p in exported_files(app) if p not in written]
    assert len(new) == 1 and new[0].name.endswith("_supalert_next_release.sql")
    push(app, bare_db)
    assert history(bare_db)[-1][0] == NEXT_RELEASE.split("_")[0]
    assert "nothing to do" in cli("migrate", "--db-url", bare_db, env=env).stdout
    assert_no_remote_only_version(app, bare_db)


def test_migrate_then_export_and_db_push_applies_nothing_twice(bare_db, cli, tmp_path):
    assert cli("migrate", "--db-url", bare_db).returncode == 0
    with psycopg.connect(bare_db) as conn:
        before = conn.execute(
            "select (select count(*) from monitoring.rules), (select count(*) from cron.job),"
            " (select count(*) from monitoring.routes)"
        ).fetchone()
    app = make_app(tmp_path)
    assert cli("export", "--into", str(app)).returncode == 0
    push(app, bare_db)
    with psycopg.connect(bare_db) as conn:
        after = conn.execute(
            "select (select count(*) from monitoring.rules), (select count(*) from cron.job),"
            " (select count(*) from monitoring.routes)"
        ).fetchone()
        via = {row[0] for row in conn.execute("select applied_via from supalert_migrations.history")}
    assert after == before
    assert via == {"deploy.py migrate"}
    assert_no_remote_only_version(app, bare_db)
    assert "nothing to do" in cli("migrate", "--db-url", bare_db).stdout


def test_db_push_of_supalerts_own_folder_is_recognised_by_migrate(bare_db, cli):
    pushed = supabase("db", "push", "--db-url", bare_db, "--yes")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    before = cli_history(bare_db)
    # supalert's split of each file equals what the CLI stored.
    assert [s for _, _, s in before] == [[st.text for st in f.statements] for f in FILES]
    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stdout
    assert f"recorded {len(FILES)} migration(s) the Supabase CLI applied" in done.stderr
    assert cli_history(bare_db) == before  # the CLI's rows stay the CLI's
    assert [(v, sha) for v, _, sha in history(bare_db)] == [(f.version, f.sha256) for f in FILES]


def test_export_into_a_folder_that_is_not_there_is_one_clean_line(cli, tmp_path):
    done = cli("export", "--into", str(tmp_path / "nowhere"))
    assert_clean_error(done, "nowhere is not a folder", "supabase init")
