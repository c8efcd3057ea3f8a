"""Policies live with the code they protect, so a direct caller cannot bypass them: the dashboard's login rule in
create_app, the dispatch secrets' checks in vault. No database (nothing here connects)."""

from __future__ import annotations

import pytest

from supalert import vault
from supalert.dashboard.app import create_app
from supalert.errors import SupalertError

URL = "postgresql://postgres:pw@127.0.0.1:1/postgres"


@pytest.mark.parametrize("password", [None, "short"])
def test_the_dashboard_refuses_to_exist_off_loopback_without_a_real_password(password):
    with pytest.raises(SupalertError, match=r"serving the dashboard on 0\.0\.0\.0 needs a login") as caught:
        create_app(URL, password, host="0.0.0.0")  # noqa: S104 (the case under test)
    assert "DASHBOARD_PASSWORD (12+ characters" in str(caught.value)


def test_the_dashboard_is_created_on_loopback_without_one_and_elsewhere_with_one():
    assert create_app(URL) is not None
    assert create_app(URL, "a-long-enough-password", host="0.0.0.0") is not None  # noqa: S104


@pytest.mark.parametrize(("url", "secret", "why"), [
    ("https://x.supabase.co", "short", "ALERT_DISPATCH_SECRET is missing or shorter than 16 characters"),
    ("x.supabase.co", "s" * 16, "--project-url 'x.supabase.co' is not a URL"),
])  # fmt: skip
def test_the_dispatch_secrets_are_checked_by_the_code_that_stores_them(url, secret, why):
    with pytest.raises(SupalertError, match=why):
        vault.dispatch_values(url, secret)
    with pytest.raises(SupalertError, match=why):
        vault.store(None, url, secret)  # type: ignore[arg-type]  # refused before the connection is touched


def test_good_dispatch_values_are_normalised():
    assert vault.dispatch_values("https://x.supabase.co/", "s" * 16) == {
        "supalert_project_url": "https://x.supabase.co",
        "supalert_dispatch_secret": "s" * 16,
    }
