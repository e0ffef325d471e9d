"""`scripts/new-check` makes a working check in one folder, as a built-in or as a
third-party package, and nothing else has to change: the suite's own tests run the
skeleton's pass and fail cases, its texts and its ids; a plugin with the same shape,
installed through the `endpoint_audit.checks.v1` entry point, is listed, explained in
both languages and judged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import endpoint_audit
from endpoint_audit.checkkit.cases import case_bundle, parse_case

ROOT = Path(__file__).resolve().parent.parent.parent
NEW_CHECK = ROOT / "scripts" / "new-check"
SRC = Path(endpoint_audit.__file__).resolve().parent


def run(argv: list[str], pythonpath: Path, cwd: Path = ROOT, timeout: float = 600) -> Any:
    env = dict(os.environ, PYTHONPATH=f"{pythonpath}{os.pathsep}{ROOT}", LANG="C.UTF-8")
    env.pop("ENDPOINT_AUDIT_DISABLE_PLUGINS", None)
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )


@pytest.mark.slow
def test_a_new_builtin_check_is_one_folder_the_suite_runs(tmp_path: Path) -> None:
    # A copy of the package, so that the skeleton lands in a tree of its own.
    src = tmp_path / "src"
    shutil.copytree(SRC, src / "endpoint_audit", ignore=shutil.ignore_patterns("__pycache__"))
    checks = src / "endpoint_audit" / "checks"
    made = run([sys.executable, str(NEW_CHECK), "usb_guard", "--into", str(checks)], src)
    assert made.returncode == 0, made.stderr
    folder = checks / "usb_guard"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.*")) == [
        "__init__.py",
        "cases/linux-disabled.yaml",
        "cases/linux-enabled.yaml",
        "cases/linux-no-setting.yaml",
        "check.py",
        "facts.py",
        "linux.py",
        "meta.toml",
        "texts/en.toml",
        "texts/ja.toml",
    ]
    where = run(
        [sys.executable, "-c", "import endpoint_audit; print(endpoint_audit.__file__)"], src
    )
    assert where.stdout.strip() == str(src / "endpoint_audit" / "__init__.py")
    listed = run([sys.executable, "-m", "endpoint_audit", "checks", "list"], src)
    assert "usb_guard" in listed.stdout, listed.stdout + listed.stderr
    # The suite's generic tests, on the tree with the new check: its three cases, its texts
    # in both languages, its id named nowhere else, the import contracts.
    suite = run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "tests/packages/test_replay_cases.py", "tests/packages/test_package_texts.py",
            "tests/packages/test_check_ids_stay_home.py", "tests/core/test_i18n.py",
            "-k", "usb_guard or i18n or catalog or every or schema or scan_sees",
        ],
        src,
    )  # fmt: skip
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert "usb_guard/linux-enabled" in run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/packages/test_replay_cases.py"], src,
    ).stdout  # fmt: skip
    lint = run([str(Path(sys.executable).parent / "ruff"), "check", str(folder)], src, timeout=120)
    assert lint.returncode == 0, lint.stdout
    # The skeleton's facts are Observed: mypy --strict accepts it as written.
    types = run([str(Path(sys.executable).parent / "mypy"), str(folder)], src, timeout=300)
    assert types.returncode == 0, types.stdout


def plugin_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    made = run(
        [sys.executable, str(NEW_CHECK), "acme.usb_guard", "--plugin", "acme_usb",
         "--into", str(site)], site,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    info = site / "acme_usb-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-usb\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[endpoint_audit.checks.v1]\nacme = acme_usb:PACKAGE\n", encoding="utf-8"
    )
    return site


def test_a_third_party_check_package_is_found_explained_and_judged(tmp_path: Path) -> None:
    site = plugin_site(tmp_path)
    plugins = run([sys.executable, "-m", "endpoint_audit", "plugins", "list"], site)
    assert "acme-usb" in plugins.stdout and "acme.usb_guard" in plugins.stdout, plugins.stdout
    shown = run(
        [sys.executable, "-m", "endpoint_audit", "checks", "show", "acme.usb_guard",
         "--lang", "ja", "--json"], site,
    )  # fmt: skip
    info = json.loads(shown.stdout)
    assert info["title"]["ja"] == "usb_guard の設定が有効になっている"
    assert info["params"]["require_enabled"]["description"] == "設定が無効のとき不適合とします。"
    baseline = tmp_path / "acme.yaml"
    baseline.write_text(
        yaml.safe_dump(
            {
                "id": "acme",
                "title": {"ja": "検証", "en": "Test"},
                "version": "1",
                "checks": {"acme.usb_guard": {}},
            }
        ),
        encoding="utf-8",
    )
    cases = sorted((site / "acme_usb" / "cases").glob("*.yaml"))
    assert [c.stem for c in cases] == ["linux-disabled", "linux-enabled", "linux-no-setting"]
    for path in cases:
        case = parse_case(path.read_text(encoding="utf-8"), str(path))
        bundle = tmp_path / f"{case.case}.json"
        bundle.write_text(json.dumps(case_bundle(case)), encoding="utf-8")
        done = run(
            [sys.executable, "-m", "endpoint_audit", "evaluate", str(bundle), "-b",
             str(baseline), "--lang", "ja", "-f", "json"], site,
        )  # fmt: skip
        (host,) = json.loads(done.stdout)["hosts"]
        got = [
            {"resource": f["resource"], "status": f["status"], "key": f["message_key"]}
            for f in host["findings"]
        ]
        assert got == [e.model_dump(mode="json") for e in case.expect]
        assert all("設定" in f["message"] for f in host["findings"])
        assert done.returncode == {"pass": 0, "fail": 1, "unknown": 3}[case.expect[0].status]
        if case.expect[0].status == "unknown":
            # The reason is a key of the plugin's own texts, said in the report's language.
            assert "`enabled` の行がありません" in host["findings"][0]["message"]
