"""The trusted-keys file: which public keys an auditor accepts, whose they are, and for
which period (a key per fiscal year, 年度, April to March, so that last year's reports
still verify after this year's key replaced it).

    # trusted_keys.yaml
    timezone: Asia/Tokyo          # the days below are days there (the default)
    keys:
      - public_key: RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3
        owner: 情報政策課
        valid_from: 2026-04-01    # first day the key may sign (inclusive)
        valid_to: 2027-03-31      # last day (inclusive)

A signature counts only if its key is listed and the signing time its trusted comment
states lies within the key's days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from endpoint_audit.signing.minisign import MinisignError, PublicKey

DEFAULT_TIMEZONE = "Asia/Tokyo"


class TrustedKeysError(ValueError):
    """The file is wrong; the message is one line naming it."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    public_key: str
    owner: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _a_day(cls, value: object) -> object:
        # A lax date takes a number as seconds since 1970 (`8640000000` is a day in
        # 2243): a key's days are written as days.
        if isinstance(value, bool | int | float):
            raise ValueError("write a day as YYYY-MM-DD, not a number")
        return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    timezone: str = DEFAULT_TIMEZONE
    keys: list[_Entry]


class TrustedKey(Struct, frozen=True):
    public: PublicKey
    owner: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def period_text(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "…"
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{start} to {end}"


class TrustedKeys(Struct, frozen=True):
    keys: tuple[TrustedKey, ...]
    timezone: str = DEFAULT_TIMEZONE
    # A single key given on the command line: no period to check.
    periods: bool = True

    def find(self, key_id: bytes) -> TrustedKey | None:
        return next((k for k in self.keys if k.public.key_id == key_id), None)

    def in_period(self, key: TrustedKey, at: dt.datetime) -> bool:
        day = at.astimezone(ZoneInfo(self.timezone)).date()
        if key.valid_from is not None and day < key.valid_from:
            return False
        return not (key.valid_to is not None and day > key.valid_to)


def single(public: PublicKey, owner: str = "--pubkey") -> TrustedKeys:
    return TrustedKeys((TrustedKey(public, owner),), periods=False)


def from_data(
    raw: Any, name: str, line_of: Callable[[tuple[str | int, ...]], int] | None = None
) -> TrustedKeys:
    """The keys of a trusted-keys document already read as data (duplicate keys refused:
    a second `valid_to` would silently stretch a key's period). `line_of` gives the
    line a path was written on, for `name:line:` in the messages."""

    def where(path: tuple[str | int, ...]) -> str:
        return f"{name}:{line_of(path)}" if line_of is not None else name

    try:
        data = _File.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first.get("loc", ()))
        dotted = ".".join(str(p) for p in loc) or "(top)"
        raise TrustedKeysError(f"{where(loc)}: {dotted}: {first.get('msg')}") from None
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TrustedKeysError(
            f"{where(('timezone',))}: timezone {data.timezone!r} is unknown"
        ) from None
    keys: list[TrustedKey] = []
    for index, entry in enumerate(data.keys):
        try:
            public = PublicKey.from_base64(entry.public_key.strip(), "public_key")
        except MinisignError as exc:
            raise TrustedKeysError(f"{where(('keys', index))}: keys.{index}: {exc}") from None
        if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
            raise TrustedKeysError(
                f"{where(('keys', index))}: keys.{index}: valid_to is before valid_from"
            )
        if any(k.public.key_id == public.key_id for k in keys):
            raise TrustedKeysError(
                f"{where(('keys', index))}: keys.{index}: key {public.id_text} listed twice"
            )
        keys.append(TrustedKey(public, entry.owner, entry.valid_from, entry.valid_to))
    if not keys:
        raise TrustedKeysError(f"{where(('keys',))}: no keys listed")
    return TrustedKeys(tuple(keys), data.timezone)
