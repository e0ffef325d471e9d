"""Where the history store lives: `--store PATH`, else ENDPOINT_AUDIT_STORE, else a file in
the user's data folder (platformdirs: ~/.local/share/endpoint-audit on Linux,
%LOCALAPPDATA%\\endpoint-audit on Windows, ~/Library/Application Support/endpoint-audit on
macOS)."""

from __future__ import annotations

import os
from pathlib import Path

STORE_ENV = "ENDPOINT_AUDIT_STORE"
STORE_FILE = "history.sqlite3"


def default_store() -> Path:
    from platformdirs import user_data_path

    return user_data_path("endpoint-audit", appauthor=False) / STORE_FILE


def configured_store(environ: dict[str, str] | None = None) -> Path | None:
    """The store named by ENDPOINT_AUDIT_STORE, or None when it is not set."""
    value = (os.environ if environ is None else environ).get(STORE_ENV, "").strip()
    return Path(value).expanduser() if value else None


def store_path(option: Path | None, environ: dict[str, str] | None = None) -> Path:
    """The store the history commands read: the option, the variable, or the default."""
    return option or configured_store(environ) or default_store()
