"""Acknowledge and silence from the message: the real Deno functions sign links into the email and the Slack post,
and the alert-action function serves them against the test database (GET changes nothing, POST acts once)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from supalert.paths import tools_bin
from tests.support.engine_helpers import evaluate, insert_errors
from tests.support.functions_server import serve_functions

pytestmark = pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`")

SECRET = "action-secret-for-tests-0123456789abcdef"
LINK_BASE = "https://alerts.example.com/functions/v1/alert-action"


@pytest.fixture
def stack(db, capture):
    env = {**capture.env(), "ALERT_ACTION_SECRET": SECRET, "ALERT_ACTION_URL": LINK_BASE}
    with serve_functions(db, env) as server:
        yield server


def email_links(capture) -> dict[str, str]:
    [email] = capture.of("email")
    found = re.findall(r'<a href="(https://alerts\.example\.com/[^"]+)">(Acknowledge|Silence)</a>', email.body["html"])
    return {label: html.unescape(href) for href, label in found}


def slack_links(capture) -> dict[str, str]:
    [post] = capture.of("slack")
    found = re.findall(r"<(https://alerts\.example\.com/[^|>]+)\|(Acknowledge|Silence)>", str(post.body["blocks"]))
    return {label: href for href, label in found}


def token(link: str) -> str:
    assert link.startswith(LINK_BASE + "?")
    return parse_qs(urlparse(link).query)["t"][0]


def fire(conn, stack):
    """critical_errors_per_hour fires now (on the wall clock: links expire from when the message was written)."""
    now = conn.execute("select now()").fetchone()[0]
    insert_errors(conn, now, 9, severity="critical")
    [row] = evaluate(conn, "critical_errors_per_hour", now)
    assert stack.call("check-alert-triggers", {}).json()["sent"] == 2  # High Error Rate: email and Slack
    return row["alert_id"]


def alert_state(conn, alert_id):
    return conn.execute(
        "select status, acknowledged_by from public.system_alerts where id = %s", (alert_id,)
    ).fetchone()


def test_the_acknowledge_link_confirms_on_get_acts_once_on_post_and_refuses_edits(conn, stack, capture):
    alert_id = fire(conn, stack)
    links = email_links(capture)
    assert set(links) == {"Acknowledge", "Silence"} and set(slack_links(capture)) == {"Acknowledge", "Silence"}
    url = f"{stack.url}/alert-action"
    ack = token(links["Acknowledge"])

    page = httpx.get(url, params={"t": ack})  # what a mail scanner or link preview does
    assert page.status_code == 200 and "Acknowledge this alert?" in page.text and 'method="post"' in page.text
    assert alert_state(conn, alert_id) == ("firing", None)

    done = httpx.post(url, data={"t": ack, "by": "Alice <script>"})
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert "Alice &lt;script&gt; (email link)" in done.text and "<script>" not in done.text
    assert alert_state(conn, alert_id) == ("acknowledged", "Alice <script> (email link)")
    assert conn.execute("select count(*) from monitoring.alert_action_uses").fetchone()[0] == 1

    again = httpx.post(url, data={"t": ack, "by": "Bob"})
    assert again.status_code == 409 and "already used" in again.text
    assert alert_state(conn, alert_id) == ("acknowledged", "Alice <script> (email link)")

    head, body, signature = ack.split(".")
    other = token(links["Silence"]).split(".")[1]
    for edited in (f"{head}.{other}.{signature}", ack[:-3], f"{head}.{body}.{signature[::-1]}"):
        assert httpx.get(url, params={"t": edited}).status_code == 403
        assert httpx.post(url, data={"t": edited, "by": "Mallory"}).status_code == 403
    assert conn.execute("select count(*) from monitoring.alert_action_uses").fetchone()[0] == 1


def test_the_silence_link_from_slack_silences_the_rule_and_an_expired_link_changes_nothing(conn, stack, capture):
    alert_id = fire(conn, stack)
    url = f"{stack.url}/alert-action"
    silence = token(slack_links(capture)["Silence"])
    assert httpx.post(url, data={"t": silence, "by": "Bob", "hours": "7"}).status_code == 400  # not an offered choice
    done = httpx.post(url, data={"t": silence, "by": "Bob", "hours": "4"})
    assert done.status_code == 200 and "Silenced" in done.text
    [(rule, created_by, hours)] = conn.execute(
        "select rule_key, created_by, extract(epoch from ends_at - starts_at) / 3600 from monitoring.silences"
    ).fetchall()
    assert (rule, created_by, hours) == ("critical_errors_per_hour", "Bob (slack link)", 4)
    assert alert_state(conn, alert_id) == ("firing", None)  # silencing stops messages, it does not acknowledge

    conn.execute("update monitoring.notifications set created_at = created_at - interval '25 hours'")
    ack = token(email_links(capture)["Acknowledge"])
    expired = httpx.get(url, params={"t": ack})
    assert expired.status_code == 410 and "expired" in expired.text
    assert httpx.post(url, data={"t": ack, "by": "Carol"}).status_code == 410
    assert alert_state(conn, alert_id) == ("firing", None)
