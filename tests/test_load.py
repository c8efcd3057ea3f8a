"""Load: 1,000 telemetry rows a second (inserts of 5 rows) from four connections for 80 s while evaluations and
dispatch run every "minute" (one simulated minute per real second, time passed in). Evaluations all complete, no
insert waits 100 ms or more on a lock (Postgres itself reports any such wait: log_lock_waits with deadlock_timeout
= 100 ms), and the burst in the middle fires one alert that resolves once it leaves the window."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest

from tests.support.engine_helpers import T0
from tests.support.harness import start_test_cluster

pytestmark = pytest.mark.slow
SECONDS, RATE, WRITERS, ROWS_PER_INSERT = 80, 1000, 4, 5


@pytest.mark.timeout(600)
def test_inserts_under_load_never_wait_on_locks_and_the_engine_keeps_up():
    tc = start_test_cluster()
    tc.cluster.settings.update({"log_lock_waits": "on", "deadlock_timeout": "100ms"})
    tc.cluster.restart()
    try:
        with tc.clone() as name:
            url = tc.url(name)
            fake_minute = [0]
            stop = threading.Event()
            inserted = [0] * WRITERS
            latencies: list[float] = []

            def writer(index: int) -> None:
                per_writer = RATE / WRITERS / ROWS_PER_INSERT  # statements per second
                with psycopg.connect(url, autocommit=True) as conn:
                    started = time.monotonic()
                    while not stop.is_set():
                        due = started + inserted[index] / per_writer
                        if time.monotonic() < due:
                            time.sleep(due - time.monotonic())
                        minute = fake_minute[0]
                        # A burst of critical errors from simulated minute 5 to 10; info noise all the time.
                        severity = "critical" if 5 <= minute <= 10 and inserted[index] % 10 == 0 else "info"
                        t0 = time.perf_counter()
                        conn.execute(
                            "insert into public.error_logs (severity, message, occurred_at)"
                            " select %s, 'load', %s from generate_series(1, %s)",
                            (severity, T0 + timedelta(minutes=minute), ROWS_PER_INSERT),
                        )
                        if index == 0:
                            latencies.append(time.perf_counter() - t0)
                        inserted[index] += 1

            evaluations, states = [], []
            threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            for t in threads:
                t.start()
            with psycopg.connect(url, autocommit=True) as engine:
                for minute in range(SECONDS):
                    fake_minute[0] = minute
                    at = T0 + timedelta(minutes=minute, seconds=30)
                    t0 = time.perf_counter()
                    rows = engine.execute("select rule, state from monitoring.evaluate(null, %s)", (at,)).fetchall()
                    claimed = engine.execute(
                        "select id from monitoring.claim_notifications('load', 100, '1 minute', null, %s)", (at,)
                    ).fetchall()
                    for (nid,) in claimed:
                        engine.execute("select monitoring.record_delivery(%s, 'sent', 200, null, null, null, %s)",
                                       (nid, at))  # fmt: skip
                    evaluations.append(time.perf_counter() - t0)
                    states.append(dict(rows).get("critical_errors_per_hour"))
                    time.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))
                stop.set()
                for t in threads:
                    t.join(30)
                alerts = engine.execute(
                    "select status from public.system_alerts where alert_type = 'critical_errors_per_hour'"
                ).fetchall()
                pending = engine.execute(
                    "select count(*) from monitoring.notifications where status not in ('sent', 'held')"
                ).fetchone()[0]
            log = tc.cluster.log_file.read_text(errors="replace")
            # Positive control: a lock wait made on purpose is logged, so the absence above means something.
            with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as waiter:
                holder.execute("lock table public.error_logs in access exclusive mode")
                waiter.execute("set lock_timeout = '400ms'")
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    waiter.execute("select count(*) from public.error_logs")
            control = tc.cluster.log_file.read_text(errors="replace")[len(log) :]
    finally:
        tc.cluster.destroy()
    total = sum(inserted) * ROWS_PER_INSERT
    latencies.sort()
    print(
        f"{total} rows inserted in {SECONDS} s ({total / SECONDS:.0f}/s); insert latency p99 "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
        f"evaluation+dispatch per minute: max {max(evaluations) * 1000:.0f} ms"
    )
    assert total >= RATE * SECONDS * 0.9  # the writers kept their rate
    assert len(evaluations) == SECONDS and all(s is not None for s in states)  # every evaluation completed
    assert "still waiting for" in control, "log_lock_waits reports a wait it should"
    assert "still waiting for" not in log  # no lock wait of 100 ms or more, by Postgres's own account
    assert alerts == [("resolved",)]  # the burst fired once and resolved once it left the hour
    assert "firing" in states and states[-1] == "ok"
    assert pending == 0
