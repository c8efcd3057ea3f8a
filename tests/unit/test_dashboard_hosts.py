"""The Host names the dashboard answers (supalert.dashboard.app.allowed_hosts): DNS rebinding defence."""

from __future__ import annotations

from supalert.dashboard.app import allowed_hosts

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 -- the value under test, nothing binds to it


def test_loopback_answers_its_names_a_named_interface_only_its_own_and_dashboard_hosts_adds_more():
    assert allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "::1", "[::1]"]
    assert allowed_hosts("10.0.0.5") == ["10.0.0.5"]
    assert allowed_hosts("10.0.0.5", " ops.example.com, ") == ["10.0.0.5", "ops.example.com"]
    assert allowed_hosts(ALL_INTERFACES) == ["*"]  # all interfaces: the required login guards it
    assert allowed_hosts(ALL_INTERFACES, "ops.example.com") == ["ops.example.com"]
