"""Day partitions of the telemetry tables: made ahead, expired ones dropped, rows for days without a partition kept
(default partition, moved out by the maintenance), and migrate converting tables that already hold rows, or
refusing with the way out. Times count from the day the template was migrated: its partitions start on that day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from supalert.errors import SupalertError
from tests.support.cli import run_cli
from tests.support.migrate_helpers import FIRST_RELEASE, migrate_through, migrate_to_head

TELEMETRY = {
    "public.error_logs": "occurred_at",
    "public.performance_metrics": "recorded_at",
    "public.sms_delivery_log": "created_at",
    "public.email_delivery_log": "created_at",
}
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def day0(pg) -> datetime:
    """UTC midnight of the day the template was migrated: the day its partitions start from (yesterday, when the run
    crossed midnight, so the tests count from it rather than from the clock)."""
    return pg.migrated_on


def partitions(conn: psycopg.Connection, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "select c.relnamespace::regnamespace || '.' || c.relname"
        " from pg_inherits i join pg_class c on c.oid = i.inhrelid"
        " where i.inhparent = %s::regclass order by c.relname", (table,))]  # fmt: skip


def where_row_is(conn: psycopg.Connection, table: str, message: str) -> list[str]:
    return [r[0] for r in conn.execute(f"select tableoid::regclass::text from {table} where message = %s", (message,))]


def day_name(table: str, day: datetime) -> str:
    return f"supalert_partitions.{table.split('.')[1]}_{day:%Y%m%d}"


def test_migrate_leaves_each_telemetry_table_partitioned_by_day_a_week_ahead(conn, day0):
    for table, column in TELEMETRY.items():
        assert conn.execute("select monitoring.partition_key(%s::regclass)", (table,)).fetchone()[0] == column
        expected = [day_name(table, day0 + i * DAY) for i in range(8)]
        assert partitions(conn, table) == sorted([*expected, f"supalert_partitions.{table.split('.')[1]}_default"])
    # No API role reaches a partition directly: no usage on the schema, no privilege, and RLS without policies.
    for role in ("anon", "authenticated", "service_role"):
        assert not conn.execute("select has_schema_privilege(%s, 'supalert_partitions', 'usage')", (role,)).fetchone()[
            0
        ]
    exposed = conn.execute(
        "select c.relname from pg_class c where c.relnamespace = 'supalert_partitions'::regnamespace"
        " and c.relkind = 'r' and (not c.relrowsecurity or exists (select from aclexplode(c.relacl) x"
        " where x.grantee <> c.relowner))"
    ).fetchall()
    assert exposed == []


def test_maintenance_makes_partitions_ahead_and_drops_whole_expired_days(conn, day0):
    later = day0 + 10 * DAY + timedelta(hours=5)
    made = conn.execute("select partitions_created from monitoring.maintain_partitions(%s)", (later,)).fetchall()
    assert made == [(8,)] * 4  # days +10 .. +17: the run's own day plus the 7-day premake, for each table
    names = partitions(conn, "public.error_logs")
    assert day_name("public.error_logs", day0 + 17 * DAY) in names
    assert day_name("public.error_logs", day0 + 9 * DAY) not in names  # a past day's rows would wait in the default
    again = conn.execute("select partitions_created, partitions_dropped from monitoring.maintain_partitions(%s)",
                         (later,)).fetchall()  # fmt: skip
    assert again == [(0, 0)] * 4  # idempotent

    for offset, message in ((0, "day 0"), (3, "day 3"), (6, "day 6")):
        conn.execute("insert into public.error_logs (severity, message, occurred_at) values ('high', %s, %s)",
                     (message, day0 + offset * DAY + timedelta(hours=1)))  # fmt: skip
    # error_logs keeps 30 days: at day 34 the partitions of days 0..3 are wholly expired, day 4 onwards not.
    result = conn.execute(
        "select partitions_dropped, lock_timeouts from monitoring.maintain_partitions(%s, 'public.error_logs')",
        (day0 + 34 * DAY + timedelta(hours=2),),
    ).fetchone()
    assert result == (4, 0)
    names = partitions(conn, "public.error_logs")
    assert day_name("public.error_logs", day0 + 3 * DAY) not in names
    assert day_name("public.error_logs", day0 + 4 * DAY) in names
    left = [m for (m,) in conn.execute("select message from public.error_logs order by message")]
    assert left == ["day 6"]
    run = conn.execute(
        "select partitions_dropped from monitoring.retention_runs where table_name = 'public.error_logs'"
        " order by id desc limit 1"
    ).fetchone()
    assert run == (4,)
    # Detached now, their files go in a later transaction that does not lock error_logs (the next run, or by hand);
    # a partition a DBA detached to keep is left alone.
    conn.execute(f"alter table public.error_logs detach partition {day_name('public.error_logs', day0 + 6 * DAY)}")
    detached = (
        "select count(*) from pg_class where relnamespace = 'supalert_partitions'::regnamespace"
        " and relname like 'error_logs_2%' and relkind = 'r' and not relispartition"
    )
    assert conn.execute(detached).fetchone() == (5,)
    assert conn.execute("select monitoring.drop_detached_partitions()").fetchone() == (4,)
    assert conn.execute(detached).fetchone() == (1,)
    assert conn.execute(f"select count(*) from {day_name('public.error_logs', day0 + 6 * DAY)}").fetchone() == (1,)


def test_rows_for_days_without_a_partition_land_in_the_default_and_are_moved_out_not_lost(conn, day0):
    conn.execute("update monitoring.retention_policies set enabled = false where table_name = 'public.error_logs'")
    cases = {
        "far past": datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        "last month": day0 - 20 * DAY + timedelta(hours=3),
        "in nine days": day0 + 9 * DAY + timedelta(hours=3),
        "far future": datetime(2199, 1, 1, tzinfo=UTC),
    }
    for message, at in cases.items():
        conn.execute("insert into public.error_logs (severity, message, occurred_at) values ('info', %s, %s)",
                     (message, at))  # fmt: skip
        assert where_row_is(conn, "public.error_logs", message) == ["supalert_partitions.error_logs_default"]
    conn.execute("select * from monitoring.maintain_partitions(%s, 'public.error_logs')", (day0 + 12 * HOUR,))
    # Within the horizon (and with no retention) every row moves to a partition of its own day ...
    assert where_row_is(conn, "public.error_logs", "far past") == ["supalert_partitions.error_logs_19991231"]
    assert where_row_is(conn, "public.error_logs", "last month") == [day_name("public.error_logs", cases["last month"])]
    # ... a row beyond it waits in the default until its day comes within reach.
    assert where_row_is(conn, "public.error_logs", "in nine days") == ["supalert_partitions.error_logs_default"]
    conn.execute("select * from monitoring.maintain_partitions(%s, 'public.error_logs')", (day0 + 3 * DAY,))
    assert where_row_is(conn, "public.error_logs", "in nine days") == [
        day_name("public.error_logs", cases["in nine days"])
    ]
    assert where_row_is(conn, "public.error_logs", "far future") == ["supalert_partitions.error_logs_default"]
    assert conn.execute("select count(*) from public.error_logs").fetchone()[0] == len(cases)


def test_with_retention_only_expired_rows_go_whether_moved_out_or_still_in_the_default(conn, day0):
    for message, at in (("old but kept", day0 - 45 * DAY), ("recent", day0 - 2 * DAY)):
        conn.execute("insert into public.sms_delivery_log (delivery_status, error_message, created_at)"
                     " values ('failed', %s, %s)", (message, at))  # fmt: skip
    # sms_delivery_log keeps 90 days: both move out of the default into partitions of their days.
    row = conn.execute("select partitions_created, partitions_dropped, rows_deleted"
                       " from monitoring.maintain_partitions(%s, 'public.sms_delivery_log')",
                       (day0 + 12 * HOUR,)).fetchone()  # fmt: skip
    assert row == (2, 0, 0)
    # 50 days on, the older day is past retention: its partition goes whole. A row written now for a long-expired
    # time never gets a partition: it waits in the default and is deleted there.
    conn.execute("insert into public.sms_delivery_log (delivery_status, error_message, created_at)"
                 " values ('failed', 'expired on arrival', %s)", (day0 - 200 * DAY,))  # fmt: skip
    row = conn.execute("select partitions_dropped, rows_deleted from monitoring.maintain_partitions(%s,"
                       " 'public.sms_delivery_log')", (day0 + 50 * DAY,)).fetchone()  # fmt: skip
    assert row == (1, 1)
    assert [m for (m,) in conn.execute("select error_message from public.sms_delivery_log")] == ["recent"]


def test_maintenance_of_an_unknown_table_is_refused_by_name(conn):
    with pytest.raises(psycopg.errors.NoDataFound, match=r"public\.nope is not kept in daily partitions"):
        conn.execute("select * from monitoring.maintain_partitions(now(), 'public.nope')")


def test_the_pg_cron_job_runs_the_maintenance_hourly(conn):
    job = conn.execute("select schedule, command from cron.job where jobname = 'supalert-partitions'").fetchone()
    assert job == ("7 * * * *", "select count(*) from monitoring.maintain_partitions()")


# --- migrate on a database whose telemetry tables already hold rows -------------------------------------------------

ROW_PICTURE = "select id, md5(t::text) from {table} t order by id"


def load_first_release(conn: psycopg.Connection) -> None:
    """Rows over 40 days plus one far in the future, and what a platform adds to a table: a column, an index, a grant,
    a comment, a foreign key and a unique key."""
    conn.execute(
        "insert into public.error_logs (severity, message, occurred_at, user_id)"
        " select (array['info','warning','high','critical'])[1 + g % 4], 'e' || g,"
        " now() - (g % 40) * interval '1 day' - (g % 24) * interval '1 hour', gen_random_uuid()"
        " from generate_series(1, 2000) g"
    )
    conn.execute(
        "insert into public.error_logs (severity, message, occurred_at) values ('info', 'future', '2150-01-01')"
    )
    conn.execute("delete from public.error_logs where id % 10 = 0")  # gaps in the ids
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " select 'edge_function', 'f', g, now() - g * interval '5 minutes' from generate_series(1, 1500) g"
    )
    conn.execute("create table public.known_functions (name text primary key)")
    conn.execute("insert into public.known_functions values ('send-sms'), ('charge')")
    conn.execute("update public.error_logs set function_name = 'charge' where id % 7 = 0")
    conn.execute("alter table public.error_logs add constraint error_logs_known_function"
                 " foreign key (function_name) references public.known_functions (name)")  # fmt: skip
    conn.execute("alter table public.error_logs add constraint error_logs_message_once unique (message, occurred_at)")
    conn.execute("alter table public.error_logs add column request_id text")
    conn.execute("update public.error_logs set request_id = 'r' || id where id % 3 = 0")
    conn.execute("create index error_logs_request_id on public.error_logs (request_id)")
    conn.execute("create role supalert_reader nologin")
    conn.execute("grant select on public.error_logs to supalert_reader")
    conn.execute("comment on column public.error_logs.request_id is 'the platform''s request id'")


def table_shape(conn: psycopg.Connection, table: str) -> dict:
    return {
        "policies": conn.execute(
            "select policyname, permissive, roles, cmd, qual, with_check from pg_policies"
            " where schemaname || '.' || tablename = %s order by policyname", (table,)).fetchall(),
        "grants": conn.execute(
            "select x.grantee::regrole::text, x.privilege_type from pg_class c, aclexplode(c.relacl) x"
            " where c.oid = %s::regclass order by 1, 2", (table,)).fetchall(),
        "rls": conn.execute("select relrowsecurity from pg_class where oid = %s::regclass", (table,)).fetchone(),
        "columns": conn.execute(
            "select attname, format_type(atttypid, atttypmod), attnotnull, attidentity,"
            " pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum)"
            " from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum"
            " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum",
            (table,)).fetchall(),
        "constraints": conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint where conrelid = %s::regclass"
            " and contype <> 'p' order by 1", (table,)).fetchall(),
        "comment": conn.execute("select obj_description(%s::regclass, 'pg_class')", (table,)).fetchone(),
    }  # fmt: skip


def test_migrate_converts_tables_that_hold_rows_without_losing_one(bare_db, tmp_path):
    with psycopg.connect(bare_db, autocommit=True) as conn:
        migrate_through(conn, FIRST_RELEASE)
        load_first_release(conn)
        before = {t: conn.execute(ROW_PICTURE.format(table=t)).fetchall() for t in TELEMETRY}
        shapes = {t: table_shape(conn, t) for t in TELEMETRY}
        last_id = conn.execute("select max(id) from public.error_logs").fetchone()[0]
        migrate_to_head(conn)
        # Two changes are meant (migration 20261205133847): error_logs keeps any severity word and may lack a message.
        errors = shapes["public.error_logs"]
        errors["constraints"] = [c for c in errors["constraints"] if c[0] != "error_logs_severity_known"]
        errors["columns"] = [(c[0], c[1], False, *c[3:]) if c[0] == "message" else c for c in errors["columns"]]
        for table in TELEMETRY:
            assert conn.execute("select relkind from pg_class where oid = %s::regclass", (table,)).fetchone() == ("p",)
            assert conn.execute(ROW_PICTURE.format(table=table)).fetchall() == before[table], table
            assert table_shape(conn, table) == shapes[table], table
        assert len(before["public.error_logs"]) == 1801 and len(before["public.performance_metrics"]) == 1500
        # Every day with rows got its partition; the far-future row waits in the default.
        assert where_row_is(conn, "public.error_logs", "future") == ["supalert_partitions.error_logs_default"]
        assert conn.execute(
            "select count(*) from supalert_partitions.error_logs_default where message <> 'future'"
        ).fetchone() == (0,)
        # The platform's index is back, the key now starts with the time, and ids carry on after the old ones.
        indexes = dict(conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'error_logs'"
        ))  # fmt: skip
        assert "error_logs_request_id" in indexes and "(occurred_at, id)" in indexes["error_logs_pkey"]
        assert "error_logs_occurred_at" not in indexes  # the key leads with the time column now
        new_id = conn.execute(
            "insert into public.error_logs (severity, message) values ('info', 'after') returning id"
        ).fetchone()[0]
        assert new_id > last_id
        assert conn.execute("select to_regclass('public.error_logs__unpartitioned')").fetchone() == (None,)
        # A second migrate finds nothing to do.
        assert migrate_to_head(conn).applied == []


def kinds_and_rows(url: str) -> list[tuple[str, int]]:
    """(relkind, rows) of the two delivery logs."""
    query = "select relkind::text, (select count(*) from {}) from pg_class where oid = %s::regclass"
    with psycopg.connect(url, autocommit=True) as conn:
        return [conn.execute(query.format(t), (t,)).fetchone() for t in ("public.sms_delivery_log",
                                                                          "public.email_delivery_log")]  # fmt: skip


def test_migrate_refuses_more_rows_than_the_copy_limit_then_converts_when_allowed(bare_db, tmp_path):
    with psycopg.connect(bare_db, autocommit=True) as conn:
        migrate_through(conn, FIRST_RELEASE)
        for table, rows in (("sms_delivery_log", 30), ("email_delivery_log", 20)):
            conn.execute(f"insert into public.{table} (delivery_status) select 'sent' from generate_series(1, {rows})")
    refused = run_cli("migrate", "--db-url", bare_db, env={"PGOPTIONS": "-c supalert.convert_max_rows=10"})
    assert refused.returncode != 0
    assert "not partitioning public.sms_delivery_log: it has 30 rows, more than supalert.convert_max_rows" in (
        refused.stdout + refused.stderr
    )
    # The way out is the refusal's own hint, not "fix the migration file".
    assert "(fix: Trim it with retention first, or allow it for one run" in refused.stderr
    assert "docs/partitioning.md" in refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert kinds_and_rows(bare_db) == [("r", 30), ("r", 20)]
    # The limit counts every row the migration copies: the tables converted first stay locked until it commits.
    refused = run_cli("migrate", "--db-url", bare_db, env={"PGOPTIONS": "-c supalert.convert_max_rows=40"})
    assert refused.returncode != 0
    assert ("not partitioning public.email_delivery_log: it has 20 rows and this migration already copied 30,"
            " more than supalert.convert_max_rows (40)") in refused.stdout + refused.stderr  # fmt: skip
    assert kinds_and_rows(bare_db) == [("r", 30), ("r", 20)]  # rolled back whole
    allowed = run_cli("migrate", "--db-url", bare_db, env={"PGOPTIONS": "-c supalert.convert_max_rows=50"})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert kinds_and_rows(bare_db) == [("p", 30), ("p", 20)]


def test_migrate_refuses_to_convert_a_table_a_view_depends_on_naming_it(bare_db, tmp_path):
    with psycopg.connect(bare_db, autocommit=True) as conn:
        migrate_through(conn, FIRST_RELEASE)
        conn.execute("create view public.recent_errors with (security_invoker = on) as"
                     " select * from public.error_logs where occurred_at > now() - interval '1 day'")  # fmt: skip
        with pytest.raises(SupalertError, match=r"cannot partition public\.error_logs automatically: it has view"):
            migrate_to_head(conn)
        assert conn.execute("select relkind from pg_class where oid = 'public.error_logs'::regclass").fetchone() == (
            "r",
        )
