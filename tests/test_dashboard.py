"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download),
against the page served on 127.0.0.1 for a test database with seeded telemetry."""

from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from supalert.dashboard.panels import DATABASE_HEALTH_METRICS, NO_VALUE
from supalert.paths import PROJECT_ROOT as ROOT
from tests.support.dashboard_server import serve

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
XSS_TITLE = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: run `make setup`")


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
    def failing_now() -> list[dict]:
        report = cli("status", "--json", "--db-url", db)
        assert report.returncode == 1
        return [row for row in json.loads(report.stdout)["monitor"] if row["status"] == "fail"]

    before = failing_now()
    assert any(row["component"] == "pg_cron" for row in before), before
    with serve(db) as url, browser_page() as (page, _dialogs):
        page.goto(url + "/")
        tile = page.inner_text("#tile-monitor .v").strip()
        shown = page.locator("#monitor-down .alert")
        badges = [shown.nth(i).locator(".badge").text_content() for i in range(shown.count())]
        detail = page.inner_text("#monitor-down")
        assert "bad" in page.get_attribute("#tile-monitor", "class")
    # A check can cross its deadline between the two reads (a job's start falls due): the page is one of them.
    after = failing_now()
    failing = next((f for f in (before, after) if badges == [row["component"] for row in f]), None)
    assert failing is not None, (badges, before, after)
    assert tile == f"{len(failing)} failing"
    assert failing[0]["detail"] in detail


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


def add_timings(conn: psycopg.Connection, name: str, durations: list[int], ago: timedelta) -> None:
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " select 'edge_function', %s, d, now() - %s from unnest(%s::int[]) as d",
        (name, ago, durations),
    )


def add_function_errors(conn: psycopg.Connection, name: str, count: int, ago: timedelta) -> None:
    conn.execute(
        "insert into public.error_logs (severity, message, function_name, occurred_at)"
        " select 'high', 'failed', %s, now() - %s from generate_series(1, %s)",
        (name, ago, count),
    )


def panel_rows(page, selector: str) -> dict[str, dict[str, str]]:
    """The panel's table as {first cell: {class of each cell: its text}}."""
    rows = page.eval_on_selector_all(
        selector,
        "rows => rows.map(r => Object.fromEntries([...r.cells].map(c => [c.className, c.innerText.trim()])))",
    )
    return {next(iter(row.values())): row for row in rows}


def test_function_health_lists_each_function_with_its_calls_percentiles_and_status(db):
    minute, hour = timedelta(minutes=1), timedelta(hours=1)
    with psycopg.connect(db, autocommit=True) as conn:
        add_timings(conn, "send-sms", [g * 100 for g in range(1, 11)], 10 * minute)  # p50 550, p95 955
        add_timings(conn, "send-sms", [99999], 25 * hour)  # before the 24 hours
        add_function_errors(conn, "send-sms", 3, 5 * minute)
        add_function_errors(conn, "send-sms", 4, 25 * hour)
        add_timings(conn, "render-pdf", [g * 500 for g in range(1, 21)], 10 * minute)  # p50 5250, p95 9525
        add_timings(conn, "export-csv", [12000], 10 * minute)
        add_function_errors(conn, "always-fails", 2, 5 * minute)  # every call failed: no timing at all
        add_timings(conn, XSS_TITLE, [50, 50, 50], 10 * minute)
        for k in range(52):  # outside the rules' hour, inside the panel's 24 hours
            add_timings(conn, f"fn-{k:02}", [10], 3 * hour)
        conn.execute(
            "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
            " values ('page_load', 'send-sms', 99999, now() - interval '10 minutes')"
        )
        # The hour's average, (5500 + 105000 + 12000 + 150) / 34 = 3608 ms: slow fires, very slow (10 s) does not.
        states = dict(conn.execute(
            "select rule, state from monitoring.evaluate('slow_response_time_ms') union all"
            " select rule, state from monitoring.evaluate('very_slow_response_time_ms')"
        ).fetchall())  # fmt: skip
        assert states == {"slow_response_time_ms": "firing", "very_slow_response_time_ms": "ok"}
        conn.execute(
            "insert into public.system_alerts (alert_type, title, severity, fingerprint, metadata)"
            " values ('sms_gateway', 'SMS gateway down', 'high', 'g', %s)",
            (Jsonb({"labels": {"function_name": "send-sms"}}),),
        )
    with serve(db) as url, browser_page() as (page, dialogs):
        page.goto(url + "/")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#function-health").screenshot(path=str(ARTIFACTS / "dashboard-function-health.png"))
        rows = panel_rows(page, "#function-health tr.function")
        names = page.eval_on_selector_all("#function-health td.name", "cells => cells.map(c => c.innerText)")
        assert names[:5] == ["render-pdf", "send-sms", XSS_TITLE, "always-fails", "export-csv"]
        assert names[5:] == [f"fn-{k:02}" for k in range(45)]  # 50 shown, busiest first
        assert "Showing the 50 busiest of 57 functions (7 more)" in page.inner_text("#function-health .more")

        def cells(name):
            row = rows[name]
            return row["calls"], row["errors"], row["p50"], row["p95"], row["status"]

        assert cells("render-pdf") == ("20", "0", "5250", "9525", "firing slow_response_time_ms")
        assert cells("send-sms") == ("10", "3", "550", "955", "firing sms_gateway")
        assert cells("export-csv") == (
            "1", "0", "12000", "12000", "firing slow_response_time_ms; also over very_slow_response_time_ms"
        )  # fmt: skip
        assert cells("always-fails") == ("0", "2", NO_VALUE, NO_VALUE, "ok")
        assert cells(XSS_TITLE) == ("3", "0", "50", "50", "ok")
        assert page.locator("#function-health img").count() == 0 and dialogs == []
        note = page.inner_text("#function-health .note")
        assert "no error % per call" in note
        assert "slow_response_time_ms > 3000 ms, very_slow_response_time_ms > 10000 ms" in note
        html = httpx.get(url + "/partial").text
        assert "&lt;img src=x onerror=alert(1)&gt;" in html and XSS_TITLE not in html


def test_database_health_shows_each_db_rule_with_its_worst_value_threshold_state_and_runbook(db):
    probes = """
    create function monitoring.{name}(p_rule monitoring.rules, p_now timestamptz)
    returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
    language sql stable set search_path = ''
    as $$ select v, jsonb_build_object('database', d), '{{}}'::jsonb, false
          from (values ({a}, 'a'), ({b}, 'b')) as x (v, d) $$
    """
    with psycopg.connect(db, autocommit=True) as conn:
        # Other database-health rules may be installed by now: this test's database shows only its own.
        conn.execute(
            "delete from monitoring.rules where metric_function like any (%s)", (list(DATABASE_HEALTH_METRICS),)
        )
    with serve(db) as url, browser_page() as (page, _dialogs):
        page.goto(url + "/")
        assert page.inner_text("#database-health #no-database-rules") == "no database-health rules installed"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(probes.format(name="metric_db_test_probe", a=91.5, b=40))
        conn.execute(probes.format(name="metric_cron_test_probe", a=7, b=9))
        conn.execute(
            "insert into monitoring.rules (key, title, metric_function, comparison, threshold, severity, runbook_url)"
            " values ('test_db_probe', 'Connections <b>used</b>', 'metric_db_test_probe', '>', 80, 'high',"
            "         'https://runbooks.example/db?a=1&b=2'),"
            "        ('test_cron_probe', 'Cron runs', 'metric_cron_test_probe', '<', 5, 'warning', null),"
            "        ('test_db_unseen', 'Never evaluated', 'metric_db_test_probe', '>', 1, 'info', null)"
        )
        conn.execute("select count(*) from monitoring.evaluate('test_db_probe')")
        conn.execute("select count(*) from monitoring.evaluate('test_cron_probe')")
    with serve(db) as url, browser_page() as (page, dialogs):
        page.goto(url + "/")
        keys = page.eval_on_selector_all("#database-health tr.rule", "rows => rows.map(r => r.dataset.rule)")
        assert keys == ["test_db_probe", "test_cron_probe", "test_db_unseen"]  # firing first
        rows = panel_rows(page, "#database-health tr.rule")
        assert rows["Connections <b>used</b>"] == {
            "title": "Connections <b>used</b>", "worst": "91.5", "threshold": "> 80", "state": "1 firing",
            "runbook": "runbook",
        }  # fmt: skip
        assert rows["Cron runs"] == {
            "title": "Cron runs", "worst": "7", "threshold": "< 5", "state": "ok", "runbook": "",
        }  # fmt: skip
        assert rows["Never evaluated"]["worst"] == NO_VALUE and rows["Never evaluated"]["state"] == "not evaluated yet"
        link = page.locator('#database-health tr[data-rule="test_db_probe"] a')
        assert link.get_attribute("href") == "https://runbooks.example/db?a=1&b=2"
        assert page.locator("#database-health b").count() == 0 and dialogs == []
        assert page.locator("#no-database-rules").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#database-health").screenshot(path=str(ARTIFACTS / "dashboard-database-health.png"))
