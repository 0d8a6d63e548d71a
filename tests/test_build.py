"""The desktop build (the version equals pyproject.toml's: test_architecture), ``--version`` and ``--self-test`` work
from source, and the frozen one-folder build (PyInstaller, build.spec) starts, passes its self-test,
runs a CLI command and reaches the unlock screen, with every module and data file on board."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def run(cmd: list[str], data: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=data,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "FUPIN_DATA_DIR": str(data), **env})


def module_counts(output: str) -> list[str]:
    return re.findall(r"(\d+) 个(?:界面)?模块", output)


def test_version_and_self_test_from_source(tmp_path):
    version = run([sys.executable, str(ROOT / "main.py"), "--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"Fupin Desktop {VERSION}"
    test = run([sys.executable, str(ROOT / "main.py"), "--self-test"], tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "自检通过" in test.stdout and "\n× " not in test.stdout and test.stdout.count("√") >= 12
    assert "未加速" not in test.stdout  # rl_accel is a dependency: printing a third faster


def test_installed_packages_meet_pyproject():
    """What the tests run against is what pyproject.toml asks for (sqlcipher3 0.6.2 and later have Windows wheels)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    sqlcipher = next(r.specifier for r in requirements if r.name == "sqlcipher3")
    assert sqlcipher.contains("0.6.2") and not sqlcipher.contains("0.6.0")  # earlier: no win_amd64 wheel
    unmet = []
    for req in requirements:
        try:
            have = version(req.name)
        except PackageNotFoundError:
            have = None
        if have is None or not req.specifier.contains(have, prereleases=True):
            unmet.append(f"{req} (installed: {have})")
    assert not unmet, unmet


def test_windows_build_script_is_readable_by_windows():
    """scripts/build-windows.ps1 and .bat: the encodings and line ends Windows needs, and the names they use exist.

    Windows PowerShell 5.1 reads a .ps1 without a BOM as GBK (the Chinese messages garble); cmd.exe mis-reads a .bat
    with LF line ends; .gitattributes keeps the CRLF through a checkout on Linux."""
    ps1 = (ROOT / "scripts" / "build-windows.ps1").read_bytes()
    bat = (ROOT / "scripts" / "build-windows.bat").read_bytes()
    assert ps1.startswith(b"\xef\xbb\xbf")
    text = ps1[3:].decode("utf-8")
    assert "请" in text or "需要" in text  # Chinese messages, which is why the BOM matters
    bat.decode("ascii")
    assert b"\n" not in bat.replace(b"\r\n", b"") and b"build-windows.ps1" in bat
    for name in ("build-windows.bat", "build-windows.ps1"):
        attr = subprocess.run(["git", "check-attr", "eol", f"scripts/{name}"], cwd=ROOT, capture_output=True,
                              text=True)
        assert attr.stdout.strip().endswith("eol: crlf"), attr.stdout + attr.stderr
    # It packs with the spec the Linux build test uses, and checks the console twin that spec makes on Windows.
    assert "build.spec" in text and (ROOT / "build.spec").is_file()
    spec = (ROOT / "build.spec").read_text("utf-8")
    assert 'name="FupinDesktop"' in spec and 'name="fupin"' in spec
    assert "'FupinDesktop.exe', 'fupin.exe'" in text and "'fupin.exe') --self-test" in text
    # Native arguments lose their double quotes in Windows PowerShell 5.1: the Python code passed with -c has none.
    check = re.search(r"\$Check = '([^']*)'", text)
    assert check and '"' not in check[1]
    compile(check[1], "check", "exec")


@pytest.fixture(scope="module")
def frozen():
    """Build once for the module (about a minute on two cores), into a folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fupin-build-") as tmp:
        tmp = Path(tmp)
        build = subprocess.run([sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm",
                                "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "work")],
                               cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert build.returncode == 0, build.stderr[-3000:]
        exe = tmp / "dist" / "FupinDesktop" / ("FupinDesktop.exe" if os.name == "nt" else "FupinDesktop")
        assert exe.is_file()
        (tmp / "data").mkdir()
        yield exe, tmp / "data"


@pytest.mark.slow
def test_frozen_build_passes_its_self_test(frozen, tmp_path):
    exe, data = frozen
    program = exe.with_name("fupin.exe") if os.name == "nt" else exe  # Windows: the console twin
    version = run([str(program), "--version"], data)
    assert version.returncode == 0 and version.stdout.strip() == f"Fupin Desktop {VERSION}"
    test = run([str(program), "--self-test"], data)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "自检通过" in test.stdout and "\n× " not in test.stdout
    assert "√ 程序图标" in test.stdout and "√ 表格嵌入的字体" in test.stdout  # the .ico and the fonts came along
    assert "未加速" not in test.stdout  # ReportLab's C speed-ups came along (imported by name from a string)
    # The same number of modules as from source: the build did not silently miss one.
    source = run([sys.executable, str(ROOT / "main.py"), "--self-test"], tmp_path)
    assert module_counts(test.stdout) == module_counts(source.stdout) != []


@pytest.mark.slow
def test_frozen_build_has_every_data_file(frozen):
    exe, _data = frozen
    bundled = exe.parent / "_internal"
    for folder in ("resources", "migrations"):
        want = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
        have = {p.relative_to(bundled / folder) for p in (bundled / folder).rglob("*") if p.is_file()}
        assert want <= have, f"missing from the build: {sorted(want - have)[:5]}"


@pytest.mark.slow
def test_frozen_build_runs_commands_and_reaches_the_unlock_screen(frozen):
    exe, data = frozen
    store = data / "store"
    shutil.rmtree(store, ignore_errors=True)
    env = {"FUPIN_PASSWORD": PASSWORD, "FUPIN_KDF_MEMORY_KIB": "8192", "FUPIN_KDF_ITERATIONS": "1"}
    made = run([str(exe), "demo", "--store", str(store), "--households", "5"], data, **env)
    assert made.returncode == 0, made.stderr
    found = run([str(exe), "stats", "--store", str(store)], data, **env)
    assert found.returncode == 0 and "在册 5 户" in found.stdout
    refused = run([str(exe), "stats", "--store", str(data / "nowhere")], data, **env)
    assert refused.returncode == 3 and "没有数据库" in refused.stderr
    start = run([str(exe), "--store", str(store), "--measure-startup"], data, timeout=60)
    assert start.returncode == 0 and re.search(r"startup-ms \d+", start.stdout), start.stdout + start.stderr
    assert list((data / "logs").glob("fupin.log*")), "the frozen program wrote no log"
