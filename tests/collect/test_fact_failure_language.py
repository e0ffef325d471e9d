"""A fact family that could not be collected is kept in the bundle with its reason as a
message key, so `collect --lang ja` warns in Japanese, and a bundle of older code (an
English sentence only) still reads."""

from __future__ import annotations

from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts
from endpoint_audit.cli.host_progress import _said
from endpoint_audit.engine.run import facts_as_data
from endpoint_audit.errors import FactUnavailable
from endpoint_audit.model.observed import Reason


def test_a_failed_family_is_said_in_the_reports_language() -> None:
    failure = FactUnavailable(Reason(key="disk_encryption.reason.bitlocker_needs_admin"))
    data = facts_as_data({DiskEncryptionFacts: failure})[DiskEncryptionFacts.name]
    assert data["error"] == (
        "BitLocker status can only be read with an elevated (administrator) token"
    )
    assert data["reason"] == {"key": "disk_encryption.reason.bitlocker_needs_admin", "args": {}}
    assert _said(data, "ja") == "BitLocker の状態は管理者として昇格したトークンでのみ読み取れます"
    assert _said(data, "en") == data["error"]


def test_an_older_bundles_failure_is_its_sentence() -> None:
    assert _said({"error": "probe failed"}, "ja") == "probe failed"
    # A reason that is not a key and arguments is not trusted as one.
    assert _said({"error": "probe failed", "reason": {"key": 3}}, "ja") == "probe failed"
