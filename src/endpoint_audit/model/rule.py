"""Rule checks written in a baseline (`type: rule`): what to read and what to expect.

A rule is data: per OS family a condition tree whose leaves each read one typed value
(a registry value, a file's mode, a sysctl, ...) and compare it. These models validate
a rule strictly, so that `baseline validate` names the exact problem (an unknown hive, a
DWORD written as a string, a regex that does not compile, an operator that does not fit
the value's type) with a suggestion where one exists.
"""

import difflib
import re
import shlex
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from endpoint_audit.model.members import SET_OPERATORS, is_sid, well_known_sid
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Reference, Severity

# Value kinds a read yields; an operator fits some of them only.
NUMBER, TEXT, TEXTS, BOOL, DATE, ANY = "number", "text", "texts", "bool", "date", "any"

# At most 59 characters: the Windows probe is named `rule.<id>`, and probe names are at
# most 64 (transport/powershell.py).
RULE_ID = re.compile(r"^(?=.{3,59}$)[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
RULE_ID_HINT = (
    "a rule id is namespaced, lower case: 'jp.autologon_disabled' "
    "(letters, digits and '_', one '.', at most 59 characters)"
)

_VERSION = re.compile(r"^\d+(\.\d+)*\Z")
# A Debian or RPM package version, e.g. '1:2.36.1-8+deb12u1' or '2.34-100.el9_4.2'.
_PACKAGE_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+~^:_-]{0,127}\Z")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Tree(_Strict):
    """An all/any/none node. Its validator is built on first direct use only: a rule's
    own schema holds the whole recursive tree, and building it again for each of the six
    node classes cost a scan about 20 ms of start."""

    model_config = ConfigDict(defer_build=True)


class RuleText(_Strict):
    ja: str = Field(min_length=1, description="Japanese text.")
    en: str = Field(min_length=1, description="English text.")


# Strict: "1" stays text and true stays a bool, so a DWORD written as a string is caught.
Scalar = Annotated[
    StrictBool | StrictInt | StrictFloat | StrictStr, Field(union_mode="left_to_right")
]
Number = Annotated[StrictInt | StrictFloat, Field(union_mode="left_to_right")]

# --- expectations ------------------------------------------------------------------

_OPERATORS: dict[str, tuple[str, ...]] = {
    # operator -> kinds of value it fits
    "eq": (NUMBER, TEXT, BOOL),
    "ne": (NUMBER, TEXT, BOOL),
    "in": (NUMBER, TEXT),
    "lt": (NUMBER,),
    "le": (NUMBER,),
    "gt": (NUMBER,),
    "ge": (NUMBER,),
    "version_lt": (TEXT,),
    "version_le": (TEXT,),
    "version_gt": (TEXT,),
    "version_ge": (TEXT,),
    "regex": (TEXT, TEXTS),
    "age_days_le": (DATE,),
    "age_days_ge": (DATE,),
    # A list's members (or a text's, between commas) as a set: user rights' SIDs.
    "contains_all": (TEXT, TEXTS),
    "contains_none": (TEXT, TEXTS),
    "subset_of": (TEXT, TEXTS),
    "equals_set": (TEXT, TEXTS),
    "present": (NUMBER, TEXT, TEXTS, BOOL, DATE),
    "absent": (NUMBER, TEXT, TEXTS, BOOL, DATE),
}
OPERATOR_NAMES = tuple(_OPERATORS)


class Compare(_Strict):
    """One comparison of the value read. Exactly one operator."""

    eq: Scalar | None = Field(None, description="Equal to (numbers compare as numbers).")
    ne: Scalar | None = Field(None, description="Not equal to.")
    in_: list[Scalar] | None = Field(None, alias="in", description="One of these values.")
    lt: Number | None = Field(None, description="Less than (numbers only).")
    le: Number | None = Field(None, description="At most (numbers only).")
    gt: Number | None = Field(None, description="More than (numbers only).")
    ge: Number | None = Field(None, description="At least (numbers only).")
    version_lt: str | None = Field(None, description="Dotted version below, e.g. '10.0.22631'.")
    version_le: str | None = Field(None, description="Dotted version at most.")
    version_gt: str | None = Field(None, description="Dotted version above.")
    version_ge: str | None = Field(None, description="Dotted version at least.")
    regex: str | None = Field(None, description="Python regular expression searched in the text.")
    age_days_le: int | None = Field(None, ge=0, description="A date at most this many days ago.")
    age_days_ge: int | None = Field(None, ge=0, description="A date at least this many days ago.")
    contains_all: list[StrictStr] | None = Field(
        None,
        min_length=1,
        description="A set: every one of these members is in the value (it may hold more).",
    )
    contains_none: list[StrictStr] | None = Field(
        None, min_length=1, description="A set: none of these members is in the value."
    )
    subset_of: list[StrictStr] | None = Field(
        None,
        min_length=1,
        description="A set: the value holds no member but these (it may lack some).",
    )
    equals_set: list[StrictStr] | None = Field(
        None,
        description="A set: the value holds exactly these members, in any order; [] means "
        "no one (a user right nobody holds).",
    )
    present: Literal[True] | None = Field(None, description="The value exists.")
    absent: Literal[True] | None = Field(
        None, description="The value (or its key or file) does not exist."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def operator(self) -> str:
        return next(name for name in OPERATOR_NAMES if self.operand_of(name) is not None)

    def operand_of(self, name: str) -> Any:
        return getattr(self, "in_" if name == "in" else name)

    @property
    def operand(self) -> Any:
        return self.operand_of(self.operator)

    @field_validator(*SET_OPERATORS, mode="before")
    @classmethod
    def _members(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        if value is None:
            return value
        if not isinstance(value, list):
            parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else [value]
            raise ValueError(
                f"{name} takes a list of members, not {_show(value)}; write {name}: {_show(parts)}"
            )
        if not value and name in _EMPTY_SET_HINTS:
            raise ValueError(_EMPTY_SET_HINTS[name])
        for item in value:
            if not isinstance(item, str):
                raise ValueError(
                    f"{name}: the member {_show(item)} is not text; write members as text, "
                    "e.g. ['*S-1-5-32-544']"
                )
            if not item.strip() or "," in item:
                raise ValueError(
                    f"{name}: {item!r} is not one member; write each member as its own "
                    "list item, e.g. ['*S-1-5-32-544', '*S-1-5-32-555']"
                )
        return value

    @field_validator("regex")
    @classmethod
    def _judges(cls, value: str | None) -> str | None:
        if value is not None and matches_every_text(value):
            raise ValueError(
                f"regex {value!r} finds a match in any text (it is searched in the value), "
                "so the expectation always holds; say what must be there, e.g. '^1$' or "
                "'Enabled', or write present: true to ask only that the value exists"
            )
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> "Compare":
        given = [n for n in OPERATOR_NAMES if self.operand_of(n) is not None]
        if not given:
            raise ValueError(
                "an expectation needs one operator: "
                + ", ".join(OPERATOR_NAMES)
                + " (or all/any/none of expectations)"
            )
        if len(given) > 1:
            raise ValueError(
                f"one operator per expectation, not {' and '.join(given)}; "
                "combine them with all: [...] or any: [...]"
            )
        name = given[0]
        operand = self.operand_of(name)
        if name == "regex":
            try:
                re.compile(operand)
            # A repeat count beyond re's limit (a{4294967296}) raises OverflowError.
            except (re.error, OverflowError) as exc:
                raise ValueError(f"regex {operand!r} does not compile: {exc}") from None
        if name.startswith("version_") and not _PACKAGE_VERSION.match(operand):
            raise ValueError(
                f"{name}: {operand!r} is not a dotted version; "
                "write digits and dots, e.g. '10.0.22631' (or a package's version)"
            )
        if name == "in" and not operand:
            raise ValueError("in: needs at least one value")
        if name in SET_OPERATORS:
            sids = [is_sid(m) for m in operand]
            if any(sids) and not all(sids):
                names = [m for m, sid in zip(operand, sids, strict=True) if not sid]
                raise ValueError(
                    f"{name} mixes SIDs and names ({names[0]!r}); accounts are compared by "
                    f"SID only, since names are localized: {_sid_hint(names[0])}"
                )
        return self

    def describe(self) -> str:
        """The expectation as the rule writes it (language-neutral evidence)."""
        name = self.operator
        if name in ("present", "absent"):
            return name
        return f"{name} {_show(self.operand)}"


_EMPTY_SET_HINTS = {
    "contains_all": "contains_all: [] holds for any value; name the members that must be "
    "there, or write equals_set: [] for 'no one'",
    "contains_none": "contains_none: [] holds for any value; name the members that must not "
    "be there",
    "subset_of": "subset_of: [] says the value holds no member at all; write equals_set: [] "
    "to say 'no one'",
}


def _sid_hint(name: str) -> str:
    sid = well_known_sid(name.lstrip("*"))
    if sid is not None:
        return f"write '*{sid}' for {name!r}"
    return "write the account's SID, e.g. '*S-1-5-32-544' (Administrators)"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


# Unlike texts: a regex that finds a match in each of them (and in each character it
# names itself) finds one in any text. The regexes of real rules miss most of them.
_PROBES = (
    "",
    "\n",
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    "~",
    " ",
    "\t",
    "\u3042",
    "ab",
    "a\nb",
    "Enabled",
    "0x1F 2",
)
# A lookaround asks what is not there ('^(?!0$)': anything but 0): such a regex is
# left alone, whatever these texts say.
_LOOKAROUND = re.compile(r"\(\?<?[=!]")


def matches_every_text(pattern: str) -> bool:
    """True when `pattern`, searched as rules search (re.MULTILINE), finds a match in
    every probe text and in each character of the pattern: '', '.*', '^.*$', 'a*', '^',
    '$' and '(x|)' do, '^$', '.', '\\b' and '^[^#]*$' do not. False for a pattern with a
    lookaround, and for one that does not compile (that is reported by itself)."""
    if _LOOKAROUND.search(pattern):
        return False
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except (re.error, OverflowError):
        return False
    texts = (*_PROBES, *dict.fromkeys(pattern))
    return all(compiled.search(text) is not None for text in texts)


class ExpectAll(_Tree):
    all: list["Expect"] = Field(min_length=1, description="Every expectation holds.")


class ExpectAny(_Tree):
    any: list["Expect"] = Field(min_length=1, description="At least one expectation holds.")


class ExpectNone(_Tree):
    none: list["Expect"] = Field(min_length=1, description="No expectation holds.")


def _tree_tag(value: Any) -> str:
    if isinstance(value, dict):
        for name in ("all", "any", "none"):
            if name in value:
                return f"~{name}"
    if isinstance(value, BaseModel):
        for name in ("all", "any", "none"):
            if name in type(value).model_fields:
                return f"~{name}"
    return "~leaf"


Expect = Annotated[
    Union[  # noqa: UP007 - a tagged union
        Annotated[Compare, Tag("~leaf")],
        Annotated[ExpectAll, Tag("~all")],
        Annotated[ExpectAny, Tag("~any")],
        Annotated[ExpectNone, Tag("~none")],
    ],
    Discriminator(_tree_tag),
]


def expectation_leaves(expect: Expect) -> list[Compare]:
    if isinstance(expect, Compare):
        return [expect]
    parts = (
        expect.all
        if isinstance(expect, ExpectAll)
        else (expect.any if isinstance(expect, ExpectAny) else expect.none)
    )
    return [leaf for part in parts for leaf in expectation_leaves(part)]


# --- reads ---------------------------------------------------------------------------

HIVES = {
    "HKLM": "HKLM",
    "HKEY_LOCAL_MACHINE": "HKLM",
    "HKU": "HKU",
    "HKEY_USERS": "HKU",
}
_HIVE_HINTS = {
    "HKCU": "HKCU is the auditing account's own hive, not the user's; "
    "use HKLM\\... (machine policy) or HKU\\<SID>\\...",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER is the auditing account's own hive; "
    "use HKLM\\... or HKU\\<SID>\\...",
    "HKCR": "HKCR is a merged view; read HKLM\\SOFTWARE\\Classes\\... instead",
    "HKEY_CLASSES_ROOT": "read HKLM\\SOFTWARE\\Classes\\... instead",
}
REGISTRY_TYPES = {
    "dword": NUMBER,
    "qword": NUMBER,
    "sz": TEXT,
    "expand_sz": TEXT,
    "multi_sz": TEXTS,
    "binary": TEXT,
}


# For editors (the JSON Schema); the validator below says what is wrong and how to fix it.
_HIVE_PATTERN = r"^([Hh][Kk][Ll][Mm]|[Hh][Kk][Uu]|HKEY_LOCAL_MACHINE|HKEY_USERS)\\[^\\]"


class RegistryRead(_Strict):
    """A Windows registry value, always from the 64-bit view."""

    registry: str = Field(
        json_schema_extra={"pattern": _HIVE_PATTERN},
        description="Key path with its hive: HKLM\\SOFTWARE\\... or HKU\\<SID>\\... "
        "(HKEY_LOCAL_MACHINE and HKEY_USERS also work); HKU\\*\\... reads every loaded "
        "user hive, and every user's value must meet the expectation.",
    )
    value: str = Field(min_length=1, description="The value name under the key.")
    type: Literal["dword", "qword", "sz", "expand_sz", "multi_sz", "binary"] | None = Field(
        None,
        description="The value's registry type; operands must fit it (a DWORD is a number). "
        "A value of another type on the host is unknown, never compared.",
    )

    @field_validator("registry")
    @classmethod
    def _hive(cls, value: str) -> str:
        text = value.strip()
        if "\\" not in text and "/" in text:
            raise ValueError(
                f"{text!r}: registry paths use backslashes, e.g. HKLM\\SOFTWARE\\Policies\\..."
            )
        head, _, rest = text.partition("\\")
        hive = head.rstrip(":").upper()
        if head.endswith(":"):
            raise ValueError(
                f"{head!r} is PowerShell drive syntax; write the hive without ':', "
                f"e.g. {hive}\\{rest}"
            )
        if hive in _HIVE_HINTS:
            raise ValueError(f"unknown hive {head!r}: {_HIVE_HINTS[hive]}")
        if hive not in HIVES:
            raise ValueError(
                f"unknown hive {head!r}; start the path with HKLM\\ or HKU\\ "
                "(e.g. HKLM\\SOFTWARE\\Policies\\...)"
            )
        if not rest.strip("\\") or "/" in rest:
            raise ValueError(
                "write the key path after the hive with backslashes, "
                "e.g. HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
            )
        if "\\\\" in rest:
            raise ValueError("the key path has an empty part ('\\\\'); write single backslashes")
        first, _, below = rest.partition("\\")
        if hive == "HKU" and first == "*" and not below.strip("\\"):
            raise ValueError(
                "HKU\\* (every loaded user hive) needs the key below it, e.g. "
                "HKU\\*\\Software\\Policies\\..."
            )
        return text

    @property
    def hive(self) -> str:
        return HIVES[self.registry.partition("\\")[0].upper()]

    @property
    def every_user(self) -> bool:
        """HKU\\*\\...: the value in every loaded user hive."""
        return self.hive == "HKU" and self.registry.partition("\\")[2].startswith("*\\")

    @property
    def key_path(self) -> str:
        """The path under the hive (under each user's SID for HKU\\*\\...)."""
        path = self.registry.partition("\\")[2].strip("\\")
        return path.partition("\\")[2] if self.every_user else path

    @property
    def kind(self) -> str:
        return REGISTRY_TYPES[self.type] if self.type else ANY

    def label(self) -> str:
        users = "*\\" if self.every_user else ""
        return f"{self.hive}\\{users}{self.key_path}\\{self.value}"


_ABS_PATH = re.compile(r"^/[^\x00]*\Z")


def _absolute(value: str) -> str:
    if not _ABS_PATH.match(value) or "/../" in f"{value}/" or "\n" in value:
        raise ValueError(f"{value!r}: write an absolute path such as /etc/ssh/sshd_config")
    return value


class FileRead(_Strict):
    """A file on Linux: whether it exists, its mode, owner, group, age or content."""

    file: str = Field(description="Absolute path of the file.")
    prop: Literal["exists", "mode", "owner", "group", "mtime", "content"] = Field(
        "exists",
        alias="property",
        description="exists (use present/absent), mode (octal text such as '600'), owner, "
        "group, mtime (a date: age_days_le), content (the text: regex).",
    )

    @field_validator("file")
    @classmethod
    def _path(cls, value: str) -> str:
        return _absolute(value)

    @property
    def kind(self) -> str:
        return {"mode": TEXT, "owner": TEXT, "group": TEXT, "mtime": DATE, "content": TEXT}.get(
            self.prop, ANY
        )

    def label(self) -> str:
        return f"{self.file} ({self.prop})"


class IniRead(_Strict):
    """A `key=value` (or INI `[section]` key) setting of a Linux file."""

    ini: str = Field(description="Absolute path of the file.")
    section: str | None = Field(None, description="The [section]; omit for a plain key=value file.")
    key: str = Field(min_length=1, description="The key (compared exactly).")
    separator: Literal["=", " "] = Field(
        "=", description="'=' (key=value) or ' ' (sshd_config style: key value)."
    )

    @field_validator("ini")
    @classmethod
    def _path(cls, value: str) -> str:
        return _absolute(value)

    @property
    def kind(self) -> str:
        return TEXT

    def label(self) -> str:
        where = f"[{self.section}] " if self.section else ""
        return f"{self.ini}: {where}{self.key}"


_SYSCTL = re.compile(r"^[a-z0-9_][a-z0-9_.\-]*\Z")


class SysctlRead(_Strict):
    """A Linux kernel parameter, read from /proc/sys."""

    sysctl: str = Field(description="The parameter, e.g. net.ipv4.ip_forward.")

    @field_validator("sysctl")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SYSCTL.match(value) or ".." in value:
            raise ValueError(f"{value!r} is not a sysctl name such as net.ipv4.ip_forward")
        return value

    @property
    def path(self) -> str:
        return "/proc/sys/" + self.sysctl.replace(".", "/")

    @property
    def kind(self) -> str:
        return ANY  # a number, or text for a few (kernel.core_pattern)

    def label(self) -> str:
        return f"sysctl {self.sysctl}"


_UNIT = re.compile(r"^[A-Za-z0-9:_.@\\-]+\.(service|socket|timer|mount|target|path)\Z")


class UnitRead(_Strict):
    """A systemd unit's state."""

    systemd: str = Field(description="The unit with its suffix, e.g. sshd.service.")
    prop: Literal["active", "enabled"] = Field(
        "active",
        alias="property",
        description="active: ActiveState (active, inactive, failed...); enabled: "
        "UnitFileState (enabled, disabled, masked...). A unit that is not installed is absent.",
    )

    @field_validator("systemd")
    @classmethod
    def _unit(cls, value: str) -> str:
        if not _UNIT.match(value):
            raise ValueError(f"{value!r} is not a unit name with its suffix, e.g. sshd.service")
        return value

    @property
    def kind(self) -> str:
        return TEXT

    def label(self) -> str:
        return f"systemd {self.systemd} ({self.prop})"


_MODULE = re.compile(r"^[A-Za-z0-9_\-]+\Z")


class ModuleRead(_Strict):
    """A Linux kernel module: loaded now, or blacklisted (modprobe configuration)."""

    kernel_module: str = Field(
        description="The module name, e.g. cramfs (dashes and underscores are the same)."
    )
    prop: Literal["loaded", "blacklisted"] = Field(
        alias="property",
        description="loaded (/proc/modules) or blacklisted (`blacklist` or `install ... "
        "/bin/false` in the modprobe configuration); a bool, compare with eq: true.",
    )

    @field_validator("kernel_module")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _MODULE.match(value):
            raise ValueError(f"{value!r} is not a kernel module name such as cramfs")
        return value

    @property
    def name(self) -> str:
        return self.kernel_module.replace("-", "_")

    @property
    def kind(self) -> str:
        return BOOL

    def label(self) -> str:
        return f"kernel module {self.name} ({self.prop})"


# --- Windows reads beyond the registry ------------------------------------------------
# Every name below ends up inside a PowerShell script, so each is checked against a strict
# pattern here (and still passed as a quoted literal there): a read is never code.

# The sections `secedit /export` writes for the SECURITYPOLICY and USER_RIGHTS areas.
SECPOL_SECTIONS = (
    "System Access",
    "Event Audit",
    "Kerberos Policy",
    "Registry Values",
    "Privilege Rights",
    "System Log",
    "Security Log",
    "Application Log",
)
PRIVILEGE_RIGHTS = "Privilege Rights"
# MinimumPasswordAge, SeDenyNetworkLogonRight, MACHINE\System\...\LimitBlankPasswordUse
_SECPOL_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\\[A-Za-z0-9_ .\-{}]+)*\Z")


class SecpolRead(_Strict):
    """A local security policy setting, read by section and key from the INF text
    `secedit /export` writes (never from localized screens). Needs an administrator."""

    secpol: str = Field(
        description="The INF section: " + ", ".join(SECPOL_SECTIONS) + ".",
        json_schema_extra={"enum": list(SECPOL_SECTIONS)},
    )
    key: str = Field(
        description="The key in that section, e.g. MinimumPasswordLength, "
        "SeRemoteInteractiveLogonRight, MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\"
        "LimitBlankPasswordUse (compared without regard to case).",
    )

    @field_validator("secpol")
    @classmethod
    def _section(cls, value: str) -> str:
        text = value.strip().strip("[]").strip()
        for section in SECPOL_SECTIONS:
            if section.lower() == text.lower():
                return section
        close = difflib.get_close_matches(text, SECPOL_SECTIONS, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{value!r} is not a section secedit exports ({', '.join(SECPOL_SECTIONS)}){hint}"
        )

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if len(value) > 300 or not _SECPOL_KEY.match(value):
            raise ValueError(
                f"{value!r} is not a secedit key such as MinimumPasswordLength or "
                "SeDenyNetworkLogonRight (letters, digits, '_'; registry keys with '\\')"
            )
        return value

    @property
    def rights(self) -> bool:
        return self.secpol == PRIVILEGE_RIGHTS

    @property
    def kind(self) -> str:
        # [Privilege Rights] holds SID lists; elsewhere a number when the value is digits.
        return TEXTS if self.rights else ANY

    def label(self) -> str:
        return f"secpol [{self.secpol}] {self.key}"


_HEX = "[0-9A-Fa-f]"
_GUID = re.compile(rf"^\{{?({_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})\}}?\Z")


class AuditpolRead(_Strict):
    """An advanced audit policy subcategory, by its GUID, from the numeric column of
    `auditpol /backup` (0 none, 1 success, 2 failure, 3 both). Needs an administrator."""

    auditpol: str = Field(
        description="The subcategory GUID, e.g. '{0CCE9215-69AE-11D9-BED3-505054503030}' "
        "(Logon). Quote it in YAML: braces start a mapping.",
    )
    subcategory: str | None = Field(
        None,
        max_length=120,
        description="A label for people (e.g. Logon); never matched against the host, "
        "whose names are localized.",
    )

    @field_validator("auditpol", mode="before")
    @classmethod
    def _guid(cls, value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError(
                "the GUID was read as a YAML mapping; quote it: "
                "auditpol: '{0CCE9215-69AE-11D9-BED3-505054503030}'"
            )
        if not isinstance(value, str):
            return value
        match = _GUID.match(value.strip())
        if not match:
            raise ValueError(
                f"{value!r} is not a subcategory GUID such as "
                "'{0CCE9215-69AE-11D9-BED3-505054503030}'"
            )
        return "{" + match.group(1).upper() + "}"

    @property
    def kind(self) -> str:
        return NUMBER

    def label(self) -> str:
        name = f" ({self.subcategory})" if self.subcategory else ""
        return f"auditpol {self.auditpol}{name}"


_CIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_CIM_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}(/[A-Za-z][A-Za-z0-9_]{0,63}){0,7}\Z")
# Text a selector may compare: no quotes, backslashes or wildcards of WQL's LIKE.
_CIM_TEXT = re.compile(r"^[A-Za-z0-9 .:{}\-]{0,256}\Z")


def _cim_name(value: str, what: str) -> str:
    if not _CIM_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a CIM {what} name (letters, digits and '_', "
            "starting with a letter or '_')"
        )
    return value


class CimMatch(_Strict):
    """How one property of a selected instance must look: equal, or ending with a text."""

    eq: StrictBool | StrictInt | StrictStr | None = Field(None, description="Equal to.")
    ends_with: StrictStr | None = Field(
        None, min_length=1, description="Text ending with this, e.g. '-501' for a SID."
    )

    @model_validator(mode="after")
    def _one(self) -> "CimMatch":
        if (self.eq is None) == (self.ends_with is None):
            raise ValueError("a selector names one of eq or ends_with")
        text = self.ends_with if self.ends_with is not None else self.eq
        if isinstance(text, str) and not _CIM_TEXT.match(text):
            raise ValueError(
                f"{text!r}: selector text may hold letters, digits, spaces and . : - {{ }} only"
            )
        return self


# A selector: a value to equal (written as it is) or {eq: ...} / {ends_with: ...}.
CimSelector = Annotated[
    StrictBool | StrictInt | StrictStr | CimMatch, Field(union_mode="left_to_right")
]


class CimRead(_Strict):
    """One property of one CIM (WMI) instance, chosen by equality selectors on its own
    properties, never by a free-form query. No instance selected: absent; more than one:
    unknown (the rule has not said which)."""

    cim: str = Field(description="The CIM class, e.g. Win32_UserAccount.")
    prop: str = Field(alias="property", description="The property read, e.g. Disabled.")
    namespace: str = Field(
        "root/cimv2", description="The namespace, e.g. root/cimv2 (the default)."
    )
    where: dict[str, CimSelector] = Field(
        default_factory=dict,
        max_length=8,
        description="Selectors on the instance's properties: `Name: value` (equal) or "
        "`SID: {ends_with: '-501'}`. Omit for a class with one instance.",
    )

    @field_validator("cim")
    @classmethod
    def _class(cls, value: str) -> str:
        return _cim_name(value, "class")

    @field_validator("prop")
    @classmethod
    def _property(cls, value: str) -> str:
        return _cim_name(value, "property")

    @field_validator("namespace", mode="before")
    @classmethod
    def _namespace(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.replace("\\", "/").strip("/")
        if not _CIM_NAMESPACE.match(text):
            raise ValueError(f"{value!r} is not a CIM namespace such as root/cimv2")
        return text

    @field_validator("where")
    @classmethod
    def _selectors(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, match in value.items():
            _cim_name(name, "property")
            if not isinstance(match, CimMatch):
                CimMatch(eq=match)  # the same checks on a value written plainly
        return value

    @property
    def selectors(self) -> dict[str, CimMatch]:
        """Every selector as a CimMatch (a plain value is `eq`)."""
        return {
            name: match if isinstance(match, CimMatch) else CimMatch(eq=match)
            for name, match in self.where.items()
        }

    @property
    def kind(self) -> str:
        return ANY

    def label(self) -> str:
        chosen = ", ".join(
            f"{k}={_show(m.eq)}" if m.ends_with is None else f"{k}=*{m.ends_with}"
            for k, m in self.selectors.items()
        )
        return (
            f"cim {self.namespace}:{self.cim}"
            + (f"[{chosen}]" if chosen else "")
            + (f".{self.prop}")
        )


_SERVICE = re.compile(r"^[A-Za-z0-9_.$\-]{1,256}\Z")
SERVICE_START_TYPES = {0: "boot", 1: "system", 2: "automatic", 3: "manual", 4: "disabled"}


class ServiceRead(_Strict):
    """A Windows service: its start type (the Start DWORD of its registry key: 0 boot,
    1 system, 2 automatic, 3 manual, 4 disabled) or its state (Win32_Service State:
    Running, Stopped, ...). A service that is not installed is absent."""

    service: str = Field(description="The service's key name (not its display name), e.g. Spooler.")
    prop: Literal["start_type", "state"] = Field(
        alias="property",
        description="start_type (a number: 2 automatic, 3 manual, 4 disabled) or state "
        "(text as Win32_Service names it: Running, Stopped, ...).",
    )

    @field_validator("service")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SERVICE.match(value):
            raise ValueError(
                f"{value!r} is not a service key name such as Spooler or RemoteRegistry "
                "(the name, not the display name)"
            )
        return value

    @property
    def kind(self) -> str:
        return NUMBER if self.prop == "start_type" else TEXT

    def label(self) -> str:
        return f"service {self.service} ({self.prop})"


_FEATURE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}\Z")
FEATURE_STATES = {1: "enabled", 2: "disabled", 3: "absent"}


class OptionalFeatureRead(_Strict):
    """A Windows optional feature's InstallState (Win32_OptionalFeature: 1 enabled,
    2 disabled, 3 absent, i.e. its payload removed). A feature the edition does not know
    is absent; InstallState 4 (unknown) is unknown."""

    optional_feature: str = Field(description="The feature name, e.g. SMB1Protocol.")
    prop: Literal["state"] = Field(
        "state", alias="property", description="state: InstallState, a number 1, 2 or 3."
    )

    @field_validator("optional_feature")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _FEATURE.match(value):
            raise ValueError(f"{value!r} is not an optional feature name such as SMB1Protocol")
        return value

    @property
    def kind(self) -> str:
        return NUMBER

    def label(self) -> str:
        return f"optional feature {self.optional_feature} ({self.prop})"


# --- macOS and Linux reads beyond files --------------------------------------------------

# A preference domain (reverse DNS: com.apple.loginwindow) or an absolute .plist path.
_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+\Z")
_PLIST_PATH = re.compile(r"^/[^\x00\n]*\.plist\Z")
MANAGED_PREFERENCES = "/Library/Managed Preferences"
PLIST_TYPES = {"bool": BOOL, "number": NUMBER, "text": TEXT, "date": DATE, "list": TEXTS}
PlistKeyPart = Annotated[StrictStr | StrictInt, Field(union_mode="left_to_right")]


def key_path(value: str | list[str | int]) -> str | list[str | int]:
    """A plist key path as a rule writes it: a key, a dotted path or a list of parts."""
    parts = value.split(".") if isinstance(value, str) else value
    if not parts or any(p == "" for p in parts) or len(parts) > 16:
        raise ValueError(
            f"{value!r}: write a key, a dotted path (a.b) or a list of keys (['key.with.dots'])"
        )
    if any(isinstance(p, int) and p < 0 for p in parts):
        raise ValueError(f"{value!r}: an array position is 0 or more")
    return value


def key_parts(key: str | list[str | int]) -> tuple[str | int, ...]:
    """The parts of a key path key_path accepted: a dotted text split, a list as it is."""
    return tuple(key.split(".")) if isinstance(key, str) else tuple(key)


def key_text(key: str | list[str | int]) -> str:
    """A key path as labels show it: the dotted text, or the parts joined with ':'."""
    return key if isinstance(key, str) else ":".join(str(p) for p in key)


class PlistRead(_Strict):
    """A value of a macOS property list, by key path. A domain is read from the managed
    preferences a configuration profile writes first, then from its own file."""

    plist: str = Field(
        description="A preference domain (com.apple.loginwindow: "
        "/Library/Managed Preferences/<domain>.plist first, then "
        "/Library/Preferences/<domain>.plist) or an absolute path of a .plist file.",
    )
    key: StrictStr | list[PlistKeyPart] = Field(
        description="The key; a dotted path into nested dictionaries (a.b.c), or a list "
        "(['com.apple.login.mcx.DisableAutoLoginClient'], ['Items', 0, 'Name']) for keys "
        "holding dots and for array positions.",
    )
    type: Literal["bool", "number", "text", "date", "list"] | None = Field(
        None,
        description="How the value is read: bool also takes 1/0 and YES/NO as macOS "
        "reads a boolean preference; without it the value keeps the type the file holds.",
    )

    @field_validator("plist")
    @classmethod
    def _where(cls, value: str) -> str:
        if value.startswith("/"):
            if not _PLIST_PATH.match(value) or "/../" in value or "/./" in value:
                raise ValueError(
                    f"{value!r}: write an absolute path ending in .plist, "
                    "e.g. /Library/Preferences/com.apple.loginwindow.plist"
                )
            return value
        if not _DOMAIN.match(value) or len(value) > 200:
            raise ValueError(
                f"{value!r} is not a preference domain such as com.apple.loginwindow "
                "or an absolute .plist path"
            )
        return value

    @field_validator("key")
    @classmethod
    def _path(cls, value: str | list[str | int]) -> str | list[str | int]:
        return key_path(value)

    @property
    def parts(self) -> tuple[str | int, ...]:
        return key_parts(self.key)

    @property
    def files(self) -> tuple[str, ...]:
        """The files read, in order: the managed preferences first for a domain."""
        if self.plist.startswith("/"):
            return (self.plist,)
        return (
            f"{MANAGED_PREFERENCES}/{self.plist}.plist",
            f"/Library/Preferences/{self.plist}.plist",
        )

    @property
    def kind(self) -> str:
        return PLIST_TYPES[self.type] if self.type else ANY

    def label(self) -> str:
        return f"plist {self.plist} {key_text(self.key)}"


# A configuration profile's PayloadType (com.apple.MCX, com.apple.TCC.configuration-profile-
# policy): a reverse-DNS name as Apple's payload references write them.
_PAYLOAD_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+\Z")


class ProfileRead(_Strict):
    """A value of the installed computer-level configuration profiles, as `profiles -C -o
    stdout-xml` lists them (as root): the payloads of one PayloadType (of one profile when
    it is named), by key path into their PayloadContent."""

    profile_payload: str = Field(
        description="The payload's PayloadType, e.g. com.apple.MCX or com.apple.loginwindow "
        "(Apple's Device Management reference names each payload's type).",
    )
    profile: StrictStr | None = Field(
        None,
        description="Only the payloads of the profile with this ProfileIdentifier; without it, "
        "every computer-level profile's payloads of that type, which must agree.",
    )
    key: StrictStr | list[PlistKeyPart] = Field(
        description="The key in the payload's PayloadContent; a dotted path into nested "
        "dictionaries (a.b.c), or a list (['key.with.dots'], ['Items', 0, 'Name']) for keys "
        "holding dots and for array positions.",
    )
    type: Literal["bool", "number", "text", "date", "list"] | None = Field(
        None,
        description="How the value is read: bool also takes 1/0 and YES/NO as macOS reads a "
        "boolean preference; without it the value keeps the type the payload holds.",
    )

    @field_validator("profile_payload")
    @classmethod
    def _payload_type(cls, value: str) -> str:
        if not _PAYLOAD_TYPE.match(value) or len(value) > 200:
            raise ValueError(
                f"{value!r} is not a payload type such as com.apple.MCX "
                "(the PayloadType of a configuration profile's payload)"
            )
        return value

    @field_validator("profile")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > 200 or not value.isprintable()):
            raise ValueError(
                f"{value!r} is not a profile identifier such as com.example.loginwindow "
                "(a ProfileIdentifier on one line, at most 200 characters)"
            )
        return value

    @field_validator("key")
    @classmethod
    def _path(cls, value: str | list[str | int]) -> str | list[str | int]:
        return key_path(value)

    @property
    def parts(self) -> tuple[str | int, ...]:
        return key_parts(self.key)

    @property
    def kind(self) -> str:
        return PLIST_TYPES[self.type] if self.type else ANY

    def label(self) -> str:
        of = f" of profile {self.profile}" if self.profile is not None else ""
        return f"profile payload {self.profile_payload}{of} {key_text(self.key)}"


# dpkg and rpm package names (Debian policy 5.6.7; rpm also allows upper case and '_').
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]{0,127}\Z")


class PackageRead(_Strict):
    """A Linux package from the package database (dpkg on Debian and Ubuntu, rpm on
    RHEL, Fedora and SUSE): whether it is installed, or its installed version."""

    package: str = Field(description="The package name, e.g. openssh-server.")
    prop: Literal["installed", "version"] = Field(
        "installed",
        alias="property",
        description="installed (true or false) or version (compared with version_ge etc. "
        "as dpkg or rpm compare versions; a package not installed is absent).",
    )

    @field_validator("package")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _PACKAGE.match(value):
            raise ValueError(f"{value!r} is not a package name such as openssh-server")
        return value

    @property
    def kind(self) -> str:
        return BOOL if self.prop == "installed" else TEXT

    def label(self) -> str:
        return f"package {self.package} ({self.prop})"


_PROGRAM = re.compile(r"^/[A-Za-z0-9_.+/-]+\Z")
COMMAND_MAX_TIMEOUT = 60
COMMAND_NOT_LOCAL = (
    "a command condition runs a program on the audited host, so it is allowed only in a "
    "baseline file of this computer (-b FILE), not in a shipped baseline, bundle or report"
)


class CommandRead(_Strict):
    """A program of the auditor's own baseline, run without a shell: its exit status or
    its output. Allowed only in a baseline file read from this computer."""

    command: list[StrictStr] = Field(
        min_length=1,
        max_length=32,
        description="The program by absolute path and its arguments, one per item "
        "(never a shell line), e.g. ['/usr/bin/fdesetup', 'isactive'].",
    )
    prop: Literal["exit_status", "output"] = Field(
        "exit_status",
        alias="property",
        description="exit_status (a number) or output (its standard output as text, at "
        "most 64 KiB, compared with regex).",
    )
    timeout: int = Field(
        10, ge=1, le=COMMAND_MAX_TIMEOUT, description="Seconds before it is stopped (1-60)."
    )

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str], info: ValidationInfo) -> list[str]:
        context = info.context if isinstance(info.context, dict) else {}
        if not context.get("command_allowed"):
            raise ValueError(COMMAND_NOT_LOCAL)
        if not _PROGRAM.match(value[0]) or "/../" in value[0]:
            raise ValueError(
                f"{value[0]!r}: name the program by its absolute path, e.g. /usr/bin/fdesetup "
                "(each argument is a list item; no shell runs it)"
            )
        if any("\x00" in a or len(a) > 1024 for a in value):
            raise ValueError("an argument holds a NUL character or more than 1024 characters")
        return value

    @property
    def kind(self) -> str:
        return NUMBER if self.prop == "exit_status" else TEXT

    def label(self) -> str:
        return f"command {shlex.join(self.command)} ({self.prop})"


READ_KEYS = (
    "registry",
    "secpol",
    "auditpol",
    "cim",
    "service",
    "optional_feature",
    "file",
    "ini",
    "sysctl",
    "systemd",
    "kernel_module",
    "plist",
    "profile_payload",
    "package",
    "command",
)


def _read_tag(value: Any) -> str:
    if isinstance(value, dict):
        for key in READ_KEYS:
            if key in value:
                return f"~{key}"
        return "~unknown"
    for key in READ_KEYS:
        if isinstance(value, BaseModel) and key in type(value).model_fields:
            return f"~{key}"
    return "~unknown"


Read = Annotated[
    Union[  # noqa: UP007 - a tagged union
        Annotated[RegistryRead, Tag("~registry")],
        Annotated[FileRead, Tag("~file")],
        Annotated[IniRead, Tag("~ini")],
        Annotated[SysctlRead, Tag("~sysctl")],
        Annotated[UnitRead, Tag("~systemd")],
        Annotated[ModuleRead, Tag("~kernel_module")],
        Annotated[SecpolRead, Tag("~secpol")],
        Annotated[AuditpolRead, Tag("~auditpol")],
        Annotated[CimRead, Tag("~cim")],
        Annotated[ServiceRead, Tag("~service")],
        Annotated[OptionalFeatureRead, Tag("~optional_feature")],
        Annotated[PlistRead, Tag("~plist")],
        Annotated[ProfileRead, Tag("~profile_payload")],
        Annotated[PackageRead, Tag("~package")],
        Annotated[CommandRead, Tag("~command")],
    ],
    Discriminator(
        _read_tag,
        custom_error_type="unknown_read",
        custom_error_message="a read names one of " + ", ".join(READ_KEYS),
    ),
]

_WINDOWS = frozenset({OsFamily.WINDOWS})
_LINUX = frozenset({OsFamily.LINUX})
_MACOS = frozenset({OsFamily.MACOS})
READ_FAMILIES: dict[type[BaseModel], frozenset[OsFamily]] = {
    RegistryRead: _WINDOWS,
    SecpolRead: _WINDOWS,
    AuditpolRead: _WINDOWS,
    CimRead: _WINDOWS,
    ServiceRead: _WINDOWS,
    OptionalFeatureRead: _WINDOWS,
    FileRead: _LINUX,
    IniRead: _LINUX,
    SysctlRead: _LINUX,
    UnitRead: _LINUX,
    ModuleRead: _LINUX,
    PlistRead: _MACOS,
    ProfileRead: _MACOS,
    PackageRead: _LINUX,
    CommandRead: _LINUX | _MACOS,
}


def _operand_kind(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    return TEXT


def check_fit(read: Any, expect: Expect) -> None:
    """Raise ValueError when an operator or operand does not fit the read's kind."""
    kind: str = read.kind
    for leaf in expectation_leaves(expect):
        name = leaf.operator
        if name.startswith("version_") and not isinstance(read, PackageRead):
            if not _VERSION.match(leaf.operand):
                raise ValueError(
                    f"{name}: {leaf.operand!r} is not a dotted version; "
                    "write digits and dots, e.g. '10.0.22631'"
                )
        if kind != ANY and kind not in _OPERATORS[name]:
            raise ValueError(
                f"operator {name} does not fit {read.label()}, which is {_KIND_WORDS[kind]}; "
                f"use {', '.join(n for n, kinds in _OPERATORS.items() if kind in kinds)}"
            )
        if name in SET_OPERATORS and isinstance(read, SecpolRead) and read.rights:
            for member in leaf.operand:
                if not is_sid(member):
                    raise ValueError(
                        f"{read.label()} holds accounts as SIDs, but {name} names "
                        f"{member!r}; names are localized (Administrators is 管理者 on a "
                        f"Japanese Windows) and never compared: {_sid_hint(member)}"
                    )
        if name not in ("eq", "ne", "in") or kind in (ANY, TEXTS):
            continue
        operands = leaf.operand if name == "in" else [leaf.operand]
        for operand in operands:
            given = _operand_kind(operand)
            if given == kind:
                continue
            if kind == NUMBER and given == TEXT:
                hint = _number_hint(operand)
                raise ValueError(
                    f"{read.label()} is a number{_type_note(read)}, but {name} is given the "
                    f"text {operand!r}; {hint}"
                )
            raise ValueError(
                f"{read.label()} is {_KIND_WORDS[kind]}, but {name} is given "
                f"{_KIND_WORDS[given]} {_show(operand)}; write it as {_KIND_WORDS[kind]}"
            )


_KIND_WORDS = {
    NUMBER: "a number",
    TEXT: "text",
    TEXTS: "a list of texts",
    BOOL: "true or false",
    DATE: "a date",
}


def _type_note(read: Any) -> str:
    return f" (REG_{read.type.upper()})" if isinstance(read, RegistryRead) and read.type else ""


def _number_hint(text: str) -> str:
    stripped = text.strip().lower()
    if re.fullmatch(r"-?\d+", stripped):
        return f"write {int(stripped)} without quotes"
    if re.fullmatch(r"0x[0-9a-f]+", stripped):
        return f"write {stripped} without quotes, or {int(stripped, 16)}"
    return "write a number"


class Condition(_Strict):
    """One value read and what it must be."""

    read: Read
    expect: Expect

    @field_validator("expect")
    @classmethod
    def _fits(cls, expect: Expect, info: ValidationInfo) -> Expect:
        read = info.data.get("read")  # validated first; absent when it was broken
        if read is not None:
            check_fit(read, expect)
        return expect

    @property
    def families(self) -> frozenset[OsFamily]:
        return READ_FAMILIES[type(self.read)]


class AllOf(_Tree):
    all: list["Conditions"] = Field(min_length=1, description="Every condition holds.")


class AnyOf(_Tree):
    any: list["Conditions"] = Field(min_length=1, description="At least one condition holds.")


class NoneOf(_Tree):
    none: list["Conditions"] = Field(min_length=1, description="No condition holds.")


def _cond_tag(value: Any) -> str:
    return _tree_tag(value)


Conditions = Annotated[
    Union[  # noqa: UP007 - a tagged union
        Annotated[Condition, Tag("~leaf")],
        Annotated[AllOf, Tag("~all")],
        Annotated[AnyOf, Tag("~any")],
        Annotated[NoneOf, Tag("~none")],
    ],
    Discriminator(_cond_tag),
]


def condition_leaves(tree: Conditions) -> list[Condition]:
    if isinstance(tree, Condition):
        return [tree]
    parts = (
        tree.all
        if isinstance(tree, AllOf)
        else (tree.any if isinstance(tree, AnyOf) else tree.none)
    )
    return [leaf for part in parts for leaf in condition_leaves(part)]


class RuleEntry(_Strict):
    """A check written as data in the baseline: `type: rule`."""

    type: Literal["rule"] = Field(description="rule: a check defined here, not in Python.")
    enabled: bool = Field(True, description="false turns the rule off.")
    severity: Severity = Field(description="critical, high, medium, low or info.")
    title: RuleText = Field(description="What holds when the rule passes.")
    remediation: RuleText = Field(description="What to change when it fails.")
    rationale: RuleText | None = Field(None, description="Why it matters.")
    references: list[Reference] = Field(
        default_factory=list, description="Framework requirements the rule serves."
    )
    platforms: dict[OsFamily, Conditions] = Field(
        min_length=1,
        description="Per OS family (windows, macos, linux): the conditions, one read with "
        "its expectation or all/any/none of them. Other families: not applicable.",
    )

    applies_when: dict[OsFamily, Conditions] | None = Field(
        None,
        min_length=1,
        description="Per OS family: when the rule applies at all, in the grammar of "
        "`platforms` (one read with its expectation, or all/any/none of them), e.g. "
        "Office installed. False: not applicable, naming the value read; not readable: "
        "unknown, naming why; true: the conditions are judged.",
    )

    @field_validator("platforms")
    @classmethod
    def _families(cls, value: dict[OsFamily, Conditions]) -> dict[OsFamily, Conditions]:
        return _read_where_written(value)

    @field_validator("applies_when")
    @classmethod
    def _applies_families(
        cls, value: dict[OsFamily, Conditions] | None, info: ValidationInfo
    ) -> dict[OsFamily, Conditions] | None:
        if value is None:
            return None
        _read_where_written(value)
        platforms = info.data.get("platforms")  # validated first; absent when it was broken
        if platforms is not None:
            for family in value:
                if family not in platforms:
                    judged = ", ".join(f.value for f in platforms)
                    raise ValueError(
                        f"applies_when names {family.value}, which the rule has no conditions "
                        f"for (platforms: {judged}); write it under the same OS family"
                    )
        return value

    def leaves(self, family: OsFamily) -> list[Condition]:
        tree = self.platforms.get(family)
        return condition_leaves(tree) if tree is not None else []

    def applies_tree(self, family: OsFamily) -> Conditions | None:
        return (self.applies_when or {}).get(family)

    def applies_leaves(self, family: OsFamily) -> list[Condition]:
        tree = self.applies_tree(family)
        return condition_leaves(tree) if tree is not None else []

    def read_leaves(self, family: OsFamily) -> list[Condition]:
        """Every read of the family in the order it is made and recorded: applicability
        first, then the conditions (one probe, one batch)."""
        return self.applies_leaves(family) + self.leaves(family)


def _read_where_written(value: dict[OsFamily, Conditions]) -> dict[OsFamily, Conditions]:
    if OsFamily.UNKNOWN in value:
        raise ValueError("'unknown' is not an OS family; use windows, macos or linux")
    for family, tree in value.items():
        for leaf in condition_leaves(tree):
            if family not in leaf.families:
                where = " or ".join(sorted(f.value for f in leaf.families))
                raise ValueError(
                    f"{leaf.read.label()} is read on {where}, not under {family.value}"
                )
    return value


def command_rules(rules: Mapping[str, RuleEntry]) -> list[str]:
    """The ids of the rules that run a program (a `command` condition), sorted."""
    return sorted(
        rid
        for rid, rule in rules.items()
        if any(
            isinstance(leaf.read, CommandRead)
            for f in rule.platforms
            for leaf in rule.read_leaves(f)
        )
    )
