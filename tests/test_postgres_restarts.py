"""Postgres restarted (fast and immediate shutdown) in the middle of evaluations and of dispatch, on a cluster of
its own: no alert or notification is lost, none is duplicated, and everything resumes."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from supalert.paths import tools_bin
from tests.support.capture import start_capture
from tests.support.engine_helpers import MIN, T0, insert_errors
from tests.support.functions_server import serve_functions
from tests.support.harness import start_test_cluster

pytestmark = [
    pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def own_cluster():
    tc = start_test_cluster()
    yield tc
    tc.cluster.destroy()


def keep_trying(action, stop: threading.Event, errors: list[str]) -> None:
    """Run `action` over and over on fresh connections until told to stop, noting the failures (restarts)."""
    while not stop.is_set():
        try:
            action()
        except (psycopg.Error, OSError) as exc:
            errors.append(type(exc).__name__)
            time.sleep(0.1)


def restart(tc, mode: str) -> None:
    tc.cluster.stop(mode=mode)
    tc.cluster.start()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_restart_during_evaluation_loses_and_duplicates_nothing(own_cluster, mode):
    tc = own_cluster
    with tc.clone() as name:
        url = tc.url(name)
        with psycopg.connect(url, autocommit=True) as conn:
            insert_errors(conn, T0, 9, severity="critical")
        minute = iter(range(1, 10_000))

        def evaluate_once():
            with psycopg.connect(url, autocommit=True, connect_timeout=2) as c:
                c.execute("select count(*) from monitoring.evaluate('critical_errors_per_hour', %s)",
                          (T0 + next(minute) * MIN / 60,))  # fmt: skip

        stop, errors = threading.Event(), []
        worker = threading.Thread(target=keep_trying, args=(evaluate_once, stop, errors))
        worker.start()
        time.sleep(0.5)
        restart(tc, mode)
        time.sleep(0.5)
        stop.set()
        worker.join(30)
        with psycopg.connect(url, autocommit=True) as conn:
            evaluate_once()  # resumes
            alerts = conn.execute(
                # occurrences as of now: the engine writes a steady firing alert only when something changes
                "select count(*), max(seen.occurrences) from public.system_alerts a"
                " cross join lateral monitoring.alert_seen(a.id) seen where a.alert_type = 'critical_errors_per_hour'"
            ).fetchone()
            outbox = conn.execute(
                "select channel, count(*) from monitoring.notifications where event = 'firing' group by 1 order by 1"
            ).fetchall()
    assert errors, "the restart should have interrupted at least one evaluation"
    assert alerts[0] == 1 and alerts[1] > 1  # one incident, seen many times
    assert outbox == [("email", 1), ("slack", 1)]  # told once per channel (High Error Rate), whatever was interrupted


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_restart_during_dispatch_loses_nothing(own_cluster, mode):
    tc = own_cluster
    capture = start_capture()
    capture.slow_seconds = 0.0
    try:
        with tc.clone() as name:
            url = tc.url(name)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "select monitoring.notify('warning', 'restart ' || g, 'm', 'restart')"
                    " from generate_series(1, 300) g"
                )
            with serve_functions(url, capture.env()) as server:
                stop, errors = threading.Event(), []
                worker = threading.Thread(
                    target=keep_trying,
                    args=(lambda: server.call("check-alert-triggers", {}, timeout=30), stop, errors),
                )
                worker.start()
                time.sleep(0.7)
                restart(tc, mode)
                time.sleep(1.0)
                stop.set()
                worker.join(60)
                with psycopg.connect(url, autocommit=True) as conn:
                    for _ in range(10):  # resumes: expired leases and retries are picked up again
                        conn.execute(
                            "update monitoring.notifications set next_attempt_at = now(),"
                            " lease_until = least(lease_until, now() - interval '1 second')"
                            " where status in ('pending', 'sending')"
                        )
                        server.call("check-alert-triggers", {}, timeout=60)
                        if not conn.execute(
                            "select count(*) from monitoring.notifications where status <> 'sent'"
                        ).fetchone()[0]:
                            break
                    statuses = dict(conn.execute(
                        "select status, count(*) from monitoring.notifications group by 1").fetchall())  # fmt: skip
    finally:
        capture.server.stop()
    assert statuses == {"sent": 300}, statuses
    keys = [r.headers["Idempotency-Key"] for r in capture.of("email")]
    outbox_keys = {k for k in keys if k.startswith("supalert-")}
    assert len(outbox_keys) == 300  # every notification reached Resend; repeats (at-least-once) share their key
    # While the database was down, the watchdog spoke (at most once per interval) straight to the provider, and
    # said it was over (once) when the database answered again.
    down = {k for k in keys if k.startswith("watchdog-") and not k.startswith("watchdog-recovered-")}
    recovered = {k for k in keys if k.startswith("watchdog-recovered-")}
    assert len(down) <= 1 and len(recovered) == len(down), keys
