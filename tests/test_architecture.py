"""The core stays Qt-free, the UI enters the core through one door, and the core keeps its layers
(import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fupin_desktop import __version__

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_linter_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("where", "line", "contract"), [
    ("fupin_desktop/_offender_for_test.py", "import PySide6", "The core never imports Qt or the UI BROKEN"),
    ("ui/_offender_for_test.py", "import sqlalchemy", "through the door (fupin_desktop.archive) BROKEN"),
    ("ui/_offender_for_test.py", "from fupin_desktop.store import engine",
     "through the door (fupin_desktop.archive) BROKEN"),
    ("fupin_desktop/model/_offender_for_test.py", "from fupin_desktop.services import uow",
     "layers, lowest last BROKEN"),
])
def test_each_contract_catches_its_offence(where, line, contract):
    """The contracts are not vacuous: one offending import breaks the contract that forbids it."""
    offender = ROOT / where
    offender.write_text(line + "  # noqa\n")
    try:
        result = lint_imports()
        assert result.returncode != 0
        assert contract in result.stdout, result.stdout
    finally:
        offender.unlink()


def test_importing_the_core_does_not_load_qt():
    code = "import sys, fupin_desktop.cli, fupin_desktop.services.households; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_version_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert __version__ == project["version"]
