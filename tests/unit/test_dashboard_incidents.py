"""The dashboard's groups and response-time clocks (supalert.dashboard.incidents), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supalert.dashboard.incidents import RuleFacts, Setup, Step, clock, rows

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SETUP = Setup(
    rules={
        "critical_errors_per_hour": RuleFacts("Critical Errors", None, "High Error Rate", 15 * MIN),
        "low_credit_balance": RuleFacts("Low Credit Balance", [], "Low Inventory", 120 * MIN),
        "by_region": RuleFacts("By Region", ["region"], "Low Inventory", 120 * MIN),
        "database_size_gb": RuleFacts("Database Size", None, "High Usage", None),
    },
    steps={"high_error_rate": [Step(1, timedelta(0), ["sms"]), Step(2, 30 * MIN, ["email", "slack", "sms"])]},
    rule_type={"critical_errors_per_hour": "high_error_rate", "low_credit_balance": "low_inventory"},
)


def alert(rule, n=0, **more):
    return {"id": f"{rule}-{n}", "alert_type": rule, "title": f"{rule} {n}", "status": "firing", "created_at": T0,
            "escalation_step": 0, "labels": {}, **more}  # fmt: skip


def test_the_clock_counts_down_to_the_response_time_then_names_the_steps():
    a = alert("critical_errors_per_hour")
    assert clock(a, SETUP, T0 + 3 * MIN) == (
        "acknowledge within 12 minutes (High Error Rate: 15 minutes); step 1 (sms) at 09:15 UTC"
    )
    paged = {**a, "escalation_step": 1}
    assert clock(paged, SETUP, T0 + 20 * MIN) == (
        "unacknowledged 5 minutes past its 15 minutes response time; escalated to step 1 (sms);"
        " step 2 (email, slack, sms) at 09:45 UTC"
    )
    assert clock({**a, "escalation_step": 2}, SETUP, T0 + 50 * MIN).endswith("escalated to step 2 (email, slack, sms)")
    assert clock({**a, "status": "acknowledged", "acknowledged_by": "Alice (email link)"}, SETUP, T0) == (
        "acknowledged by Alice (email link)"
    )
    assert clock(alert("database_size_gb"), SETUP, T0) == "no response time"
    assert clock(alert("an_app_category"), SETUP, T0) == "no response time"


def test_a_grouped_rule_is_one_row_per_group_where_its_first_member_stood():
    listed = [
        alert("critical_errors_per_hour"),
        *(alert("low_credit_balance", i, labels={"client_id": str(i)}) for i in range(3)),
        alert("by_region", 1, labels={"region": "eu"}),
        alert("by_region", 2, labels={"region": "us"}),
        alert("by_region", 3, labels={"region": "eu"}),
        alert("database_size_gb"),
    ]
    out = rows(listed, SETUP, T0)
    assert [(r.title, len(r.alerts)) for r in out] == [
        ("critical_errors_per_hour 0", 1),
        ("3 alerts: Low Credit Balance", 3),
        ("2 alerts: By Region (region=eu)", 2),
        ("by_region 2", 1),
        ("database_size_gb 0", 1),
    ]
    assert [a["id"] for a in out[2].alerts] == ["by_region-1", "by_region-3"]
    assert all("clock" in a for a in listed)
