"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download),
against the page served on 127.0.0.1 for a test database with seeded telemetry."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from supalert.dashboard.app import create_app
from supalert.paths import PROJECT_ROOT as ROOT
from tests.support.harness import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
XSS_TITLE = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: run `make setup`")


@contextlib.contextmanager
def serve(db_url: str) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            yield page, dialogs
        finally:
            browser.close()


def seed(conn: psycopg.Connection) -> str:
    """Telemetry in known buckets, one firing rule alert and one hostile manual alert; returns the rule alert id."""
    for k in range(6):  # six 5-minute buckets of high errors
        conn.execute(
            "insert into public.error_logs (severity, message, occurred_at)"
            " values ('high', 'e', now() - make_interval(mins => %s * 5 + 1))",
            (k,),
        )
    conn.execute(
        "insert into public.error_logs (severity, message, occurred_at)"
        " select 'critical', 'burst', now() - interval '2 minutes' from generate_series(1, 6)"
    )
    for k in range(4):  # four buckets of timings
        conn.execute(
            "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
            " select 'edge_function', 'send-sms', g * 100, now() - make_interval(mins => %s * 5 + 2)"
            " from generate_series(1, 10) g",
            (k,),
        )
    conn.execute(
        "insert into public.user_sessions (user_id, last_active_at)"
        " select gen_random_uuid(), now() - interval '1 minute' from generate_series(1, 5)"
    )
    [alert_id] = conn.execute("select alert_id from monitoring.evaluate('critical_errors_per_hour')").fetchone()
    conn.execute("select count(*) from monitoring.evaluate()")
    conn.execute("select monitoring.notify('warning', %s, 'body <script>alert(2)</script>', 'manual')", (XSS_TITLE,))
    return str(alert_id)


def test_dashboard_shows_seeded_values_acts_on_alerts_and_escapes_text(db):
    with psycopg.connect(db, autocommit=True) as conn:
        alert_id = seed(conn)
        [calls_today] = conn.execute(
            "select count(*) from public.performance_metrics"
            " where metric_type = 'edge_function' and recorded_at >= date_trunc('day', now(), 'UTC')"
        ).fetchone()
    with serve(db) as url, browser_page() as (page, dialogs):
        started = time.perf_counter()
        page.goto(url + "/", wait_until="load")
        load_ms = (time.perf_counter() - started) * 1000
        print(f"dashboard page load: {load_ms:.0f} ms")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        assert page.inner_text("#tile-errors .v").strip() == "12"
        assert page.inner_text("#tile-users .v").strip() == "5"
        # 40 calls in the last 20 minutes; just after midnight UTC some of them were yesterday's
        assert page.inner_text("#tile-calls .v").strip() == str(calls_today)
        assert "of 10 GB" in page.inner_text("#tile-db")
        errors_chart, durations_chart = page.locator("figure").nth(0), page.locator("figure").nth(1)
        assert errors_chart.locator('circle.pt[data-series="high"]').count() == 6
        assert durations_chart.locator('circle.pt[data-series="p95"]').count() == 4
        assert durations_chart.locator("line.threshold").count() == 2  # slow and very slow response time
        assert errors_chart.locator("line.threshold").count() == 1

        hostile = page.locator(".alert", has_text="onerror")
        assert hostile.locator(".title").inner_text() == XSS_TITLE
        assert hostile.locator("img").count() == 0 and page.locator(".alert script").count() == 0
        assert dialogs == []

        page.locator(f'.alert[data-alert-id="{alert_id}"] button.ack').click()
        page.wait_for_load_state("load")
        assert page.locator(f'.alert[data-alert-id="{alert_id}"] button.ack').count() == 0
    with psycopg.connect(db) as conn:
        status, by = conn.execute(
            "select status, acknowledged_by from public.system_alerts where id = %s", (alert_id,)
        ).fetchone()
    assert (status, by) == ("acknowledged", "dashboard")


def test_a_group_is_one_expandable_row_and_every_alert_shows_its_response_time_clock(db):
    with psycopg.connect(db, autocommit=True) as conn:
        now = conn.execute("select now()").fetchone()[0]
        conn.execute(
            "insert into public.client_credits (client_id, client_name, balance, updated_at)"
            " select gen_random_uuid(), 'client ' || g, 50, %s from generate_series(1, 30) g",
            (now,),
        )
        conn.execute("select count(*) from monitoring.evaluate('low_credit_balance', %s)", (now,))
        conn.execute(
            "insert into public.error_logs (severity, category, message, occurred_at)"
            " select 'critical', 'test', 'boom', %s from generate_series(1, 9)",
            (now - timedelta(minutes=20),),
        )
        conn.execute(
            "select count(*) from monitoring.evaluate('critical_errors_per_hour', %s)", (now - timedelta(minutes=20),)
        )
        conn.execute("select monitoring.escalate(%s)", (now,))  # 5 minutes past its 15: step 1 pages
    with serve(db) as url, browser_page() as (page, dialogs):
        page.goto(url + "/")
        group = page.locator('details.group[data-group-size="30"]')
        assert group.count() == 1 and "30 alerts: Low Credit Balance" in group.locator("summary").inner_text()
        assert group.locator(".alert").first.is_visible() is False  # folded until opened
        group.locator("summary").click()
        assert group.locator(".alert").count() == 30 and group.locator(".alert").first.is_visible()
        assert re.search(
            r"^acknowledge within [\w ]+ \(Low Inventory: 2 hours\); step 1 \(sms\) at \d\d:\d\d UTC$",
            group.locator(".clock").first.inner_text(),
        )
        critical = page.locator(".alert", has_text="Critical").locator(".clock").inner_text()
        assert "past its 15 minutes response time; escalated to step 1 (sms); step 2 (email, slack, sms) at" in critical
        assert dialogs == []


def test_the_dashboard_answers_only_its_own_host_names(db):
    with serve(db) as url:
        assert httpx.get(url + "/").status_code == 200
        assert httpx.get(url + "/", headers={"Host": "localhost"}).status_code == 200
        rebound = httpx.get(url + "/", headers={"Host": "evil.example"})  # a DNS-rebinding page's request
        assert rebound.status_code == 400 and "csrf" not in rebound.text


def test_empty_database_shows_all_systems_operational(db):
    with serve(db) as url, browser_page() as (page, dialogs):
        page.goto(url + "/")
        assert page.locator("#all-clear").inner_text() == "All systems operational"
        assert page.inner_text("#tile-evaluation .v").strip() == "never"
        assert dialogs == []


def test_the_dashboard_shows_what_status_says_of_the_monitor_itself(db, cli):
    # pg_cron serves only the harness's CRON_DB, so in this database supalert's jobs never run: the monitor fails.
    report = cli("status", "--json", "--db-url", db)
    failing = [row for row in json.loads(report.stdout)["monitor"] if row["status"] == "fail"]
    assert report.returncode == 1 and any(row["component"] == "pg_cron" for row in failing), failing
    with serve(db) as url, browser_page() as (page, _dialogs):
        page.goto(url + "/")
        assert page.inner_text("#tile-monitor .v").strip() == f"{len(failing)} failing"
        assert "bad" in page.get_attribute("#tile-monitor", "class")
        shown = page.locator("#monitor-down .alert")
        assert [shown.nth(i).locator(".badge").text_content() for i in range(shown.count())] == [
            row["component"] for row in failing
        ]
        assert failing[0]["detail"] in page.inner_text("#monitor-down")


def test_state_changing_requests_need_the_csrf_token_and_the_same_origin(db):
    with psycopg.connect(db, autocommit=True) as conn:
        alert_id = seed(conn)
    with serve(db) as url:
        page = httpx.get(url + "/").text
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        forged = httpx.post(f"{url}/alerts/{alert_id}/dismiss", data={"csrf": "wrong"})
        cross_site = httpx.post(f"{url}/alerts/{alert_id}/dismiss", data={"csrf": token},
                                headers={"Origin": "https://evil.example"})  # fmt: skip
        assert forged.status_code == 403 and cross_site.status_code == 403
        fine = httpx.post(f"{url}/alerts/{alert_id}/silence", data={"csrf": token, "hours": "2"})
        assert fine.status_code == 303
    with psycopg.connect(db) as conn:
        assert conn.execute("select status from public.system_alerts where id = %s", (alert_id,)).fetchone() == (
            "firing",
        )
        assert conn.execute("select rule_key, created_by from monitoring.silences").fetchone() == (
            "critical_errors_per_hour",
            "dashboard",
        )


def test_the_dashboard_refuses_other_interfaces_without_a_password(cli):
    done = cli("dashboard", "--host", "0.0.0.0", env={"DASHBOARD_PASSWORD": ""})  # noqa: S104 - the refusal is the point
    assert done.returncode == 1 and "needs a login" in done.stderr
