"""pg_cron itself runs the evaluation job in its database and the heartbeat moves (bounded: jobs fire on the
minute, so this waits at most ~75 s)."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.support.harness import CRON_DB


@pytest.mark.slow
def test_pg_cron_runs_the_evaluation_job_and_writes_the_heartbeat(pg):
    with psycopg.connect(pg.url(CRON_DB), autocommit=True) as conn:
        before = conn.execute("select completed_at from monitoring.heartbeat").fetchone()
        deadline = time.monotonic() + 75
        beat = None
        while time.monotonic() < deadline:
            beat = conn.execute(
                "select completed_at, rules_evaluated, rules_failed from monitoring.heartbeat"
            ).fetchone()
            if beat and beat != before and (before is None or beat[0] > before[0]):
                break
            time.sleep(0.5)
        assert beat is not None and (before is None or beat[0] > before[0]), "no evaluation by pg_cron in 75 s"
        assert beat[1] >= 1 and beat[2] == 0
        run = conn.execute(
            "select d.status, d.return_message from cron.job_run_details d join cron.job j using (jobid)"
            " where j.jobname = 'supalert-evaluate' order by d.start_time desc limit 1"
        ).fetchone()
        assert run is not None and run[0] == "succeeded", run
