"""`demo-incident`: replay a short synthetic incident with time passed in, to show one alert firing once and
resolving once. The burst is placed two hours in the past, so it never overlaps what pg_cron sees at real time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg

from supalert.db import require_installed
from supalert.errors import SupalertError

RULE = "critical_errors_per_hour"
DEMO_CATEGORY = "supalert-demo"
# (minutes after the burst, what happens) - the window is one hour, so the burst leaves it at +60.
TIMELINE = [(1, "burst seen"), (2, "still burning"), (3, "still burning"), (59, "last minute in the window"),
            (61, "burst left the window")]  # fmt: skip


def replay(conn: psycopg.Connection, step: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run the incident; call `step` with each evaluation's row; return the alert as it ends."""
    require_installed(conn)
    with conn.transaction():
        start = conn.execute("select date_trunc('minute', now()) - interval '2 hours'").fetchone()[0]
        threshold = conn.execute("select threshold from monitoring.rules where key = %s", (RULE,)).fetchone()[0]
        burst = int(threshold) + 3
        conn.execute(
            "insert into public.error_logs (severity, category, message, function_name, occurred_at)"
            " select 'critical', %s, 'synthetic error ' || g, 'demo-incident', %s from generate_series(1, %s) g",
            (DEMO_CATEGORY, start, burst),
        )
        alert_id = None
        for minutes, label in TIMELINE:
            at = start + timedelta(minutes=minutes)
            row = conn.execute(
                "select state, value, alert_id, summary from monitoring.evaluate(%s, %s)", (RULE, at)
            ).fetchone()
            alert_id = alert_id or row[2]
            step({"at": at, "minutes": minutes, "label": label, "state": row[0], "value": row[1],
                  "summary": row[3]})  # fmt: skip
        conn.execute("delete from public.error_logs where category = %s and occurred_at = %s", (DEMO_CATEGORY, start))
        alert = conn.execute(
            "select id, status, occurrences, created_at, resolved_at from public.system_alerts where id = %s",
            (alert_id,),
        ).fetchone()
        if alert is None:  # a rule disabled or changed so far that the burst does not breach it
            raise SupalertError(
                f"the synthetic incident opened no {RULE} alert",
                f"check the rule: python deploy.py rules (it must be enabled, with a threshold below {burst})",
            )
        # The incident is synthetic: its notifications must never reach a real channel.
        dropped = conn.execute("delete from monitoring.notifications where alert_id = %s", (alert_id,)).rowcount
        # Then what pg_cron does every minute, at real time: every due rule, and the heartbeat.
        conn.execute("select count(*) from monitoring.evaluate()")
    return {
        "burst": burst,
        "alerts_opened": 1,
        "notifications_dropped": dropped,
        "id": alert[0],
        "status": alert[1],
        "occurrences": alert[2],
        "created_at": alert[3],
        "resolved_at": alert[4],
    }
