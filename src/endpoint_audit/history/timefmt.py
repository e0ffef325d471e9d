"""Times in the store: UTC text that sorts as it reads (YYYY-MM-DDTHH:MM:SSZ)."""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_text(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(FORMAT)


def from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)  # reads the trailing Z as UTC


def maybe(value: str | None) -> datetime | None:
    return from_text(value) if value else None
