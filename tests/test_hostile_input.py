"""Hostile input against send-alert-notification (served by Deno): every malformed payload gets a 4xx JSON error,
never a 5xx and never a partial row; SQL and HTML metacharacters in valid payloads are stored as data."""

from __future__ import annotations

import json

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supalert.paths import tools_bin
from tests.support.capture import start_capture
from tests.support.functions_server import DISPATCH_SECRET, serve_functions

pytestmark = pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`")

META = ["'; drop table public.system_alerts; --", "<script>alert(1)</script>", "\" or 1=1 --", "$$ $x$ \\x00",
        "{{7*7}}", "%s %n", "\u202e\u0000"]  # fmt: skip
GOOD = {"severity": "warning", "title": "t", "message": "m", "category": "c"}

not_a_string = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(), st.lists(st.integers()),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))  # fmt: skip


@st.composite
def bad_payloads(draw):
    kind = draw(st.sampled_from(["wrong_type", "missing", "huge", "bad_severity", "bad_category", "deep", "extra",
                                 "not_object"]))  # fmt: skip
    body = dict(GOOD)
    if kind == "wrong_type":
        field = draw(st.sampled_from(["severity", "title", "message", "category", "metadata"]))
        value = draw(not_a_string)
        if field in ("message", "metadata") and value is None:
            value = 5  # null is how a client says "none" for the optional fields: accepted on purpose
        if field == "metadata" and isinstance(value, dict):
            value = 5  # a small object is valid metadata
        body[field] = value
    elif kind == "missing":
        del body[draw(st.sampled_from(["severity", "title", "category"]))]
    elif kind == "huge":
        field, limit = draw(st.sampled_from([("title", 500), ("message", 10_000), ("category", 100)]))
        body[field] = "x" * (limit + draw(st.integers(1, 5000)))
    elif kind == "bad_severity":
        body["severity"] = draw(st.text(max_size=20).filter(
            lambda s: s.strip().lower() not in ("critical", "high", "warning", "info", "medium")))  # fmt: skip
    elif kind == "bad_category":
        body["category"] = draw(st.sampled_from([*META, "", " ", "a b", "x" * 101]))
    elif kind == "deep":
        nested: object = {}
        for _ in range(draw(st.integers(11, 200))):
            nested = {"a": nested}
        body["metadata"] = nested
    elif kind == "extra":
        body[draw(st.sampled_from(["sql", "admin", "__proto__", "constructor"]))] = "x"
    else:
        return draw(st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=10), st.none()))
    return body


@pytest.fixture
def stack(db):
    capture = start_capture()
    try:
        with serve_functions(db, capture.env()) as server:
            yield server, db
    finally:
        capture.server.stop()


def alerts_count(db: str) -> int:
    with psycopg.connect(db) as conn:
        return conn.execute("select count(*) from public.system_alerts").fetchone()[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bad_payloads())
def test_malformed_payloads_are_refused_with_a_json_4xx_and_leave_no_row(stack, body):
    server, db = stack
    before = alerts_count(db)
    answer = server.call("send-alert-notification", raw=json.dumps(body).encode())
    assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text[:200])
    assert "error" in answer.json()
    assert alerts_count(db) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=200), st.just(b'\xff\xfe{"title": 1}'), st.just(b'{"title": "\xc3\x28"}')))
def test_non_json_and_invalid_utf8_bodies_are_400(stack, raw):
    server, _ = stack
    try:
        json.loads(raw)
        return  # valid JSON is the other test's business
    except (ValueError, UnicodeDecodeError):
        pass
    answer = server.call("send-alert-notification", raw=raw)
    assert answer.status_code == 400 and "error" in answer.json()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic YWRtaW46YWRtaW4=", "Bearer " + "x" * 5000, "Bearer " + DISPATCH_SECRET[:-1],
     "Bearer " + DISPATCH_SECRET + "x", DISPATCH_SECRET],
)  # fmt: skip
def test_missing_or_forged_credentials_are_401(stack, authorization):
    server, db = stack
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = httpx.post(f"{server.url}/send-alert-notification", json=GOOD, headers=headers, timeout=30)
    assert answer.status_code == 401
    answer2 = httpx.post(f"{server.url}/check-alert-triggers", json={}, headers=headers, timeout=30)
    assert answer2.status_code == 401
    assert alerts_count(db) == 0


@pytest.mark.parametrize("text", META)
def test_metacharacters_in_valid_payloads_are_stored_as_data(stack, text):
    server, db = stack
    body = {**GOOD, "title": text.replace("\u0000", "") or "t", "message": text.replace("\u0000", ""),
            "metadata": {"note": text.replace("\u0000", "")}}  # fmt: skip
    answer = server.call("send-alert-notification", body)
    assert answer.status_code == 200, answer.text
    with psycopg.connect(db) as conn:
        title, message, note = conn.execute(
            "select title, message, metadata ->> 'note' from public.system_alerts where id = %s",
            (answer.json()["alert_id"],),
        ).fetchone()
        assert conn.execute("select to_regclass('public.system_alerts') is not null").fetchone()[0]
    assert (title, message, note) == (body["title"], body["message"], body["metadata"]["note"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                      st.recursive(st.none() | st.integers() | st.text(max_size=20),
                                   lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5),
                                                                                                inner, max_size=4),
                                   max_leaves=30).map(lambda v: json.dumps(v).encode())))  # fmt: skip
def test_check_alert_triggers_ignores_whatever_body_it_gets(stack, body):
    server, _ = stack
    answer = server.call("check-alert-triggers", raw=body)
    assert answer.status_code == 200 and "evaluated" in answer.json()


def test_metacharacters_in_rule_labels_and_silence_matchers_are_data(db):
    nasty = "'; drop table monitoring.rules; --"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("update monitoring.rules set labels = jsonb_build_object('team', %s::text)"
                     " where key = 'database_size_gb'", (nasty,))  # fmt: skip
        conn.execute(
            "insert into monitoring.silences (labels, starts_at, ends_at, created_by, comment)"
            " values (jsonb_build_object('team', %s::text), now(), now() + interval '1 hour', %s, %s)",
            (nasty, nasty, nasty),
        )
        conn.execute("update monitoring.rules set threshold = 0 where key = 'database_size_gb'")
        [state] = conn.execute("select state from monitoring.evaluate('database_size_gb')").fetchone()
        statuses = [s for (s,) in conn.execute("select status from monitoring.notifications")]
        labels = conn.execute("select metadata -> 'labels' ->> 'team' from public.system_alerts").fetchone()[0]
        rules = conn.execute("select count(*) from monitoring.rules").fetchone()[0]
    assert state == "firing" and labels == nasty and rules > 0
    assert statuses and set(statuses) == {"suppressed"}  # the silence matched on the hostile label, as data
