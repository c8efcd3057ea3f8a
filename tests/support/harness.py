"""The test cluster: one Postgres 15 for the whole run, shaped like a hosted Supabase project, with template
databases to clone.

The cluster is bootstrapped by the superuser supabase_admin; everything of supalert's (migrations, cron jobs, CLI,
functions) connects as `postgres`, which is not a superuser and holds Supabase's memberships and default privileges
(supalert/hosted/). Where the set-up built them (supalert/server_build.py), supautils, pg_cron 1.6, pg_net and
supabase_vault are loaded with Supabase's settings; otherwise Debian's pg_cron 1.4, enabled by the superuser.

Databases, in the order they are made:
- supalert_base: a hosted project's shape plus pg_cron, plpgsql_check and pgtap (enabled as postgres through
  supautils where it is loaded), Vault where it is built, and no supalert migration. pg_cron can only be created in
  cron.database_name, so the cluster first runs with cron.database_name = supalert_base, then restarts pointing it
  (and pg_net's worker) at supalert_cron.
- supalert_cron: base + every migration, pg_cron's database (cron.database_name), never dropped while the server
  lives, so the launcher runs its jobs (tests that need real job runs use it).
- supalert_template: base + every migration; each test gets a clone.
  Jobs scheduled in a clone are rows only: the launcher reads cron.job in supalert_cron alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from supalert import migrations
from supalert.localdb import SUPERUSER, LocalCluster, enable_extension
from supalert.paths import migrations_dir
from supalert.server_build import VENDORED, ServerBuild, server_build

BASE_DB = "supalert_base"
TEMPLATE_DB = "supalert_template"
CRON_DB = "supalert_cron"
PASSWORD_USER = "supalert_pw_user"
PASSWORD = "right-horse-battery"

FAST_SETTINGS = {
    # A disposable cluster: durability buys nothing here, speed does.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "cron.max_running_jobs": "5",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TestCluster:
    cluster: LocalCluster
    # UTC midnight of the day the template was migrated: its partitions run from that day, which is not today in a
    # run that crosses midnight.
    migrated_on: datetime | None = None

    @property
    def port(self) -> int:
        return self.cluster.port

    def url(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    @property
    def build(self) -> ServerBuild:
        return self.cluster.build

    def admin(self) -> psycopg.Connection:
        """`postgres` (not a superuser) on database postgres."""
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def superuser(self, dbname: str = "postgres") -> psycopg.Connection:
        """supabase_admin: only for what the platform itself does on a hosted project, never for supalert's code."""
        return psycopg.connect(self.cluster.superuser_url(dbname), autocommit=True)

    def create_database(self, dbname: str, template: str) -> None:
        """A copy of `template`, owned by postgres as a project's database is. Made by the superuser: only it may
        end an autovacuum worker that happens to be in the template (CREATE DATABASE does that itself)."""
        with self.superuser() as conn:
            conn.execute(
                sql.SQL("create database {} template {} owner postgres").format(
                    sql.Identifier(dbname), sql.Identifier(template)
                )
            )

    def drop_database(self, dbname: str) -> None:
        with self.superuser() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))

    def remake_cron_database(self, migrated: bool = True) -> str:
        """Drop CRON_DB, the one database pg_cron (and pg_net's worker) serve, and make it again from the base
        (migrated afresh unless `migrated` is false); returns its URL once pg_cron's scheduler is connected to it."""
        self.drop_database(CRON_DB)
        self.create_database(CRON_DB, BASE_DB)
        url = self.url(CRON_DB)
        if not self.build.has("pg_cron"):
            # Debian's pg_cron 1.4 scheduler exits with code 0 when its database is dropped, and the postmaster
            # never restarts a worker that exited 0 (1.6 exits 1 and is back in a second): start it by a restart.
            self.cluster.restart()
        # The scheduler first: pg_cron 1.4 can miss jobs committed while it loads its job list.
        with self.superuser(CRON_DB) as conn:
            deadline = time.monotonic() + 30
            while not conn.execute(
                "select exists (select from pg_stat_activity where backend_type = 'pg_cron launcher'"
                " and datname = current_database())"
            ).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pg_cron's scheduler did not reconnect to {CRON_DB} in 30 s")
                time.sleep(0.2)
        if migrated:
            with psycopg.connect(url, autocommit=True) as conn:
                migrations.migrate(conn, migrations_dir(), report=lambda _line: None)
        return url

    @contextlib.contextmanager
    def clone(self, template: str = TEMPLATE_DB, prefix: str = "t") -> Iterator[str]:
        """A new database copied from `template`, dropped afterwards. Yields its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.create_database(name, template)
        try:
            yield name
        finally:
            self.drop_database(name)


class HarnessCluster(LocalCluster):
    """The local cluster plus one login that needs a password (the redaction and URL tests use it)."""

    def hba_rules(self) -> list[str]:
        return [f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256", *super().hba_rules()]


def start_test_cluster(settings: dict[str, str] | None = None) -> TestCluster:
    """Start and build the cluster; `settings` replace FAST_SETTINGS' values (the benchmarks ask for durability)."""
    base = Path(tempfile.mkdtemp(prefix="supalert-test-", dir="/tmp"))
    os.chmod(base, 0o755)
    cluster = HarnessCluster(
        base=base / "pg",
        port=free_port(),
        cron_database=BASE_DB,
        settings={**FAST_SETTINGS, **(settings or {})},
    )
    cluster.start()
    tc = TestCluster(cluster)
    try:
        _build_databases(tc)
    except BaseException:
        cluster.destroy()
        raise
    return tc


def _build_databases(tc: TestCluster) -> None:
    cluster = tc.cluster  # its first start shaped BASE_DB, the cron database, and enabled pg_cron there
    with tc.admin() as conn:
        conn.execute(f"create role {PASSWORD_USER} login password '{PASSWORD}'")
    enable_extension(cluster, BASE_DB, "plpgsql_check", "extensions")
    enable_extension(cluster, BASE_DB, "pgtap", "extensions")
    # Point pg_cron (and pg_net's worker) at a database made only after the restart, so that base and template stay
    # clonable (each keeps a connection to its database, and CREATE DATABASE ... TEMPLATE needs none).
    cluster.cron_database = CRON_DB
    cluster.restart()
    tc.create_database(CRON_DB, BASE_DB)  # exists before any migration schedules a job (pg_cron checks)
    tc.create_database(TEMPLATE_DB, BASE_DB)
    for dbname in (TEMPLATE_DB, CRON_DB):
        with psycopg.connect(tc.url(dbname), autocommit=True) as conn:
            migrations.migrate(conn, migrations_dir(), report=lambda _line: None)
            if dbname == TEMPLATE_DB:
                # pg_cron serves CRON_DB only, so monitoring.liveness rightly fails in every clone: tests of other
                # things must not hear monitor_down on each check-alert-triggers call. Its own tests enable it.
                conn.execute("update monitoring.rules set enabled = false where key = 'monitor_down'")
        if dbname == TEMPLATE_DB:
            tc.migrated_on = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # pg_cron 1.4's launcher can miss the jobs committed while it was loading its job list (an invalidation that
    # arrives mid-load is overwritten), and here it starts while the migrations run: restart it with every job in.
    cluster.restart()


def as_superuser(url: str) -> str:
    """The same database as the cluster's bootstrap superuser: for instrumentation only (CHECKPOINT, auto_explain),
    never for supalert's own code."""
    return psycopg.conninfo.make_conninfo(url, user=SUPERUSER)


def describe_build() -> str:
    """One line for the test report: what the cluster runs, or which tests are skipped and why."""
    build = server_build()
    if build.hosted_extensions:
        return "hosted shape: " + ", ".join(f"{name} {build.extensions[name]}" for name in VENDORED)
    return (
        f"hosted shape without {', '.join(n for n in VENDORED if not build.has(n))}: {build.missing_reason}; "
        "Debian's pg_cron 1.4 instead, and the tests that need them are skipped"
    )


def needs_vendored(*names: str) -> pytest.MarkDecorator:
    """Skip unless the set-up built these extensions from vendored sources (scripts/build_extensions.sh)."""
    build = server_build()
    missing = [name for name in names if not build.has(name)]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"needs {', '.join(missing)} built from vendored sources, which this machine lacks: "
        f"{build.missing_reason}",
    )


def set_claims(conn: psycopg.Connection, role: str, claims: dict | None) -> None:
    """Inside the current transaction, act as `role` with JWT `claims` (as PostgREST does for a request)."""
    conn.execute("select set_config('role', %s, true)", (role,))
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims or {}),))


def claims_for(kind: str, user_id: str | None = None) -> tuple[str, dict]:
    """(role, claims) for anon, a signed-in user, an admin, or service_role."""
    uid = user_id or str(uuid.uuid4())
    if kind == "anon":
        return "anon", {"role": "anon"}
    if kind == "user":
        return "authenticated", {"role": "authenticated", "sub": uid, "app_metadata": {"role": "member"}}
    if kind == "admin":
        return "authenticated", {"role": "authenticated", "sub": uid, "app_metadata": {"role": "admin"}}
    if kind == "service_role":
        return "service_role", {"role": "service_role"}
    raise ValueError(kind)
