"""The wheel carries the shipped baselines, templates and catalogs (found with
importlib.resources, never by a path into the source tree)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [built] = out.glob("endpoint_audit-*.whl")
    return built


def test_wheel_contains_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "endpoint_audit/baselines/jp-municipal-telework.yaml" in names
    assert "endpoint_audit/baselines/minimal.yaml" in names
    assert "endpoint_audit/locales/ja/core.toml" in names
    assert any(n.startswith("endpoint_audit/templates/") for n in names)
    assert "endpoint_audit/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert (
        "[endpoint_audit.checks.v1]" in text and "endpoint-audit = endpoint_audit.cli:main" in text
    )


def test_installed_wheel_finds_its_baselines(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    site = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    # Dependencies come from the test environment; the package itself only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": deps, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import endpoint_audit, sys; from endpoint_audit.baseline.load import shipped_names;"
            "print(endpoint_audit.__file__); print(' '.join(shipped_names()))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    location, names = probe.stdout.splitlines()
    assert location.startswith(site)
    assert "jp-municipal-telework" in names.split()
    listing = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "endpoint_audit", "baseline", "list", "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    assert "jp-municipal-telework" in listing.stdout
