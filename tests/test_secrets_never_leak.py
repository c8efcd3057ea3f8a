"""Secrets (dispatch secret, Resend key, Slack webhook URL, Twilio token, database password) never appear in any
output, log line, HTTP answer or stored error text, even when every provider fails and the database is down."""

from __future__ import annotations

import psycopg
import pytest

from supalert.paths import tools_bin
from tests.support.capture import RESEND_KEY, SLACK_PATH, TWILIO_TOKEN, start_capture
from tests.support.functions_server import DISPATCH_SECRET, serve_functions
from tests.support.harness import free_port

pytestmark = pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`")

DB_PASSWORD = "db-password-never-printed-7531"


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{DB_PASSWORD}@")


def test_no_secret_leaks_through_failures(db, cli):
    capture = start_capture()
    secrets = [DISPATCH_SECRET, RESEND_KEY, SLACK_PATH.rsplit("/", 1)[-1], TWILIO_TOKEN, DB_PASSWORD]
    seen: list[str] = []
    try:
        capture.fail_next("email", (500, '{"name": "internal_server_error", "message": "boom"}', {}))
        capture.fail_next("slack", (404, "no_service", {}))
        capture.fail_next("sms", (401, '{"code": 20003, "message": "Authenticate"}', {}))
        db_with_password = with_password(db)
        with serve_functions(db_with_password, capture.env()) as server:
            seen.append(server.call("send-alert-notification", {"severity": "critical", "title": "t",
                                                                "message": "m", "category": "c"}).text)  # fmt: skip
            seen.append(server.call("check-alert-triggers", {}).text)
            seen.append(server.call("check-alert-triggers", {}, token="wrong").text)
            seen.extend(server.output)
        down = with_password(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
        with serve_functions(down, capture.env()) as server:
            seen.append(server.call("check-alert-triggers", {}).text)
            seen.extend(server.output)
        for args in (["migrate", "--db-url", down], ["status", "--db-url", down], ["check", "--db-url", down]):
            done = cli(*args)
            seen += [done.stdout, done.stderr]
        env = {"SUPALERT_FUNCTIONS_URL": "http://127.0.0.1:9/functions/v1", "ALERT_DISPATCH_SECRET": DISPATCH_SECRET}
        done = cli("dispatch", env=env)
        seen += [done.stdout, done.stderr]
        with psycopg.connect(db) as conn:
            seen += [row[0] or "" for row in conn.execute("select last_error from monitoring.notifications")]
            seen += [row[0] for row in conn.execute("select message || metadata::text from public.system_alerts")]
            seen += [row[0] or "" for row in conn.execute("select error from monitoring.rule_runs")]
    finally:
        capture.server.stop()
    everything = "\n".join(seen)
    assert "no_service" in everything  # the failures did happen and were reported ...
    for secret in secrets:
        assert secret not in everything  # ... without any secret
