"""`test-alerts`: the seed's end-to-end check done right. Each step reports PASS or FAIL with a reason; later steps
are skipped after a failure, but the test alert is always removed."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from supalert import functions
from supalert.errors import SupalertError

Report = Callable[[str, bool, str], None]


def run(conn: psycopg.Connection, report: Report) -> list[tuple[str, bool]]:
    steps: list[tuple[str, bool]] = []

    def step(name: str, ok: bool, detail: str) -> bool:
        steps.append((name, ok))
        report(name, ok, detail)
        return ok

    try:
        functions.client()
    except SupalertError as exc:
        step("configuration", False, str(exc))
        return steps
    step("configuration", True, "edge-function URL and credential set")

    try:
        answer = functions.invoke(
            "send-alert-notification",
            {"severity": "info", "title": "supalert test alert", "category": "system_test",
             "message": "Sent by `python deploy.py test-alerts`; it is removed again right away."},
        )  # fmt: skip
    except SupalertError as exc:
        step("send", False, str(exc))
        return steps
    alert_id = answer.get("alert_id")
    if not step("send", bool(alert_id), f"alert {alert_id}" if alert_id else f"no alert id in {answer}"):
        return steps
    try:
        recorded = conn.execute(
            "select alert_type, status from public.system_alerts where id = %s", (alert_id,)
        ).fetchone()
        if step("recorded", recorded is not None, f"system_alerts row {recorded}" if recorded else "no row"):
            rows = conn.execute(
                "select channel, status, coalesce(last_error, '') from monitoring.notifications"
                " where alert_id = %s order by channel",
                (alert_id,),
            ).fetchall()
            unsent = [f"{channel} {status} {error}".strip() for channel, status, error in rows if status != "sent"]
            step(
                "delivered",
                bool(rows) and not unsent,
                ("no notification was routed" if not rows else "; ".join(unsent))
                if unsent or not rows
                else ", ".join(channel for channel, _, _ in rows) + " sent",
            )
    finally:
        deleted = conn.execute("delete from public.system_alerts where id = %s", (alert_id,)).rowcount
        step("cleanup", deleted == 1, "removed the test alert and its notifications")
    return steps
