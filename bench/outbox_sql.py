"""Benchmark: the outbox's claim/record cycle on the SQL side (no HTTP), with 1 and 4 concurrent workers, side by
side in one run. Each worker claims batches with monitoring.claim_notifications (FOR UPDATE SKIP LOCKED) and records
every row as sent; the run checks that no notification was claimed twice.

    .venv/bin/python -m bench.outbox_sql [--notifications 20000] [--batch 50]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter

import psycopg

from tests.support.harness import start_test_cluster

TARGET_PER_SECOND = 2000  # issue: at least 2,000 notifications a second with 4 workers


def run(url: str, count: int, workers: int, batch: int) -> tuple[float, Counter]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("delete from monitoring.notifications")
        conn.execute(
            "insert into monitoring.notifications (event, channel, payload, idempotency_key)"
            " select 'test', 'email', '{}'::jsonb, 'bench-' || g || '-' || gen_random_uuid()"
            " from generate_series(1, %s) g",
            (count,),
        )
    claimed: Counter = Counter()
    lock = threading.Lock()

    def worker(name: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                with conn.transaction():
                    rows = conn.execute(
                        "select id from monitoring.claim_notifications(%s, %s, '1 minute')", (name, batch)
                    ).fetchall()
                if not rows:
                    return
                with conn.transaction():
                    for (nid,) in rows:
                        conn.execute("select monitoring.record_delivery(%s, 'sent', 200, null, null, 'bench')", (nid,))
                with lock:
                    claimed.update(nid for (nid,) in rows)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, claimed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    print("starting a throwaway cluster and migrating it ...", flush=True)
    tc = start_test_cluster()
    rows = []
    try:
        with tc.clone() as name:
            for workers in (1, 4):
                seconds, claimed = run(tc.url(name), args.notifications, workers, args.batch)
                twice = sum(1 for n in claimed.values() if n > 1)
                rows.append((workers, len(claimed), seconds, twice))
    finally:
        tc.cluster.destroy()
    print(f"\n{'workers':>8}{'notifications':>15}{'seconds':>10}{'per second':>12}{'claimed twice':>15}")
    for workers, count, seconds, twice in rows:
        print(f"{workers:>8}{count:>15}{seconds:>10.2f}{count / seconds:>12.0f}{twice:>15}")
    four = rows[1][1] / rows[1][2]
    verdict = "meets" if four >= TARGET_PER_SECOND else "misses"
    print(f"\n4 workers: {four:.0f}/s, {verdict} the target of {TARGET_PER_SECOND}/s; ratio 4/1: "
          f"{four / (rows[0][1] / rows[0][2]):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
