"""The support periods os_support judges against: a dated data file, shipped or installed.

Which file: ENDPOINT_AUDIT_OS_SUPPORT_DATA names one, else `os-support.toml` in the user
data folder (docs/os-support.md), else the shipped one. An overrides file
(ENDPOINT_AUDIT_OS_SUPPORT_OVERRIDES, or `os-support-overrides.toml` beside the installed
data) adds or corrects releases without replacing the rest.
"""

import os
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from endpoint_audit.checkkit.data import DataFileError, DataInfo
from endpoint_audit.model.observed import Reason
from endpoint_audit.user_cache import data_folder, file_stamp, keep, read_kept

DATA_ENV = "ENDPOINT_AUDIT_OS_SUPPORT_DATA"
OVERRIDES_ENV = "ENDPOINT_AUDIT_OS_SUPPORT_OVERRIDES"
INSTALLED_NAME = "os-support.toml"
OVERRIDES_NAME = "os-support-overrides.toml"
PRODUCTS = ("windows", "macos", "ubuntu", "debian", "rhel", "office")


class SupportDataError(DataFileError):
    """The data file cannot be read or is not support data. `reason` names the file and
    the problem as a message key, so a report says it in its own language."""

    def __init__(self, name: str, **args: str) -> None:
        super().__init__(Reason(key=f"os_support.reason.{name}", args=args))


class Release(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    eol: date | None = None  # end of security support; None: still supported, no date known
    extended: date | None = None  # end of extended support (ESU, ESM, LTS, ELS)
    # Windows: the end per edition class.
    client: date | None = None
    enterprise: date | None = None
    ltsc: date | None = None
    # Windows 10: the last day each ESU year's licence covers, by year ("1", "2", "3").
    esu: dict[str, date] = Field(default_factory=dict)


class SupportData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = Field(1, ge=1, le=1)
    dated: date
    source: str
    windows: dict[str, Release] = Field(default_factory=dict)
    macos: dict[str, Release] = Field(default_factory=dict)
    ubuntu: dict[str, Release] = Field(default_factory=dict)
    debian: dict[str, Release] = Field(default_factory=dict)
    rhel: dict[str, Release] = Field(default_factory=dict)
    # Office on Windows by release: 2016, 2019, 2021, 2021-ltsc, 2024, 2024-ltsc (365:
    # Microsoft 365 Apps, supported by channel and version, which this data does not date).
    office: dict[str, Release] = Field(default_factory=dict)
    path: str = ""  # where it was read from (set by the loader)

    def releases(self, product: str) -> dict[str, Release]:
        return dict(getattr(self, product)) if product in PRODUCTS else {}


def installed_path() -> Path:
    return Path(data_folder()) / INSTALLED_NAME


def _read(path: Path | None, what: str) -> dict[str, object]:
    import tomllib  # only for a file not read kept (_shipped)

    try:
        if path is None:
            text = (resources.files(__package__) / "data" / "support.toml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise SupportDataError(
            "data_unreadable", path=what, output=str(exc.strerror or exc)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SupportDataError("data_not_toml", path=what, output=str(exc)) from None


def parse_data(raw: dict[str, object], where: str) -> SupportData:
    try:
        return SupportData.model_validate({**raw, "path": where})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        # pydantic's own words stay as `output`: the library's text, shown as it is.
        raise SupportDataError("data_invalid", path=where, field=loc, output=first["msg"]) from None


def _merge(data: SupportData, overrides: dict[str, object], where: str) -> SupportData:
    merged = data.model_dump()
    for key, table in overrides.items():
        # A misspelt table ([macOS]) left silently out would keep the release it meant to
        # end supported: unusable instead, naming it.
        if key not in PRODUCTS or not isinstance(table, dict):
            raise SupportDataError(
                "data_invalid",
                path=where,
                field=key,
                output=f"not a table of releases ({', '.join(PRODUCTS)})",
            )
        merged[key] = {**merged[key], **table}
    merged["path"] = f"{data.path} + {where}"
    return parse_data(merged, where)


def _stamp(path: str) -> tuple[int, int, int] | None:
    """A file's inode, modification time and size: a file replaced is read anew."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


SHIPPED = "shipped os-support data"


def _shipped() -> SupportData:
    """The shipped data, kept validated in the user's cache beside the file's stamp: TOML
    is parsed in pure Python (tomllib's import and this file cost a scan about 2 ms), the
    kept JSON is validated again as it is read."""
    resource = resources.files(__package__) / "data" / "support.toml"
    stamp = file_stamp(os.fspath(resource)) if isinstance(resource, os.PathLike) else None
    name = "os-support/shipped.json"
    kept = read_kept(name) if stamp is not None else None
    if isinstance(kept, dict) and kept.get("stamp") == stamp and isinstance(kept.get("data"), dict):
        try:
            return SupportData.model_validate(kept["data"])
        except ValidationError:
            pass  # not what was kept: parse the file again
    data = parse_data(_read(None, SHIPPED), SHIPPED)
    if stamp is not None:
        keep(name, {"stamp": stamp, "data": data.model_dump(mode="json")})
    return data


@cache
def _load(
    data_path: str,
    overrides_path: str,
    stamps: tuple[tuple[int, int, int] | None, ...] = (),  # the cache key's part, unread
) -> SupportData:
    if data_path:
        data = parse_data(_read(Path(data_path), data_path), data_path)
    else:
        data = _shipped()
    if overrides_path:
        data = _merge(data, _read(Path(overrides_path), overrides_path), overrides_path)
    return data


def support_data(environ: dict[str, str] | None = None) -> SupportData:
    """The data in use; SupportDataError (naming the file) when it is unusable."""
    env = dict(os.environ) if environ is None else environ
    data_path = env.get(DATA_ENV, "").strip()
    if not data_path and installed_path().is_file():
        data_path = str(installed_path())
    overrides = env.get(OVERRIDES_ENV, "").strip()
    if not overrides and (installed_path().parent / OVERRIDES_NAME).is_file():
        overrides = str(installed_path().parent / OVERRIDES_NAME)
    stamps = tuple(_stamp(p) for p in (data_path, overrides) if p)
    return _load(data_path, overrides, stamps)


def read_file(path: Path) -> DataInfo:
    """Validate a support data file (for `data update`); SupportDataError names the problem."""
    data = parse_data(_read(path, str(path)), str(path))
    return DataInfo(dated=data.dated, source=data.source, where=str(path))


def data_in_use() -> DataInfo:
    data = support_data()
    return DataInfo(dated=data.dated, source=data.source, where=data.path or "shipped")
