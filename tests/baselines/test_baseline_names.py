"""Which file a baseline name means: a name without a path separator or a .yaml/.yml
suffix is always the shipped baseline, whatever files the working folder (or the folder
of an extending baseline) holds; a file needs a path. The report records what was read:
`shipped:NAME` or the resolved path, each with its sha256."""

from __future__ import annotations

import hashlib
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.baseline.load import is_path_ref, load_baseline, shipped_names
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import load_inventory
from tests.baselines.helpers import COMPLIANT, run, tailoring

# A look-alike that would turn every check off: if it were ever loaded, the scan would
# have nothing to fail on, and its id says where it came from.
IMPOSTOR = """\
id: impostor
title: {ja: 偽物, en: Impostor}
version: "666"
checks:
  open_ports: {enabled: false}
  firewall: {enabled: false}
  disk_encryption: {enabled: false}
  patch_level: {enabled: false}
  screen_lock: {enabled: false}
"""


def known() -> dict[str, type]:
    return {cid: cls.Params for cid, cls in load_registry().checks.items()}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", ["minimal", "jp-municipal-telework"])
def test_a_file_in_the_working_folder_never_replaces_a_shipped_baseline(
    in_folder: Path, name: str
) -> None:
    for planted in (name, f"{name}.yaml", f"{name}.yml"):
        (in_folder / planted).write_text(IMPOSTOR, encoding="utf-8")
    ran = run("scan", "-b", name, "--replay", COMPLIANT, "-f", "json")
    assert ran.code == 0, ran.stderr
    baseline = ran.json()["baseline"]
    assert baseline["id"] == name
    assert baseline["source"] == f"shipped:{name}"
    assert baseline["files"][0]["source"] == f"shipped:{name}"


def test_a_file_needs_a_path_and_the_report_names_it_with_its_digest(in_folder: Path) -> None:
    city = tailoring(in_folder / "city.yaml", "minimal", {"firewall": {"severity": "low"}})
    for ref in ("./city.yaml", "city.yaml", str(city)):
        ran = run("scan", "-b", ref, "--replay", COMPLIANT, "-f", "json")
        assert ran.code == 0, ran.stderr
        baseline = ran.json()["baseline"]
        assert baseline["id"] == "city"
        assert baseline["source"] == str(city.resolve())
        files = baseline["files"]
        assert files[0] == {"source": str(city.resolve()), "sha256": sha256_of(city)}
        assert files[1]["source"] == "shipped:minimal"
        assert len(files[1]["sha256"]) == 64


def test_an_unknown_name_is_one_line_that_suggests_the_file(in_folder: Path) -> None:
    (in_folder / "city.yaml").write_text(IMPOSTOR, encoding="utf-8")
    (in_folder / "town").write_text(IMPOSTOR, encoding="utf-8")
    for name, hint in (("city", "write ./city.yaml"), ("town", "write ./town")):
        ran = run("scan", "-b", name, "--replay", COMPLIANT, "-f", "json")
        assert ran.code == 2
        lines = ran.stderr.strip().splitlines()
        assert len(lines) == 1, ran.stderr
        assert f"{name}: no shipped baseline of that name" in lines[0]
        assert hint in lines[0]
        assert "Traceback" not in ran.stderr
    ran = run("scan", "-b", "minimall", "--replay", COMPLIANT)
    assert ran.code == 2 and "did you mean 'minimal'?" in ran.stderr
    assert "to use the file" not in ran.stderr  # no such file: no such hint


def test_extends_follows_the_same_rule_relative_to_the_baseline_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # A file named like a shipped baseline beside the tailoring file is not what
    # `extends: minimal` means, nor is one in the working folder.
    (site / "minimal.yaml").write_text(IMPOSTOR, encoding="utf-8")
    (elsewhere / "minimal.yaml").write_text(IMPOSTOR, encoding="utf-8")
    shipped = load_baseline(str(tailoring(site / "a.yaml", "minimal")), known())
    assert shipped.files[1][0] == "shipped:minimal"
    assert "open_ports" in shipped.checks

    # A path is relative to the extending file, not to the working folder.
    parent = tailoring(site / "parent.yaml", "minimal", {"firewall": {"severity": "low"}})
    (elsewhere / "parent.yaml").write_text(IMPOSTOR, encoding="utf-8")
    for ref in ("parent.yaml", "./parent.yaml"):
        loaded = load_baseline(str(tailoring(site / "b.yaml", ref)), known())
        assert [f[0] for f in loaded.files] == [
            str((site / "b.yaml").resolve()),
            str(parent.resolve()),
            "shipped:minimal",
        ]
        assert loaded.files[1][1] == sha256_of(parent)
        assert loaded.checks["firewall"].severity is not None
        assert loaded.checks["firewall"].severity.value == "low"

    # A bare name that is no shipped baseline names the file it may have meant.
    child = tailoring(site / "c.yaml", "parent")
    with pytest.raises(ConfigError) as caught:
        load_baseline(str(child), known())
    message = str(caught.value)
    assert message.startswith(f"{child}:6: extends: ")
    assert "extends: parent: no shipped baseline of that name" in message
    assert "write ./parent.yaml" in message


def test_inventory_baseline_without_suffix_is_the_file_beside_the_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleet.yaml").write_text(
        "hosts:\n  - {name: pc-1, baseline: ./city}\n  - {name: pc-2, baseline: minimal}\n",
        encoding="utf-8",
    )
    hosts = {h.name: h.baseline for h in load_inventory(Path("fleet.yaml"))}
    assert hosts["pc-1"] == str(tmp_path / "city")  # still a path: never shipped "city"
    assert is_path_ref(hosts["pc-1"] or "")
    assert hosts["pc-2"] == "minimal"


def test_baseline_init_writes_a_path_that_stays_a_path(in_folder: Path) -> None:
    tailoring(in_folder / "parent", "minimal")  # a file with no suffix
    out = in_folder / "child.yaml"
    ran = run("baseline", "init", "--extends", "./parent", "-o", out)
    assert ran.code == 0, ran.stderr
    assert "extends: ./parent" in out.read_text(encoding="utf-8")
    loaded = load_baseline(str(out), known())
    assert loaded.files[1][0] == str((in_folder / "parent").resolve())


# Names as a user might type them: letters, digits, dots, dashes, underscores, and
# Japanese; never a separator or a .yaml/.yml ending.
NAME_CHARS = string.ascii_letters + string.digits + "._-~ " + "市役所基準"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.one_of(
        st.sampled_from(["minimal", "cis-level1", "jp-municipal-telework"]),
        st.text(alphabet=NAME_CHARS, min_size=1, max_size=40),
    )
)
def test_any_bare_name_is_shipped_or_an_error_never_a_file(in_folder: Path, name: str) -> None:
    """Property: whatever file of that name sits in the working folder, a bare name is
    the shipped baseline of that name or a one-line error; the file is never read."""
    if is_path_ref(name) or not name.strip():
        return
    try:
        (in_folder / name).write_text(IMPOSTOR, encoding="utf-8")
    except OSError:  # a name this file system cannot hold
        return
    try:
        loaded = load_baseline(name, known())
    except ConfigError as exc:
        assert "\n" not in str(exc)
        assert name not in shipped_names()
    else:
        assert name in shipped_names()
        assert loaded.resolved == f"shipped:{name}"
        assert loaded.id != "impostor"
    finally:
        (in_folder / name).unlink(missing_ok=True)
