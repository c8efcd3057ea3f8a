"""Every rule's runbook is one click away: notifications carry the link (monitoring.runbook_url) and the dashboard
serves rules/<key>.md as a page. (That every installed rule has its rule file, and every file its runbook sections,
is tests/test_rule_files.py's.)"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from supalert.dashboard import runbooks
from tests.support.dashboard_server import serve
from tests.support.engine_helpers import evaluate


def fire(conn, rule: str) -> list[str]:
    """Fires `rule` by moving its threshold under the real value; the runbook links its notifications carry."""
    conn.execute("update monitoring.rules set threshold = -1 where key = %s", (rule,))
    assert [r["state"] for r in evaluate(conn, rule, conn.execute("select now()").fetchone()[0])] == ["firing"]
    return [
        link
        for (link,) in conn.execute(
            "select n.payload ->> 'runbook_url' from monitoring.notifications n"
            " join public.system_alerts a on a.id = n.alert_id where a.alert_type = %s",
            (rule,),
        )
    ]


def test_notifications_link_the_dashboards_runbook_page_or_the_rules_own(conn):
    assert set(fire(conn, "connections_used_percent")) == {None}  # no dashboard address known: no link
    conn.execute("update monitoring.settings set dashboard_url = 'https://ops.example.com/'")
    links = fire(conn, "connections_critical_percent")
    assert links and set(links) == {"https://ops.example.com/runbooks/connections_critical_percent"}
    conn.execute(
        "update monitoring.rules set runbook_url = 'https://wiki.example.com/db' where key = 'blocked_query_minutes'"
    )
    links = fire(conn, "blocked_query_minutes")
    assert links and set(links) == {"https://wiki.example.com/db"}


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 -- a local test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_dashboard_serves_every_shipped_runbook(db):
    with serve(db) as base:
        for key in ("dead_tuples_percent", "cron_job_overdue_minutes", "critical_errors_per_hour"):
            status, body = get(f"{base}/runbooks/{key}")
            assert status == 200 and "<h2>What it means</h2>" in body and "<h2>What to do</h2>" in body, key
        assert get(f"{base}/runbooks/no_such_rule")[0] == 404
        assert get(f"{base}/runbooks/..%2F..%2Fpyproject")[0] == 404


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    (tmp_path / "rules").mkdir()
    monkeypatch.setenv("SUPALERT_PROJECT_ROOT", str(tmp_path))
    return tmp_path / "rules"


def test_raw_html_in_a_runbook_is_escaped(rules_dir):
    (rules_dir / "hostile.md").write_text("# t\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    html = runbooks.render("hostile")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html  # markdown-it leaves the link as text
    assert runbooks.render("Hostile") is None and runbooks.render("../hostile") is None
    assert runbooks.available() == {"hostile"}
