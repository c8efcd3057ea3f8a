"""Copies kept in the repository must equal their source of truth where that source is present."""

import pytest

from tests.capture import RESEND_SPEC, SHARED_RESEND_SPEC


@pytest.mark.skipif(not SHARED_RESEND_SPEC.exists(), reason="the shared reference folder is not beside this clone")
def test_vendored_resend_openapi_equals_the_shared_reference():
    assert RESEND_SPEC.read_bytes() == SHARED_RESEND_SPEC.read_bytes()
