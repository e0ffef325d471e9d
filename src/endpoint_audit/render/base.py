"""The Renderer contract: a RunReport in, text out. Host data is hostile: escape it."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from endpoint_audit.model.result import RunReport


@dataclass(frozen=True)
class RenderOptions:
    lang: str = "en"
    color: bool = False  # terminal only
    width: int | None = None  # terminal only; None = 100 when not a TTY
    # When the report is read (an aware time; the CLI passes now). Figures stay as of the
    # judging time; a waiver in force then and expired by this time is shown as lapsed,
    # with the verdict without it. None: as judged, nothing added (byte-stable output).
    as_of: datetime | None = None


class Renderer(abc.ABC):
    name: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str] = ""
    # Text encoding of the file; "utf-8-sig" adds a BOM (CSV for Excel).
    encoding: ClassVar[str] = "utf-8"

    @abc.abstractmethod
    def render(self, report: RunReport, options: RenderOptions) -> str:
        """The whole document as text."""
