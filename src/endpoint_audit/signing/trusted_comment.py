"""The trusted comment of our signatures: what the signature says about the file.

    endpoint-audit/0.1.0 kind=report signed=2026-12-02T06:00:00Z host=pc-01 baseline=<sha256>
        round=2026-12 ssh_hostkey=SHA256:... file=pc-01.json

(one line). The Ed25519 global signature covers it, so `minisign -V` shows it as
"Trusted comment" and no field can be changed unseen. Values are percent-encoded: a host
name from the network cannot add a field of its own with a space or an `=`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, unquote

from msgspec import Struct, field

TOOL = "endpoint-audit"
_SAFE = "-._~:/+@,"
# minisign's own default trusted comment: `timestamp:<unix>\tfile:<name>[\thashed]`.
_MINISIGN_TIMESTAMP = "timestamp:"


class TrustedComment(Struct, frozen=True):
    tool_version: str | None  # None: not a comment this tool wrote
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def signed_at(self) -> datetime | None:
        """When the signer says it signed: our `signed=`, or minisign's `timestamp:`."""
        value = self.fields.get("signed")
        if value is not None:
            try:
                at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            return at if at.tzinfo is not None else None
        if self.tool_version is None and self.text.startswith(_MINISIGN_TIMESTAMP):
            stamp = self.text[len(_MINISIGN_TIMESTAMP) :].split("\t", 1)[0]
            if stamp.isdigit() and len(stamp) <= 12:
                return datetime.fromtimestamp(int(stamp), UTC)
        return None


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make(version: str, fields: dict[str, str | None]) -> str:
    """The comment line; fields with no value are left out, order kept."""
    parts = [f"{TOOL}/{quote(version, safe=_SAFE)}"]
    for key, value in fields.items():
        if value is not None:
            parts.append(f"{key}={quote(value, safe=_SAFE)}")
    return " ".join(parts)


def parse(text: str) -> TrustedComment:
    """Our fields from a verified comment; any other comment is kept as text only."""
    head, _, rest = text.partition(" ")
    if not head.startswith(f"{TOOL}/"):
        return TrustedComment(None, {}, text)
    fields: dict[str, str] = {}
    for part in rest.split(" ") if rest else []:
        key, sep, value = part.partition("=")
        if not sep or not key or key in fields:
            return TrustedComment(None, {}, text)
        fields[key] = unquote(value)
    return TrustedComment(unquote(head[len(TOOL) + 1 :]), fields, text)
