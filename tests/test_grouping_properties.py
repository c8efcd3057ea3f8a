"""Property tests of grouping: random arrivals, recoveries and dispatcher crashes against Alertmanager's promises
(every alert delivered exactly once, at most one message per group, channel and event per group interval), and the
dashboard's group key (supalert.dashboard.incidents) against the one the outbox gives its rows."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supalert.dashboard.incidents import group_key as dashboard_group_key
from supalert.dashboard.incidents import read_setup
from tests.support.engine_helpers import T0, claim_at, evaluate, mark_sent

RULE = "low_credit_balance"
GROUP_INTERVAL = timedelta(minutes=5)

# (seconds since the previous step, clients going under, clients recovering, the dispatcher crashes after claiming)
STEPS = st.lists(
    st.tuples(st.integers(1, 240), st.integers(0, 4), st.integers(0, 3), st.booleans()), min_size=1, max_size=10
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_every_alert_is_delivered_once_and_a_group_speaks_at_most_once_per_interval(conn, steps):
    with conn.transaction(force_rollback=True):
        conn.execute("update monitoring.routes set channels = '{email,slack}' where alert_type = 'low_inventory'")
        at, under = T0, []
        for seconds, going_under, recovering, crashes in steps:
            at += timedelta(seconds=seconds)
            new = [str(uuid.uuid4()) for _ in range(going_under)]
            conn.execute(
                "insert into public.client_credits (client_id, balance, updated_at) select unnest(%s::uuid[]), 50, %s",
                (new, at),
            )
            back, under = under[:recovering], under[recovering:] + new
            conn.execute("update public.client_credits set balance = 500 where client_id = any(%s::uuid[])", (back,))
            evaluate(conn, RULE, at)
            claimed = claim_at(conn, at, "dispatcher", limit=500, lease="1 minute")
            if not crashes:
                mark_sent(conn, claimed, at)
        for hour in range(1, 6):  # after the last step: the leases expire, everything due goes out
            drained = claim_at(conn, at + timedelta(hours=hour), "drain", limit=500, lease="1 minute")
            mark_sent(conn, drained, at + timedelta(hours=hour))

        members = conn.execute(
            "select n.status, count(*) from monitoring.notifications n join public.system_alerts a on a.id = n.alert_id"
            " where a.alert_type = %s group by n.status",
            (RULE,),
        ).fetchall()
        assert [status for status, _ in members] in ([], ["sent"])  # each once: sent alone or with its one group
        messages = conn.execute(
            "select channel, event, grouped_at, status from monitoring.notifications"
            " where group_key is not null and (alert_id is null or group_id is null) order by grouped_at"
        ).fetchall()
        assert all(status == "sent" for *_, status in messages)
        last: dict[tuple[str, str], object] = {}
        for channel, event, went_out, _ in messages:
            if (channel, event) in last:
                assert went_out - last[(channel, event)] >= GROUP_INTERVAL, (channel, event, went_out)
            last[(channel, event)] = went_out


LABELS = st.dictionaries(st.sampled_from(["client_id", "region", "tier"]), st.sampled_from(["a", "b", "c"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label_sets=st.lists(LABELS, min_size=1, max_size=8),
       group_by=st.lists(st.sampled_from(["region", "tier", "zone"]), unique=True, max_size=2))  # fmt: skip
def test_the_dashboard_groups_open_alerts_exactly_as_their_messages_are_grouped(conn, label_sets, group_by):
    with conn.transaction(force_rollback=True):
        conn.execute("update monitoring.rules set group_by = %s where key = %s", (group_by, RULE))
        alerts = []
        for labels in label_sets:
            [(alert_id,)] = conn.execute(
                "insert into public.system_alerts (alert_type, title, severity, fingerprint, metadata)"
                " values (%s, 't', 'high', gen_random_uuid()::text, %s::jsonb) returning id",
                (RULE, json.dumps({"labels": labels})),
            ).fetchall()
            conn.execute("select monitoring.enqueue_notifications(%s, 'firing', %s)", (alert_id, T0))
            alerts.append({"id": alert_id, "alert_type": RULE, "labels": labels})
        outbox = dict(conn.execute(
            "select alert_id, group_key from monitoring.notifications where alert_id = any(%s) and channel = 'email'",
            ([a["id"] for a in alerts],),
        ).fetchall())  # fmt: skip
        setup = read_setup(conn)

        def partition(key_of):
            groups: dict[object, set] = {}
            for a in alerts:
                groups.setdefault(key_of(a), set()).add(a["id"])
            return sorted(sorted(map(str, g)) for g in groups.values())

        assert partition(lambda a: outbox[a["id"]]) == partition(lambda a: dashboard_group_key(a, setup))
