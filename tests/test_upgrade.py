"""Upgrade path: a database migrated to the first released migration set, with realistic data, then migrated to
the current set, keeps every alert, rule change and notification. (The migrations after it turn the telemetry
tables into day partitions; tests/test_partitions.py checks those rows.)"""

from __future__ import annotations

import psycopg

from supalert import migrations
from supalert.paths import migrations_dir
from tests.support.engine_helpers import MIN, T0, insert_errors
from tests.support.migrate_helpers import ADDED_LATER, FIRST_RELEASE, migrate_through


def test_data_survives_migrating_from_the_first_release_to_now(bare_db, tmp_path):
    with psycopg.connect(bare_db, autocommit=True) as conn:
        migrate_through(conn, FIRST_RELEASE)
        conn.execute("update monitoring.rules set threshold = 3, enabled = false where key = 'high_errors_per_hour'")
        insert_errors(conn, T0, 9, severity="critical")
        conn.execute("select count(*) from monitoring.evaluate('critical_errors_per_hour', %s)", (T0 + MIN,))
        conn.execute("select monitoring.notify('info', 'kept', 'm', 'upgrade')")
        before = {
            "alerts": conn.execute("select id, status, occurrences from public.system_alerts order by id").fetchall(),
            "rule": conn.execute(
                "select threshold, enabled from monitoring.rules where key = 'high_errors_per_hour'"
            ).fetchone(),
            "outbox": conn.execute("select id, status, event from monitoring.notifications order by id").fetchall(),
        }
        result = migrations.migrate(conn, migrations_dir(), report=lambda _line: None)
        after = {
            "alerts": conn.execute("select id, status, occurrences from public.system_alerts order by id").fetchall(),
            "rule": conn.execute(
                "select threshold, enabled from monitoring.rules where key = 'high_errors_per_hour'"
            ).fetchone(),
            "outbox": conn.execute("select id, status, event from monitoring.notifications order by id").fetchall(),
        }
    assert before["alerts"] and before["outbox"]
    assert after == before
    assert [i.version for i in result.applied] == [
        i.version
        for i in migrations.discover(migrations_dir())
        if i.version > FIRST_RELEASE or i.version in ADDED_LATER
    ]
