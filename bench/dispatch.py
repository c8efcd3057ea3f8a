"""Benchmark: notifications per second delivered to a local capture server by one and by four concurrent
dispatchers (check-alert-triggers calls served by Deno), side by side in one run.

Throwaway cluster + capture server (the tests' Resend stand-in, schema-checked) + the real edge functions.

    .venv/bin/python -m bench.dispatch [--notifications 300]
"""

from __future__ import annotations

import argparse
import logging
import threading
import time

import psycopg

from tests.support.capture import start_capture
from tests.support.functions_server import serve_functions
from tests.support.harness import start_test_cluster


def run(server, conn: psycopg.Connection, count: int, workers: int) -> float:
    conn.execute(
        "select monitoring.notify('warning', 'bench ' || g, 'dispatch benchmark', 'bench')"
        " from generate_series(1, %s) g",
        (count,),
    )
    started = time.perf_counter()

    def worker() -> None:
        while conn_pending(server_db) > 0:
            server.call("check-alert-triggers", {}, timeout=120)

    server_db = psycopg.connect(conn.info.dsn, autocommit=True)
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    server_db.close()
    return elapsed


def conn_pending(conn: psycopg.Connection) -> int:
    return conn.execute(
        "select count(*) from monitoring.notifications where status in ('pending', 'sending')"
    ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=300, help="notifications per case")
    args = parser.parse_args()
    print("starting a throwaway cluster, the capture server and the functions ...", flush=True)
    tc = start_test_cluster()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per email would bury the table
    capture = start_capture()
    rows = []
    try:
        with (
            tc.clone() as name,
            psycopg.connect(tc.url(name), autocommit=True) as conn,
            serve_functions(tc.url(name), {**capture.env(), "DISPATCH_BUDGET_MS": "60000"}) as server,
        ):
            # The evaluation part of check-alert-triggers is the same for every call; warm it up once.
            server.call("check-alert-triggers", {})
            for workers in (1, 4):
                seconds = run(server, conn, args.notifications, workers)
                rows.append((workers, args.notifications, seconds))
        sent = len(capture.of("email"))
        problems = capture.problems
    finally:
        capture.server.stop()
        tc.cluster.destroy()
    print(f"\n{'dispatchers':>12}{'notifications':>15}{'seconds':>10}{'per second':>12}")
    for workers, count, seconds in rows:
        print(f"{workers:>12}{count:>15}{seconds:>10.2f}{count / seconds:>12.1f}")
    ratio = (rows[1][1] / rows[1][2]) / (rows[0][1] / rows[0][2])
    print(f"\nratio 4 dispatchers / 1: {ratio:.2f}x; emails received {sent}; request-shape problems {len(problems)}")


if __name__ == "__main__":
    main()
