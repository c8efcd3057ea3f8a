"""Copies kept in the repository must equal their source of truth where that source is present."""

import re
from pathlib import Path

import pytest

from tests.support.capture import RESEND_SPEC, SHARED_RESEND_SPEC


@pytest.mark.skipif(not SHARED_RESEND_SPEC.exists(), reason="the shared reference folder is not beside this clone")
def test_vendored_resend_openapi_equals_the_shared_reference():
    assert RESEND_SPEC.read_bytes() == SHARED_RESEND_SPEC.read_bytes()


SEED_GUIDE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_650d99797f8efce5.txt"
SEED_CHECKS = Path(__file__).resolve().parents[1] / "bench" / "seed_checks.sql"


@pytest.mark.skipif(not SEED_GUIDE.exists(), reason="the shared seed folder is not beside this clone")
def test_the_benchmarks_copy_of_the_seed_checks_is_verbatim():
    guide = SEED_GUIDE.read_text(encoding="utf-8")
    functions = re.findall(r"CREATE OR REPLACE FUNCTION check_\w+\(\).*?\$\$ LANGUAGE plpgsql SECURITY DEFINER;",
                           SEED_CHECKS.read_text(encoding="utf-8"), re.S)  # fmt: skip
    assert [f.split("(")[0].split()[-1] for f in functions] == [
        "check_error_rate_threshold", "check_performance_degradation", "check_sms_delivery_failures"]  # fmt: skip
    for function in functions:
        assert function in guide


LEGACY_ENGINE = Path(__file__).resolve().parents[1] / "bench" / "legacy_engine.sql"
MIGRATIONS = Path(__file__).resolve().parents[1] / "supabase" / "migrations"
LAST_BEFORE_ISSUE_17 = "20261207113316"  # the last migration before the set-based engine


def released_block(relpath: str) -> str:
    """The text of sql/<relpath> as the last migration before the set-based engine carried it (under any folder:
    sql/functions/ was split into sql/engine/ and others since)."""
    text = ""
    name = re.escape(relpath.rsplit("/", 1)[-1])
    block = re.compile(rf"-- supalert:source sql/\S*/{name} sha256=\w+\n(.*?)-- supalert:end ", re.S)
    for migration in sorted(p for p in MIGRATIONS.glob("*.sql") if p.name[:14] <= LAST_BEFORE_ISSUE_17):
        text = next(iter(block.findall(migration.read_text(encoding="utf-8"))), text)
    return text


def test_the_benchmarks_copy_of_the_engine_before_issue_17_is_the_released_one():
    legacy = LEGACY_ENGINE.read_text(encoding="utf-8")
    for relpath in ("sql/engine/apply_observation.sql", "sql/engine/evaluate_rule.sql"):
        released = released_block(relpath)
        assert released, relpath
        renamed = re.sub(r"monitoring\.(apply_observation|evaluate_rule)\b", r"monitoring.legacy_\1", released)
        assert renamed.strip() in legacy, relpath
