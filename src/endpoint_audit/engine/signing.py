"""Signing outputs: the trusted comment a report's signature carries, and writing
`FILE.minisig` next to a file. The secret key stays in memory here; nothing of it is
written anywhere but the key file `keys init` made."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from endpoint_audit import __version__
from endpoint_audit.atomic_file import write_atomically
from endpoint_audit.model.result import RunReport
from endpoint_audit.signing import minisign, trusted_comment
from endpoint_audit.signing.verify import signature_path

# Reports larger than this are signed as plain files (their fields are not read).
_DESCRIBE_MAX_BYTES = 64 * 1024 * 1024


def report_fields(report: RunReport, round_id: str | None) -> dict[str, str | None]:
    """host (one host) or hosts (a count), baseline sha256, round, SSH host key."""
    fields: dict[str, str | None] = {"kind": "report"}
    if len(report.hosts) == 1:
        host = report.hosts[0]
        fields["host"] = host.target
        fields["baseline"] = host.baseline_sha256 or report.baseline.sha256
        fields["ssh_hostkey"] = host.ssh_host_key
        fields["transcript"] = host.transcript_sha256
    else:
        fields["hosts"] = str(len(report.hosts))
        fields["baseline"] = report.baseline.sha256
    fields["round"] = round_id or report.run_id
    return fields


def describe_file(path: Path, round_id: str | None) -> dict[str, str | None]:
    """What to say about a file: a JSON report's fields, else only that it is a file."""
    try:
        if path.suffix == ".json" and path.stat().st_size <= _DESCRIBE_MAX_BYTES:
            raw = json.loads(path.read_bytes())
            if isinstance(raw, dict) and raw.get("format") == "endpoint-audit-run-manifest":
                recorded = raw.get("round")
                return {
                    "kind": "manifest",
                    "round": round_id or (recorded if isinstance(recorded, str) else None),
                    "run": str(raw.get("run_id") or "") or None,
                }
            return report_fields(RunReport.model_validate(raw), round_id)
    except (OSError, ValueError, ValidationError):
        pass
    return {"kind": "file", "round": round_id}


def comment_for(path: Path, fields: dict[str, str | None], at: datetime | None = None) -> str:
    signed = trusted_comment.utc_text(at or datetime.now(UTC))
    ordered: dict[str, str | None] = {"kind": fields.get("kind"), "signed": signed}
    ordered.update({k: v for k, v in fields.items() if k != "kind" and v})
    ordered["file"] = path.name
    return trusted_comment.make(__version__, ordered)


def sign_file(key: minisign.SecretKey, path: Path, fields: dict[str, str | None]) -> Path:
    """Write `path.minisig` (atomically) and return its path."""
    signature = minisign.sign_digest(
        key, minisign.prehash(minisign.file_chunks(path)), comment_for(path, fields)
    )
    target = signature_path(path)
    write_atomically(target, signature.text().encode("utf-8"))
    return target
