"""Grouping (monitoring.rules.group_by, monitoring.group_slot, monitoring.form_groups): the alerts of one rule that
fire or resolve together go out as one message per channel, after Alertmanager's 30-second group wait and then at
most once per 5-minute group interval; every alert keeps its own row, and a dispatcher that dies mid-group makes the
same message go out again, never a second one."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.support.engine_helpers import MIN, T0, claim_at, evaluate, mark_sent

SEC = timedelta(seconds=1)
RULE = "low_credit_balance"  # seeded with group_by = '{}': every client that goes under is in one group


def route_to_email_and_slack(conn):
    conn.execute("update monitoring.routes set channels = '{email,slack}' where alert_type = 'low_inventory'")


def clients_under(conn, count, balance=50):
    ids = [str(uuid.uuid4()) for _ in range(count)]
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " select id, 'client ' || ord, %s, %s from unnest(%s::uuid[]) with ordinality as t (id, ord)",
        (balance, T0, ids),
    )
    return ids


def member_statuses(conn, event):
    return dict(
        conn.execute(
            "select n.status, count(*) from monitoring.notifications n join public.system_alerts a on a.id = n.alert_id"
            " where a.alert_type = %s and n.event = %s group by n.status",
            (RULE, event),
        ).fetchall()
    )


def test_a_thousand_clients_going_under_are_one_message_per_channel_and_so_is_their_recovery(conn):
    route_to_email_and_slack(conn)
    ids = clients_under(conn, 1000)
    evaluate(conn, RULE, T0)
    assert (
        conn.execute("select count(*) from public.system_alerts where alert_type = %s", (RULE,)).fetchone()[0] == 1000
    )
    assert claim_at(conn, T0 + 29 * SEC) == []  # the group waits 30 s for the alerts that come with it
    groups = claim_at(conn, T0 + 30 * SEC)
    assert sorted(g[1] for g in groups) == ["email", "slack"]
    for _id, _channel, event, _key, payload in groups:
        assert event == "firing" and payload["group"]["count"] == 1000 and len(payload["items"]) == 10
        assert payload["title"] == "1000 alerts: Low Credit Balance" and payload["severity"] == "high"
    assert member_statuses(conn, "firing") == {"grouped": 2000}
    mark_sent(conn, groups, T0 + 31 * SEC)
    assert member_statuses(conn, "firing") == {"sent": 2000}  # every alert keeps its own row, settled with its group

    # Five more within the group interval wait for it: the next message is 5 minutes after the last one.
    more = clients_under(conn, 5)
    evaluate(conn, RULE, T0 + 2 * MIN)
    assert claim_at(conn, T0 + 5 * MIN + 29 * SEC) == []
    late = claim_at(conn, T0 + 5 * MIN + 30 * SEC)
    assert sorted((g[1], g[4]["group"]["count"]) for g in late) == [("email", 5), ("slack", 5)]
    mark_sent(conn, late, T0 + 6 * MIN)

    conn.execute("update public.client_credits set balance = 500 where client_id = any(%s::uuid[])", (ids + more,))
    evaluate(conn, RULE, T0 + 60 * MIN)
    assert claim_at(conn, T0 + 60 * MIN) == []
    recovery = claim_at(conn, T0 + 60 * MIN + 30 * SEC)
    assert sorted((g[1], g[2], g[4]["group"]["count"]) for g in recovery) == [
        ("email", "resolved", 1005), ("slack", "resolved", 1005)
    ]  # fmt: skip
    assert recovery[0][4]["title"] == "1005 alerts: Low Credit Balance"
    mark_sent(conn, recovery, T0 + 61 * MIN)
    assert member_statuses(conn, "resolved") == {"sent": 2010}
    assert conn.execute("select count(*) from monitoring.notifications where alert_id is null").fetchone()[0] == 6


def test_a_lone_alert_of_a_grouped_rule_goes_out_as_itself_after_the_wait(conn):
    clients_under(conn, 1)
    evaluate(conn, RULE, T0)
    assert claim_at(conn, T0) == []
    [(_id, channel, event, _key, payload)] = claim_at(conn, T0 + 30 * SEC)
    assert (channel, event) == ("email", "firing") and "group" not in payload
    assert payload["title"].startswith("Low Credit Balance (client_id=")


def test_a_dispatcher_killed_mid_group_makes_the_same_message_go_out_once(conn):
    clients_under(conn, 40)
    evaluate(conn, RULE, T0)
    [first] = claim_at(conn, T0 + 30 * SEC, worker="crashed", lease="1 second")  # claimed, then the dispatcher dies
    clients_under(conn, 3)  # arriving meanwhile: not added to a message that may already be out
    evaluate(conn, RULE, T0 + MIN)
    again = claim_at(conn, T0 + 2 * MIN, worker="next")
    assert [(r[0], r[3], r[4]["group"]["count"]) for r in again] == [(first[0], first[3], 40)]  # same row and key
    mark_sent(conn, again, T0 + 2 * MIN)
    assert member_statuses(conn, "firing") == {"sent": 40, "pending": 3}
    [late] = claim_at(conn, T0 + 30 * SEC + 5 * MIN, worker="next")  # the next slot: the 3 latecomers, once each
    assert late[4]["group"]["count"] == 3 and late[3] != first[3]
    mark_sent(conn, [late], T0 + 6 * MIN)
    assert member_statuses(conn, "firing") == {"sent": 43}


def test_a_group_that_dies_takes_its_members_with_it(conn):
    clients_under(conn, 4)
    evaluate(conn, RULE, T0)
    [group] = claim_at(conn, T0 + 30 * SEC)
    conn.execute("select monitoring.record_delivery(%s, 'permanent', 400, 'bad request', null, null, %s)",
                 (group[0], T0 + MIN))  # fmt: skip
    assert member_statuses(conn, "firing") == {"dead": 4}


def test_group_by_labels_splits_the_rule_into_one_group_per_value(conn):
    conn.execute("update monitoring.rules set group_by = '{client_id}' where key = %s", (RULE,))
    clients_under(conn, 3)
    evaluate(conn, RULE, T0)
    rows = claim_at(conn, T0 + 30 * SEC)
    assert len(rows) == 3 and all("group" not in r[4] for r in rows)  # each client is its own group of one


def test_an_ungrouped_rule_is_due_at_once_as_before(conn):
    conn.execute("update monitoring.rules set group_by = null where key = %s", (RULE,))
    clients_under(conn, 3)
    evaluate(conn, RULE, T0)
    assert len(claim_at(conn, T0)) == 3


def test_an_unacknowledged_group_escalates_as_one_page_per_step(conn):
    clients_under(conn, 30)
    evaluate(conn, RULE, T0)
    mark_sent(conn, claim_at(conn, T0 + 30 * SEC), T0 + MIN)
    assert conn.execute("select monitoring.escalate(%s)", (T0 + 121 * MIN,)).fetchone()[0] == 30  # Low Inventory: 2 h
    [page] = claim_at(conn, T0 + 122 * MIN)
    assert (page[1], page[2], page[4]["group"]["count"], page[4]["escalation_step"]) == ("sms", "escalation", 30, 1)
    mark_sent(conn, [page], T0 + 122 * MIN)
    assert member_statuses(conn, "escalation") == {"sent": 30}
