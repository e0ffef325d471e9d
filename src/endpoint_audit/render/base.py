"""The Renderer contract: a RunReport in, text out. Host data is hostile: escape it."""

from __future__ import annotations

import abc
import importlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import ClassVar, Literal

from msgspec import Struct

from endpoint_audit.model.result import RunReport


class SignatureNote(Struct, frozen=True):
    """What a report says of its signature. `signed`: this file is being signed (the
    report cannot verify itself; it says how to). `verified`: the JSON report it was
    rendered from verified against a trusted key just now (`report render --pubkey`)."""

    state: Literal["signed", "verified"]
    key_id: str
    public_key: str = ""  # the one-line public key (signed)
    owner: str = ""  # who the trusted key belongs to (verified)
    signed_at: str = ""  # from the trusted comment (verified)

    def text(self, lang: str) -> str:
        from endpoint_audit.model import i18n

        if self.state == "signed":
            return i18n.t(
                lang, "report.signature_signed", key_id=self.key_id, public_key=self.public_key
            )
        return i18n.t(
            lang,
            "report.signature_verified",
            key_id=self.key_id,
            owner=self.owner or "-",
            signed=self.signed_at or "-",
        )


class RenderOptions(Struct, frozen=True):
    lang: str = "en"
    color: bool = False  # terminal only
    width: int | None = None  # terminal only; None = 100 when not a TTY
    # When the report is read (an aware time; the CLI passes now). Figures stay as of the
    # judging time; a waiver in force then and expired by this time is shown as lapsed,
    # with the verdict without it. None: as judged, nothing added (byte-stable output).
    as_of: datetime | None = None
    signature: SignatureNote | None = None  # html and terminal show it in the header


class Renderer(abc.ABC):
    name: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str] = ""
    # Text encoding of the file; "utf-8-sig" adds a BOM (CSV for Excel).
    encoding: ClassVar[str] = "utf-8"

    @abc.abstractmethod
    def render(self, report: RunReport, options: RenderOptions) -> str:
        """The whole document as text."""


class RendererRef(Struct, frozen=True):
    """A renderer named before its module is imported: the built-in renderers' modules
    (Jinja2 templates, the frameworks table) cost a start more than all the JSON a scan
    writes, and a run loads only the formats it writes."""

    name: str
    module: str
    attribute: str

    def load(self) -> type[Renderer]:
        cls = getattr(importlib.import_module(self.module), self.attribute)
        if not (isinstance(cls, type) and issubclass(cls, Renderer)) or cls.name != self.name:
            raise TypeError(f"{self.module}:{self.attribute} is not the {self.name!r} renderer")
        return cls


class Renderers(Mapping[str, type[Renderer]]):
    """The renderers by format name; a RendererRef is imported when its format is asked for."""

    def __init__(self) -> None:
        self._entries: dict[str, type[Renderer] | RendererRef] = {}

    def add(self, entry: type[Renderer] | RendererRef) -> None:
        self._entries[entry.name] = entry

    def __getitem__(self, name: str) -> type[Renderer]:
        entry = self._entries[name]
        if isinstance(entry, RendererRef):
            entry = self._entries[name] = entry.load()
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
