"""Windows places (issue 19): the store, its backups and the logs live in %LOCALAPPDATA%, and a data
folder of an older version in Roaming %APPDATA% is moved there once, all or nothing.

Windows is imitated on Linux: ``paths.PLATFORM`` is what the folder is picked for, %LOCALAPPDATA% and
%APPDATA% are set to test folders, and tests/winfs.py makes a held file block a rename as Windows does.
Another disk (Roaming redirected to a server) is /dev/shm, a different file system from the tests' temp
folder: there a rename fails with EXDEV as across Windows volumes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fupin_desktop import fonts, paths
from fupin_desktop.forms.fontcheck import pdf_fonts
from fupin_desktop.forms.fonts import form_font
from fupin_desktop.forms.job import render_bytes
from fupin_desktop.store.backups import backup_folder
from fupin_desktop.store.lock import StoreLock
from fupin_desktop.store.store import Store
from fupin_desktop.settings import Settings

from ui.app import install_cjk_font

from .conftest import PASSWORD, ROOT, VILLAGE


@pytest.fixture
def windows(tmp_path, monkeypatch):
    """This process picks folders as on Windows, with its own Local and Roaming; returns (local, roaming)."""
    monkeypatch.delenv("FUPIN_DATA_DIR", raising=False)
    monkeypatch.delenv("FUPIN_STORE", raising=False)
    monkeypatch.setattr(paths, "PLATFORM", "win32")
    monkeypatch.setattr(paths, "_moved", None)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    return tmp_path / "Local" / "FupinDesktop", tmp_path / "Roaming" / "FupinDesktop"


def old_version_data(roaming: Path) -> Path:
    """What an older version left in Roaming: a store with a backup, a log and a settings file."""
    store, _code = Store.create(roaming / "store", village_code=VILLAGE, village_name="测试村", username="admin",
                                password=PASSWORD)
    store.close()
    (roaming / "store" / "backups").mkdir()
    (roaming / "store" / "backups" / "old.fupinbak").write_bytes(b"backup")
    (roaming / "logs").mkdir()
    (roaming / "logs" / "fupin.log").write_text("旧日志\n", "utf-8")
    (roaming / "settings").mkdir()
    (roaming / "settings" / "x.json").write_text("{}", "utf-8")
    return roaming / "store"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def opens(store_dir: Path) -> bool:
    store = Store.open(store_dir, "admin", PASSWORD)
    store.close()
    return True


def test_a_new_windows_user_gets_everything_in_local(windows):
    local, roaming = windows
    assert paths.move_roaming_data() is None
    assert paths.data_dir() == local
    assert paths.default_store_dir() == local / "store"
    assert paths.logs_dir() == local / "logs"
    assert paths.settings_dir() == local / "settings"
    assert backup_folder(paths.default_store_dir(), Settings()) == local / "store" / "backups"
    assert not roaming.exists()


def test_the_roaming_folder_of_an_older_version_is_moved_once(windows):
    local, roaming = windows
    old_version_data(roaming)
    before = files(roaming)
    assert paths.data_dir() == roaming  # not moved yet: the old folder is the one in use
    assert paths.move_roaming_data() == "data folder moved from Roaming to Local"
    assert not roaming.exists() and files(local) == before
    assert paths.data_dir() == local and opens(paths.default_store_dir())
    # Once: a later start finds Local and leaves a Roaming folder (made again by something else) alone.
    roaming.mkdir(parents=True)
    paths._moved = None
    assert paths.move_roaming_data() is None and paths.data_dir() == local


def test_a_held_file_leaves_the_data_in_roaming_working_until_a_later_start(windows, winfs):
    local, roaming = windows
    store_dir = old_version_data(roaming)
    before = files(roaming)
    with winfs.hold(roaming / "store" / "backups" / "old.fupinbak"):  # an antivirus scan that does not end
        outcome = paths.move_roaming_data()
    assert outcome is not None and "held" in outcome
    assert files(roaming) == before and not local.exists()
    assert paths.data_dir() == roaming and opens(store_dir)
    paths._moved = None  # the next start
    assert paths.move_roaming_data() == "data folder moved from Roaming to Local"
    assert files(local) == before and opens(local / "store")


def test_a_store_open_in_the_app_is_not_moved(windows):
    local, roaming = windows
    store_dir = old_version_data(roaming)
    lock = StoreLock.acquire(store_dir)  # an older version's window still open on it
    try:
        outcome = paths.move_roaming_data()
    finally:
        lock.release()
    assert outcome is not None and "open in the app" in outcome
    assert roaming.is_dir() and not local.exists() and paths.data_dir() == roaming


@pytest.fixture
def other_disk(windows, monkeypatch):
    """Local on another file system than Roaming (a redirected Roaming folder)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(windows[1].parent.parent).st_dev:
        pytest.skip("no second file system for a cross-disk move")
    base = Path(os.environ["APPDATA"]).parent.name
    local_base = shm / f"fupin-test-local-{base}-{os.getpid()}"
    monkeypatch.setenv("LOCALAPPDATA", str(local_base))
    yield local_base / "FupinDesktop", windows[1]
    subprocess.run(["rm", "-rf", str(local_base)], check=False)


def test_roaming_on_another_disk_is_copied_whole_then_removed(other_disk):
    local, roaming = other_disk
    old_version_data(roaming)
    before = files(roaming)
    assert paths.move_roaming_data() == "data folder copied from Roaming (another disk) to Local"
    assert files(local) == before and not roaming.exists()
    assert not local.with_name("FupinDesktop.moving").exists()
    assert paths.data_dir() == local and opens(local / "store")


def test_a_copy_that_fails_leaves_roaming_in_use_and_no_half_copy(other_disk, winfs):
    local, roaming = other_disk
    store_dir = old_version_data(roaming)
    before = files(roaming)
    # The finished copy cannot be put in place (something holds a file in it): nothing half-done stays.
    with winfs.hold(local.with_name("FupinDesktop.moving") / "logs" / "fupin.log"):
        outcome = paths.move_roaming_data()
    assert outcome is not None and "copying it failed" in outcome
    assert files(roaming) == before and not local.exists()
    assert paths.data_dir() == roaming and opens(store_dir)


def test_not_windows_or_a_set_data_folder_moves_nothing(windows, monkeypatch, tmp_path):
    local, roaming = windows
    old_version_data(roaming)
    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path / "portable"))
    assert paths.move_roaming_data() is None and paths.data_dir() == tmp_path / "portable"
    monkeypatch.delenv("FUPIN_DATA_DIR")
    monkeypatch.setattr(paths, "PLATFORM", "linux")
    assert paths.move_roaming_data() is None
    assert roaming.is_dir() and not local.exists()


START_AS_WINDOWS = """
import sys
from fupin_desktop import fonts, paths
from fupin_desktop.forms.fontcheck import pdf_fonts
from fupin_desktop.forms.fonts import form_font
from fupin_desktop.forms.job import render_bytes
paths.PLATFORM = "win32"
from fupin_desktop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_cli_start_moves_the_data_then_works_on_the_default_store(tmp_path):
    """The real start: the first command after an upgrade moves Roaming to Local before it logs anything."""
    roaming = tmp_path / "Roaming" / "FupinDesktop"
    old_version_data(roaming)
    env = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DATA_DIR", "FUPIN_STORE")}
    env.update(LOCALAPPDATA=str(tmp_path / "Local"), APPDATA=str(tmp_path / "Roaming"), FUPIN_PASSWORD=PASSWORD)
    run = subprocess.run([sys.executable, "-c", START_AS_WINDOWS, "stats"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "在册 0 户" in run.stdout
    local = tmp_path / "Local" / "FupinDesktop"
    assert not roaming.exists() and (local / "store" / "store.json").is_file()
    log = (local / "logs" / "fupin.log").read_text("utf-8")
    assert log.startswith("旧日志") and "data folder moved from Roaming to Local" in log


# ---- Windows fonts: %WINDIR%\Fonts and the per-user fonts folder ---------------------------------
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DROID = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
HANAMIN_A = Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf")


@pytest.fixture
def windows_fonts(tmp_path, monkeypatch):
    """A Windows folder not at C:\\Windows with SimSun, and Microsoft YaHei installed for this user only
    (real TrueType files, two different ones, under the Windows names); afterwards the forms' font is looked
    for again."""
    if not WQY.is_file() or not DROID.is_file():
        pytest.skip("needs fonts-wqy-microhei and fonts-droid-fallback")
    system = tmp_path / "D-Windows" / "Fonts"
    user = tmp_path / "Local" / "Microsoft" / "Windows" / "Fonts"
    system.mkdir(parents=True)
    user.mkdir(parents=True)
    shutil.copyfile(WQY, system / "simsun.ttc")
    shutil.copyfile(DROID, user / "msyh.ttf")
    monkeypatch.setenv("WINDIR", str(tmp_path / "D-Windows"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    monkeypatch.delenv("FUPIN_FONT", raising=False)
    yield system, user
    monkeypatch.undo()
    form_font(refresh=True)


def test_fonts_are_found_in_windir_and_in_the_per_user_folder(windows_fonts):
    system, user = windows_fonts
    assert fonts.windows_font_dirs() == [system, user]
    assert fonts.cjk_font_candidates()[0] == system / "simsun.ttc"  # forms: 宋体 first
    assert fonts.ui_font_candidates()[0] == user / "msyh.ttf"  # the UI: 微软雅黑 first, though only this user has it


def test_a_form_printed_with_the_windows_font_embeds_it(windows_fonts, new_store):
    system, _user = windows_fonts
    choice = form_font(refresh=True)
    assert choice.path == system / "simsun.ttc" and choice.embedded
    pdf, report = render_bytes("roster", new_store, blank=True)
    assert report.embedded and report.font == str(system / "simsun.ttc")
    assert [(f.name, f.embedded) for f in pdf_fonts(pdf)] == [("WenQuanYiMicroHei", True)]


def test_a_rare_character_font_installed_for_this_user_is_used(windows_fonts):
    if not HANAMIN_A.is_file():
        pytest.skip("needs fonts-hanazono")
    _system, user = windows_fonts
    shutil.copyfile(HANAMIN_A, user / "SimSun-ExtB.ttf")
    found = fonts.rare_font_candidates()
    assert user / "SimSun-ExtB.ttf" in found
    assert found.index(user / "SimSun-ExtB.ttf") < found.index(HANAMIN_A)  # Windows' own before other systems'


def test_no_windows_font_folders_elsewhere(monkeypatch):
    for name in ("WINDIR", "SystemRoot", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    assert fonts.windows_font_dirs() == []


def test_the_ui_takes_the_per_user_yahei(windows_fonts, qapp, monkeypatch):
    try:
        family = install_cjk_font(qapp)
        assert family == "Droid Sans Fallback" and qapp.font().family() == family  # not the forms' SimSun (wqy)
        windows_fonts[1].joinpath("msyh.ttf").unlink()
        assert install_cjk_font(qapp) == "WenQuanYi Micro Hei"  # without YaHei: SimSun, found in %WINDIR%
    finally:
        monkeypatch.delenv("WINDIR")
        monkeypatch.delenv("LOCALAPPDATA")
        install_cjk_font(qapp)  # back to what the other tests use
