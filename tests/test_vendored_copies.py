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
