"""The core stays Qt-free (DESIGN: fupin_desktop never imports PySide6 or ui)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from fupin_desktop import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contract_is_kept(tmp_path):
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_contract_would_catch_a_qt_import(tmp_path):
    """The contract is not vacuous: a core module importing PySide6 breaks it."""
    offender = ROOT / "fupin_desktop" / "_qt_offender_for_test.py"
    offender.write_text("import PySide6  # noqa\n")
    try:
        lint = Path(sys.executable).with_name("lint-imports")
        result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert "BROKEN" in result.stdout
    finally:
        offender.unlink()


def test_importing_the_core_does_not_load_qt():
    code = "import sys, fupin_desktop.cli, fupin_desktop.services.households; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_version_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert __version__ == project["version"]
