def test_pg_cron_launcher_serves_the_cron_database(pg):
    import time

    from tests.support.harness import CRON_DB

    with pg.admin() as admin:
        for _ in range(100):
            row = admin.execute(
                "select datname from pg_stat_activity where backend_type = 'pg_cron launcher'"
            ).fetchone()
            if row and row[0] == CRON_DB:
                break
            time.sleep(0.1)
    assert row == (CRON_DB,)
