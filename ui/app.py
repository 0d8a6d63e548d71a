"""Start-up: fonts, then the set-up wizard (first run) or the unlock screen, then the main window.

Locking (button, idle time, or the OS session locking) closes the store — which drops the key and
the engine — and shows the unlock screen again.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fupin_desktop.fonts import rare_font_candidates, ui_font_candidates, use_font_file
from fupin_desktop.logs import setup_logging
from fupin_desktop.paths import default_store_dir, resources_dir
from fupin_desktop.settings import Settings, for_store, save_settings

from . import guards, screen
from .operations import Op, hub
from .qt import (
    QAbstractNativeEventFilter, QApplication, QEvent, QFont, QFontDatabase, QIcon, QLibraryInfo, QObject, QSettings,
    QTimer, QTranslator,
)

if TYPE_CHECKING:  # loaded on the worker while the first screen shows (see warm_up)
    from fupin_desktop.archive import Archive, StoreLock

# Screens and dialogs are imported when first shown (the late imports marked noqa: PLC0415): the
# unlock screen appears before SQLAlchemy, the store and the main window load (bench/build_bench.py
# measures it); Windows- and D-Bus-only modules load only where they exist.
log = logging.getLogger(__name__)


def install_cjk_font(app: QApplication) -> str:
    """Use a Chinese font for the whole UI, loaded from a file if the system has none configured,
    with the rare-character fonts behind it (see ``install_rare_fonts``)."""
    family = next((f for path in ui_font_candidates() if (f := install_font_file(app, path))), None)
    if family is None:
        log.warning("no CJK font file found; relying on the system's font fallback")
        family = app.font().family()
    if rare := install_rare_fonts():
        font = app.font()
        font.setFamilies([family, *rare])
        app.setFont(font)
    return family


def install_rare_fonts() -> list[str]:
    """The families of the fonts for characters the main font lacks (HanaMin A for CJK Extension A,
    HanaMin B for Extension B and beyond, SimSun-ExtB…): the same chain the printed forms draw
    with (forms/chain.py), so 王䶮 and 李𠀾喆 show whole in the list, the editor and the preview,
    on a Windows laptop too where no system fallback has them."""
    families: list[str] = []
    for path in rare_font_candidates():
        font_id = QFontDatabase.addApplicationFont(str(path))
        for family in QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []:
            if family not in families:
                families.append(family)
    return families


def install_font_file(app: QApplication, path: Path, points: int = 0) -> str | None:
    """The UI's font from one file; its family, or None when Qt cannot load it."""
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        set_ui_font(app, families[0], points)
        return families[0]
    return None


def set_ui_font(app: QApplication, family: str | None = None, points: int = 0) -> None:
    """The UI font's family and size: the size the system gives its own UI text (a laptop at 125 %
    or a larger Windows text size shows larger text) unless the user set one in 设置."""
    font = QFont(app.font())
    if family:
        font.setFamily(family)
    system = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).pointSizeF()
    font.setPointSizeF(float(points) if points else (system if system > 0 else 9.0))
    app.setFont(font)


ICON = "icons/fupin.ico"  # made by scripts/make_icon.py; the .exe carries the same file (build.spec)
# Windows groups taskbar buttons by this ID and takes their icon from the window: without it a run
# from source shows as python.exe with Python's icon.
APP_USER_MODEL_ID = "FupinDesktop.FupinDesktop"


def install_icon(app: QApplication) -> QIcon:
    """The program's icon on every window (title bar, taskbar, Alt+Tab), all sizes from the one .ico."""
    if sys.platform == "win32":
        import ctypes  # noqa: PLC0415

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_USER_MODEL_ID)
    icon = QIcon(str(resources_dir() / ICON))
    if icon.isNull():
        log.warning("program icon not found or unreadable")
    app.setWindowIcon(icon)
    return icon


def install_qt_translation(app: QApplication) -> None:
    """Qt's own words (OK, Cancel, Show Details…, the file dialogs) in Chinese; the build ships
    qtbase_zh_CN.qm (build.spec keeps it)."""
    translator = QTranslator(app)
    if translator.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(translator)
        app._qt_translator = translator  # kept alive with the app
    else:
        log.info("Qt's Chinese translation not found")


def warm_up() -> None:
    """Import the store and the queries on the worker while the person types the password: the
    unlock screen appears without waiting for SQLAlchemy, and unlocking does not wait for it either."""
    import fupin_desktop.archive  # noqa: F401,PLC0415


class IdleWatcher(QObject):
    """Locks after a stretch without keyboard or mouse input."""

    INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, minutes: float, on_idle) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.set_minutes(minutes)
        self.timer.timeout.connect(on_idle)

    def set_minutes(self, minutes: float) -> None:
        self.timer.setInterval(int(minutes * 60_000))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() in self.INPUT and self.timer.isActive():
            self.timer.start()
        return False


class WindowsSessionLock(QAbstractNativeEventFilter):
    """Locks when Windows locks the session (Win+L, lid closed): WM_WTSSESSION_CHANGE / WTS_SESSION_LOCK."""

    WM_WTSSESSION_CHANGE = 0x02B1
    WTS_SESSION_LOCK = 0x7

    def __init__(self, on_lock) -> None:
        super().__init__()
        self.on_lock = on_lock

    def register(self, window) -> None:
        import ctypes  # noqa: PLC0415

        ctypes.windll.wtsapi32.WTSRegisterSessionNotification(int(window.winId()), 0)  # NOTIFY_FOR_THIS_SESSION

    def nativeEventFilter(self, event_type, message):  # noqa: N802 (Qt API)
        if bytes(event_type) == b"windows_generic_MSG":
            from ctypes import wintypes  # noqa: PLC0415

            msg = wintypes.MSG.from_address(int(message))
            if msg.message == self.WM_WTSSESSION_CHANGE and msg.wParam == self.WTS_SESSION_LOCK:
                QTimer.singleShot(0, self.on_lock)
        return False, 0


class FupinApp:
    def __init__(self, app: QApplication, store_path: Path) -> None:
        self.app = app
        self.store_path = store_path
        self.settings = QSettings("FupinDesktop", "FupinDesktop")  # window layout and last choices only
        self.prefs = Settings()  # the user's settings, read on unlock (fupin_desktop.settings)
        self.archive: Archive | None = None
        self.store_lock: StoreLock | None = None  # this copy of the app holds the store (one copy per store)
        self.refusal = None  # the box that says another copy has the store
        self.window = None
        self.county_window = None  # the county workspace, in the county role
        self.unlock_dialog = None
        self.idle = IdleWatcher(self.prefs.autolock_minutes, self.lock)
        app.installEventFilter(self.idle)
        guards.install(app)
        screen.install(app)
        self._watch_session_lock()

    def start(self) -> None:
        if self.settings.value("role") == "county" and self.settings.value("county/db_url"):
            self.show_county_unlock()
        elif (self.store_path / "store.json").exists():
            if self.take_store():
                self.show_unlock()
        else:
            from .setup_wizard import SetupWizard  # noqa: PLC0415

            self.wizard = SetupWizard(self.store_path, on_created=self.unlocked, on_county=self.county_opened)
            self.wizard.show()

    def take_store(self) -> bool:
        """Hold the store for this copy; a second copy says who has it and ends when the box closes."""
        from fupin_desktop.archive import StoreInUseError, lock_store  # noqa: PLC0415

        if self.store_lock is not None:
            return True
        try:
            self.store_lock = lock_store(self.store_path)
            return True
        except StoreInUseError as err:
            from .messages import inform  # noqa: PLC0415

            log.info("second copy on the same store refused")
            self.refusal = inform(None, err.message, err.hint, title="扶贫档案已经打开")
            self.refusal.finished.connect(lambda _r: QApplication.quit())
            return False

    def release_store(self) -> None:
        if self.store_lock is not None:
            self.store_lock.release()
            self.store_lock = None

    # ---- the county role -----------------------------------------------------------------------
    def show_county_unlock(self) -> None:
        from .county.unlock import CountyUnlockDialog  # noqa: PLC0415

        self.unlock_dialog = CountyUnlockDialog(str(self.settings.value("county/db_url")),
                                                on_unlocked=self.county_opened)
        self.unlock_dialog.show()

    def county_opened(self, engine, keys, db_url: str) -> None:
        from .county.window import CountyContext, CountyWindow  # noqa: PLC0415

        # The address is remembered (never the passphrase): later starts ask only for the passphrase.
        self.settings.setValue("role", "county")
        self.settings.setValue("county/db_url", db_url)
        self.settings.sync()
        self.county_window = CountyWindow(CountyContext(engine, keys, self.settings, db_url), on_lock=self.lock)
        self.county_window.show()
        self.idle.timer.start()

    def lock_county(self) -> None:
        window, self.county_window = self.county_window, None
        self.idle.timer.stop()
        window.close()
        hub().tasks.submit(window.ctx.engine.dispose, lambda _r: None, lambda _e: None)  # after queued work
        self.show_county_unlock()

    def show_unlock(self) -> None:
        from .unlock import UnlockDialog  # noqa: PLC0415

        self.unlock_dialog = UnlockDialog(self.store_path, self.settings, on_unlocked=self.unlocked)
        self.unlock_dialog.show()
        hub().tasks.submit(warm_up, lambda _r: None, lambda _e: None)

    def unlocked(self, archive: Archive) -> None:
        from .main_window import MainWindow  # noqa: PLC0415

        from . import maintenance  # noqa: PLC0415

        self.archive = archive
        self.take_store()  # a store the wizard has just made
        self.prefs = for_store(archive.store)
        self.apply_settings()
        self.window = MainWindow(archive, settings=self.settings, on_lock=self.lock)
        maintenance.install(self.window, self)
        self.window.show()
        if self.windows_lock is not None:
            self.windows_lock.register(self.window)
        self.idle.timer.start()
        maintenance.start_daily_backup(self.window, self)
        self.window.offer_waiting_drafts()
        log.info("unlocked")

    # ---- settings and restoring ----------------------------------------------------------------
    def apply_settings(self) -> None:
        self.idle.set_minutes(self.prefs.autolock_minutes)
        use_font_file(self.prefs.font_path or None)  # first choice for printed forms
        if self.prefs.font_path and not install_font_file(self.app, Path(self.prefs.font_path),
                                                          self.prefs.ui_font_points):
            log.warning("the configured font file could not be loaded")
        if not self.prefs.font_path:
            set_ui_font(self.app, points=self.prefs.ui_font_points)

    def edit_settings(self) -> None:
        from .settings_dialog import SettingsDialog  # noqa: PLC0415

        def saved(prefs: Settings) -> None:
            archive = self.archive
            if archive is None:
                return
            save_settings(prefs, archive.store.store_id, archive.store.username)
            font_changed = prefs.font_path != self.prefs.font_path
            self.prefs = prefs
            self.apply_settings()
            if font_changed:
                from fupin_desktop.forms.fonts import form_font  # noqa: PLC0415 (loads ReportLab)

                Op(self.window, lambda: form_font(refresh=True)).run()
            if self.idle.timer.isActive():
                self.idle.timer.start()
            if self.window is not None:
                from . import maintenance  # noqa: PLC0415

                maintenance.refresh_backup_state(self.window, self)
            log.info("settings saved")

        self.settings_dialog = SettingsDialog(self.prefs, saved, self.window)
        self.settings_dialog.open()

    def restore_from(self, backup: Path) -> None:
        """Lock, then put the store folder back to ``backup`` (the current one is kept beside it)."""
        from fupin_desktop.archive import restore_backup  # noqa: PLC0415

        path = self.store_path
        self.lock()  # drafts written, store closed on the worker before the next task runs

        def done(safety: Path) -> None:
            from .maintenance import tell  # noqa: PLC0415

            tell(self.unlock_dialog, "已恢复",
                 f"已从备份恢复数据库。原来的数据库完整保留在：\n{safety}\n\n请用备份时的密码解锁。", "restoredBox")

        def work() -> Path:
            # The folder is renamed: Windows refuses that while this copy holds a file in it open.
            self.release_store()
            try:
                return restore_backup(path, backup)
            finally:
                self.take_store()

        Op(self.unlock_dialog, work).success(done).run()

    def lock(self) -> None:
        if self.county_window is not None:
            self.lock_county()
            return
        if self.archive is None:
            return
        self.idle.timer.stop()
        if self.window is not None:
            self.window.save_drafts_and_close()
            self.window = None
        archive, self.archive = self.archive, None
        hub().tasks.submit(archive.close, lambda _r: None, lambda _e: None)  # after queued work
        self.show_unlock()

    def _watch_session_lock(self) -> None:
        """Lock when the desktop session locks: Windows session notifications, or the freedesktop
        ScreenSaver signal over D-Bus on Linux desktops."""
        self.windows_lock: WindowsSessionLock | None = None
        if sys.platform == "win32":
            self.windows_lock = WindowsSessionLock(self.lock)
            self.app.installNativeEventFilter(self.windows_lock)
            return
        try:
            from PySide6.QtDBus import QDBusConnection  # noqa: PLC0415

            bus = QDBusConnection.sessionBus()
            if bus.isConnected():
                bus.connect("", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged",
                            self._screensaver_changed)
        except Exception:  # noqa: BLE001 - optional integration
            log.info("session lock notifications unavailable")

    def _screensaver_changed(self, active: bool) -> None:
        if active:
            self.lock()


def measure_startup(fupin: FupinApp, started: float) -> None:
    """``--measure-startup``: once the first screen (unlock, or the wizard) has been drawn, print the
    time since ``main`` began and quit (bench/build_bench.py reads the line)."""
    def check() -> None:
        shown = fupin.unlock_dialog or getattr(fupin, "wizard", None)
        if shown is not None and shown.isVisible():
            shown.repaint()
            print(f"startup-ms {1000 * (time.perf_counter() - started):.0f}", flush=True)
            QApplication.quit()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    setup_logging()  # first: on Windows it moves an older version's data folder, which decides the default store
    parser = argparse.ArgumentParser(prog="fupin-desktop")
    parser.add_argument("--store", default=str(default_store_dir()))
    parser.add_argument("--measure-startup", action="store_true", help=argparse.SUPPRESS)
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    log.info("desktop app starting")
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("扶贫档案")
    install_icon(app)
    from .crash import CrashHandler, route_qt_messages  # noqa: PLC0415

    crash = CrashHandler().install()
    route_qt_messages()
    install_qt_translation(app)
    install_cjk_font(app)
    fupin = FupinApp(app, Path(args.store))
    fupin.start()
    if args.measure_startup:
        measure_startup(fupin, started)
    code = app.exec()
    crash.uninstall()
    if fupin.archive is not None:
        fupin.archive.close()
    fupin.release_store()
    if fupin.county_window is not None:
        fupin.county_window.ctx.engine.dispose()
    hub().tasks.shutdown()
    return code
