"""Upgrade path: a database migrated to the first released migration set, with realistic data, then migrated to
the current set, keeps every alert, rule change and notification. (While the first release is also the newest,
this proves the data survives a re-run; it bites as soon as a later migration is added.)"""

from __future__ import annotations

import shutil

import psycopg

from supalert import migrations
from supalert.paths import migrations_dir
from tests.engine_helpers import MIN, T0, insert_errors

FIRST_RELEASE = "20261129191000"  # the newest migration of the first landed release


def test_data_survives_migrating_from_the_first_release_to_now(bare_db, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    for item in migrations.discover(migrations_dir()):
        if item.version <= FIRST_RELEASE:
            shutil.copy(item.path, first / item.path.name)
    with psycopg.connect(bare_db, autocommit=True) as conn:
        migrations.migrate(conn, first, report=lambda _line: None)
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
        i.version for i in migrations.discover(migrations_dir()) if i.version > FIRST_RELEASE
    ]
