"""Provider outages and dispatcher crashes, bounded in time, all on 127.0.0.1: nothing is lost, nothing is sent
twice beyond what the documented at-least-once cases allow."""

from __future__ import annotations

import contextlib
import random
import threading
import time

import psycopg
import pytest

from supalert.paths import tools_bin
from tests.support.capture import start_capture
from tests.support.functions_server import serve_functions

pytestmark = [
    pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`"),
    pytest.mark.slow,
]


def make_due(conn):
    """Every retry due now, and every lease expired: called only while no dispatcher runs, so a row still sending
    was claimed by one that is gone (a killed server's claim can commit after the kill, once Postgres finishes it)."""
    conn.execute("update monitoring.notifications set next_attempt_at = now() where status = 'pending'")
    conn.execute(
        "update monitoring.notifications set lease_until = now() - interval '1 second' where status = 'sending'"
    )


@pytest.mark.timeout(600)
def test_providers_failing_half_the_time_for_1000_notifications_lose_nothing(db):
    capture = start_capture()
    capture.failure_rate, capture.slow_seconds = 0.5, 0.4
    try:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(
                "select monitoring.notify('warning', 'outage ' || g, 'm', 'outage') from generate_series(1, 1000) g"
            )
            conn.execute("update monitoring.notifications set max_attempts = 40")
            env = {**capture.env(), "PROVIDER_TIMEOUT_MS": "250", "DISPATCH_BUDGET_MS": "30000"}
            rounds = 0
            with serve_functions(db, env) as server:
                while rounds < 40:
                    left = conn.execute(
                        "select count(*) from monitoring.notifications where status not in ('sent', 'dead')"
                    ).fetchone()[0]
                    if left == 0:
                        break
                    make_due(conn)  # time passes: every retry is due again
                    callers = [threading.Thread(target=server.call, args=("check-alert-triggers", {}),
                                                kwargs={"timeout": 120}) for _ in range(4)]  # fmt: skip
                    for t in callers:
                        t.start()
                    for t in callers:
                        t.join()
                    rounds += 1
            statuses = dict(conn.execute("select status, count(*) from monitoring.notifications group by 1").fetchall())
            keys = [r.headers["Idempotency-Key"] for r in capture.of("email") if r.status == 200]
    finally:
        capture.server.stop()
    assert statuses == {"sent": 1000}, statuses
    failures = sum(1 for r in capture.of("email") if r.status != 200)
    print(f"1000 notifications delivered in {rounds} rounds through {failures} provider failures")
    # A timed-out request may still have been accepted (at-least-once); Resend's Idempotency-Key collapses those.
    assert len(set(keys)) == 1000


@pytest.mark.timeout(600)
def test_dispatchers_killed_at_random_points_50_times_lose_nothing(db):
    capture = start_capture()
    rng = random.Random(7)
    kills = 0
    try:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(
                "select monitoring.notify('high', 'crash ' || g, 'm', 'crash') from generate_series(1, 150) g"
            )  # email + Slack each: 300 notifications
            for _ in range(50):
                with serve_functions(db, capture.env()) as server:
                    caller = threading.Thread(
                        target=lambda: _quietly(server.call, "check-alert-triggers", {}, timeout=30), daemon=True
                    )
                    caller.start()
                    time.sleep(rng.uniform(0.05, 0.4))
                    server.process.kill()  # SIGKILL, mid-batch
                    server.process.wait(10)
                    caller.join(30)
                    kills += 1
                conn.execute("update monitoring.notifications set lease_until = now() - interval '1 second'"
                             " where status = 'sending'")  # fmt: skip
            with serve_functions(db, capture.env()) as server:
                for _ in range(10):
                    make_due(conn)
                    server.call("check-alert-triggers", {}, timeout=120)
                    if not conn.execute(
                        "select count(*) from monitoring.notifications where status not in ('sent', 'dead')"
                    ).fetchone()[0]:
                        break
            statuses = dict(conn.execute("select status, count(*) from monitoring.notifications group by 1").fetchall())
            bodies_by_key: dict[str, set[str]] = {}
            for r in capture.of("email"):
                bodies_by_key.setdefault(r.headers["Idempotency-Key"], set()).add(str(sorted(r.body.items())))
            slack_titles = [r.body["text"] for r in capture.of("slack")]
    finally:
        capture.server.stop()
    assert statuses == {"sent": 300}, statuses
    assert all(len(bodies) == 1 for bodies in bodies_by_key.values())  # one key never carries two payloads
    duplicates = len(slack_titles) - len(set(slack_titles))
    print(f"{kills} kills; Slack duplicates: {duplicates}")
    assert duplicates <= kills


def _quietly(function, *args, **kwargs):
    with contextlib.suppress(Exception):  # the server is being killed under it on purpose
        function(*args, **kwargs)
