"""Every broken baseline or waiver file gives exactly one line `file:line: path: message`,
exit 2, no traceback, in well under a second and in bounded memory.

Each case names the line the message must point at; where the path ends in a key, the
test also checks that this key is written on that line of the file.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.baselines.helpers import BROKEN, run

# file -> (file named in the message, line, path, part of the message)
CASES: dict[str, tuple[str | None, int, str, str]] = {
    "b01-typo-top-key.yaml": (None, 5, "chekcs", "did you mean 'checks'?"),
    "b02-unknown-check-id.yaml": (None, 7, "checks.screen_lok", "did you mean 'screen_lock'?"),
    "b03-unknown-param.yaml": (
        None, 8, "checks.screen_lock.params.max_idle_secs", "did you mean 'max_idle_seconds'?"
    ),
    "b04-wrong-type-param.yaml": (
        None, 8, "checks.screen_lock.params.max_idle_seconds", "valid integer"
    ),
    "b05-wrong-type-enabled.yaml": (None, 7, "checks.firewall.enabled", "valid boolean"),
    "b06-bad-severity.yaml": (None, 7, "checks.open_ports.severity", "'critical', 'high'"),
    "b07-missing-title.yaml": (None, 2, "title", "required key is missing"),
    "b08-duplicate-key.yaml": (
        None, 8, "checks.firewall", "duplicate key (first defined on line 6)"
    ),
    "b09-tabs.yaml": (None, 6, "(top)", "tab character"),
    "b10-empty.yaml": (None, 1, "(top)", "the file is empty"),
    "b11-comments-only.yaml": (None, 1, "(top)", "the file is empty"),
    "b12-not-yaml.yaml": (None, 2, "(top)", "invalid YAML"),
    "b13-binary-junk.yaml": (None, 1, "(top)", "not UTF-8 text"),
    "b14-alias-bomb.yaml": (None, 6, "e", "alias bomb"),
    "b15-deep-nesting.yaml": (None, 8, "checks.open_ports.params...", "nested more than 40"),
    "b16-top-level-list.yaml": (None, 2, "(top)", "not a list"),
    "b17-top-level-text.yaml": (None, 2, "(top)", "not a line of text"),
    "b18-extends-missing-file.yaml": (None, 5, "extends", "baseline file not found"),
    "b19-extends-unknown-name.yaml": (None, 5, "extends", "did you mean 'jp-municipal-telework'?"),
    "b20-cycle-a.yaml": ("b20-cycle-b.yaml", 7, "extends", "cycle: "),
    "b20-cycle-b.yaml": ("b20-cycle-a.yaml", 5, "extends", "cycle: "),
    "b21-platform-params-bad-os.yaml": (
        None, 8, "checks.screen_lock.platform_params.win11", "'win11' is not an OS family"
    ),
    "b22-platform-param-unknown.yaml": (
        None, 9, "checks.screen_lock.platform_params.macos.max_idle",
        "did you mean 'max_idle_seconds'?",
    ),
    "b23-bad-id.yaml": (None, 2, "id", "letters, digits"),
    "b24-reference-missing-framework.yaml": (
        None, 9, "checks.firewall.references.1.framework", "required key is missing"
    ),
    "b25-baseline-waiver-no-approver.yaml": (
        None, 8, "waivers.0.approver", "required key is missing"
    ),
    "b26-merge-key.yaml": (None, 8, "checks.firewall.<<", "merge keys (<<) are not supported"),
    "b27-negative-param.yaml": (
        None, 8, "checks.screen_lock.params.max_idle_seconds", "greater than or equal to 1"
    ),
    "b28-bad-port-spec.yaml": (
        None, 8, "checks.open_ports.params.forbidden_ports", "'70000': ports are 1-65535"
    ),
    "b29-utf16.yaml": (None, 1, "(top)", "UTF-16; save it as UTF-8"),
    "b30-shift-jis.yaml": (None, 4, "(top)", "Shift_JIS is not supported"),
    "b31-checks-is-a-list.yaml": (None, 5, "checks", "valid dictionary"),
    "b32-two-documents.yaml": (None, 6, "(top)", "another document"),
    "b33-unclosed-bracket.yaml": (None, 9, "(top)", "started on line 8"),
    "b34-platforms-unknown-os.yaml": (
        None, 7, "checks.disk_encryption.platforms.1", "'freebsd' is not an OS family"
    ),
    "b35-title-missing-en.yaml": (None, 3, "title.en", "required key is missing"),
    # No OS at all would make the check not applicable everywhere, a silent off switch.
    "b36-platforms-empty.yaml": (
        None, 7, "checks.screen_lock.platforms", "enabled: false"
    ),
    # A blank name is part of every product's name: it would accept any product.
    "b37-blank-accepted-product.yaml": (
        None, 8, "checks.antivirus.params.accepted_products.1", "blank"
    ),
    # Nothing forbidden and no allow-list: the check could never fail, yet would pass.
    "b38-open-ports-judges-nothing.yaml": (
        None, 7, "checks.open_ports.params", "could never fail"
    ),
    # YAML reads `yes` as true, which a lax integer would take as 1: any password length.
    "b39-yes-as-a-number.yaml": (
        None, 8, "checks.password_policy.params.min_length", "valid integer"
    ),
    # Parameters that would make a pass prove nothing: named at the value's own line.
    "b40-local-admins-allow-everyone.yaml": (
        None, 10, "checks.local_admins.params.allowed.1", "'*' matches every account and group"
    ),
    "b41-local-admins-every-sid.yaml": (
        None, 8, "checks.local_admins.params.allowed.1", "every SID that starts S-1-5-21-"
    ),
    "b42-open-ports-allow-every-port.yaml": (
        None, 9, "checks.open_ports.params.allowed_ports", "covers every tcp port"
    ),
    "b43-open-ports-every-forbidden-allowed.yaml": (
        None, 7, "checks.open_ports.params", "also in allowed_ports"
    ),
    "b44-antivirus-signatures-never-old.yaml": (
        None, 8, "checks.antivirus.params.max_signature_age_days", "write at most 30"
    ),
    "b45-antivirus-product-pattern.yaml": (
        None, 8, "checks.antivirus.params.accepted_products.0", "not patterns"
    ),
    "b46-lockout-never-reached.yaml": (
        None, 9, "checks.password_policy.params.max_failed_attempts", "NIST SP 800-63B"
    ),
    "b47-update-grace-never-over.yaml": (
        None,
        9,
        "checks.patch_level.platform_params.windows.monthly_update_grace_days",
        "write at most 90",
    ),
    "b48-system-volume-excluded.yaml": (
        None, 10, "checks.disk_encryption.params.exclude_volumes.1", "holds the system"
    ),
    "w01-no-approver.yaml": (None, 3, "waivers.0.approver", "required key is missing"),
    "w02-expires-before-approval.yaml": (
        None, 3, "waivers.0", "expires 2024-03-31 is before approved 2025-04-01"
    ),
    "w03-garbage-expiry.yaml": (None, 8, "waivers.0.expires", "not 'next month'"),
    "w04-impossible-date.yaml": (None, 8, "waivers.0.expires", "'2026-02-30'"),
    "w05-expiry-with-time.yaml": (None, 8, "waivers.0.expires", "without a time"),
    "w06-unknown-check.yaml": (None, 3, "waivers.0.check", "did you mean 'open_ports'?"),
    "w07-empty-hosts.yaml": (None, 4, "waivers.0.hosts", "at least 1 item"),
    "w08-top-level-list.yaml": (None, 2, "(top)", "not a list"),
    "w09-typo-key.yaml": (
        None, 6, "waivers.0.justfication", "did you mean 'justification'?"
    ),
    "w10-expiry-as-number.yaml": (None, 8, "waivers.0.expires", "not 20260331"),
    "w11-blank-justification.yaml": (None, 6, "waivers.0.justification", "must not be empty"),
    "w12-missing-waivers-key.yaml": (None, 2, "exceptions", "unknown key 'exceptions'"),
}  # fmt: skip

LINE = re.compile(
    r"^endpoint-audit: error: (?P<file>.+?):(?P<line>\d+): (?P<path>\S+): (?P<msg>.+)$"
)
MAX_SECONDS = 1.0  # CPU seconds per case


def validate(path: Path) -> tuple[int, str, float]:
    args = ["--waivers", path] if path.name.startswith("w") else [path]
    # CPU time of this process: the machine is shared, and wall time also counts whoever
    # else is busy; the bound is on the work validation itself does.
    started = time.process_time()
    result = run("baseline", "validate", *args)
    return result.code, result.stderr, time.process_time() - started


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Import and register everything once, so each case times validation, not start-up."""
    assert run("baseline", "validate", "minimal").code == 0


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in BROKEN.iterdir() if p.suffix == ".yaml"}
    assert on_disk == set(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_gives_one_clear_line(name: str) -> None:
    named_file, line, path, fragment = CASES[name]
    code, stderr, seconds = validate(BROKEN / name)
    assert code == 2
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = LINE.match(lines[0])
    assert match, lines[0]
    assert Path(match["file"]).name == (named_file or name)
    assert int(match["line"]) == line, lines[0]
    assert match["path"] == path, lines[0]
    assert fragment in match["msg"], lines[0]
    assert seconds < MAX_SECONDS, f"{name}: {seconds:.2f} s"
    last = path.rsplit(".", 1)[-1]
    if not last.isdigit() and last not in ("(top)", "...") and "missing" not in fragment:
        text = (BROKEN / (named_file or name)).read_text(encoding="utf-8")
        assert last in text.splitlines()[line - 1], (name, text.splitlines()[line - 1])


def test_alias_bomb_memory_is_bounded() -> None:
    tracemalloc.start()
    try:
        code, stderr, _ = validate(BROKEN / "b14-alias-bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2 and "alias bomb" in stderr
    # Unbounded, the bomb expands to 9**9 (387 million) strings. (No time limit here:
    # tracing every allocation slows Python down several times.)
    assert peak < 32 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB"


def test_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with big.open("wb") as handle:
        handle.write(b"id: huge\nchecks:\n")
        chunk = b"  # padding padding padding padding padding padding padding padding\n" * 16384
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)
    code, stderr, seconds = validate(big)
    assert code == 2
    assert re.search(r"huge\.yaml:1: \(top\): file is 5\d\.\d MB; .* at most 1024 KB", stderr)
    assert seconds < MAX_SECONDS
    tracemalloc.start()  # measured apart: tracing slows everything down
    try:
        validate(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB"


def test_a_device_that_never_ends_is_refused(tmp_path: Path) -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    code, stderr, seconds = validate(zero)
    # Refused before a byte is read: a device is not a baseline, whatever its size.
    assert code == 2 and "is a character device, not a regular baseline file" in stderr
    assert seconds < MAX_SECONDS


def test_a_folder_is_not_a_baseline(tmp_path: Path) -> None:
    code, stderr, _ = validate(tmp_path)
    assert code == 2 and "is a folder" in stderr
