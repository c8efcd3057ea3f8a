"""The dashboard's health panels' wording (supalert.dashboard.panels), without a database."""

from __future__ import annotations

from decimal import Decimal

from supalert.dashboard.panels import (
    NO_VALUE,
    DatabaseRule,
    Function,
    FunctionHealth,
    function_status,
    number,
    rule_state,
)


def test_a_function_fires_on_its_rules_alerts_is_over_past_a_quiet_rules_threshold_else_ok():
    assert function_status([], []) == ("ok", "")
    assert function_status([], ["slow_response_time_ms"]) == ("over", "p95 over slow_response_time_ms (not firing)")
    assert function_status(["a", "b"], []) == ("firing", "a, b")
    assert function_status(["a"], ["very_slow"]) == ("firing", "a; also over very_slow")
    f = Function("f", 3, 0, None, None, [], ["r"])
    assert (f.status, f.detail) == ("over", "p95 over r (not firing)")


def test_a_rule_state_names_what_is_open_else_whether_it_ran():
    assert rule_state(False, 2, 0, 2) == "disabled"
    assert rule_state(True, 2, 1, 3) == "2 firing"
    assert rule_state(True, 0, 1, 3) == "1 pending"
    assert rule_state(True, 0, 0, 3) == "ok"
    assert rule_state(True, 0, 0, 0) == "not evaluated yet"


def test_numbers_print_with_at_most_one_decimal_and_a_dash_for_none():
    assert [number(v) for v in (Decimal("550.0"), Decimal("9525"), 1234.56, 0, None)] == [
        "550", "9525", "1234.6", "0", NO_VALUE,
    ]  # fmt: skip


def test_the_panel_counts_the_functions_it_leaves_off():
    shown = [Function(f"f{i}", 1, 0, None, None, [], []) for i in range(3)]
    assert FunctionHealth(shown, 10, []).more == 7
    assert FunctionHealth([], 0, []).more == 0


def test_a_database_rule_is_coloured_by_its_state():
    def rule(enabled=True, firing=0, pending=0, series=1):
        return DatabaseRule("k", "K", ">", Decimal(1), None, enabled, Decimal(2), series, pending, firing)

    rules = (rule(firing=1), rule(pending=1), rule(), rule(series=0), rule(enabled=False, firing=1))
    assert [r.tone for r in rules] == ["firing", "over", "ok", "none", "none"]
