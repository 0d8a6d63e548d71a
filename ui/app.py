"""Start-up: fonts, then the set-up wizard (first run) or the unlock screen, then the main window.

Locking (button, idle time, or the OS session locking) closes the store — which drops the key and
the engine — and shows the unlock screen again.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fupin_desktop.fonts import cjk_font_candidates
from fupin_desktop.paths import default_store_dir
from fupin_desktop.store.store import Store

from .operations import hub
from .qt import QAbstractNativeEventFilter, QApplication, QEvent, QFont, QFontDatabase, QObject, QSettings, QTimer

log = logging.getLogger(__name__)
DEFAULT_AUTOLOCK_MINUTES = 5


def install_cjk_font(app: QApplication) -> str:
    """Use a Chinese font for the whole UI, loaded from a file if the system has none configured."""
    for path in cjk_font_candidates():
        font_id = QFontDatabase.addApplicationFont(str(path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families:
            font = QFont(families[0], 11)
            app.setFont(font)
            return families[0]
    log.warning("no CJK font file found; relying on the system's font fallback")
    return app.font().family()


class IdleWatcher(QObject):
    """Locks after a stretch without keyboard or mouse input."""

    INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, minutes: float, on_idle) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(minutes * 60_000))
        self.timer.timeout.connect(on_idle)

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
        self.settings = QSettings("FupinDesktop", "FupinDesktop")
        self.store: Store | None = None
        self.window = None
        self.county_window = None  # the county workspace, in the county role
        self.unlock_dialog = None
        minutes = float(self.settings.value("autolock_minutes", DEFAULT_AUTOLOCK_MINUTES))
        self.idle = IdleWatcher(minutes, self.lock)
        app.installEventFilter(self.idle)
        self._watch_session_lock()

    def start(self) -> None:
        if self.settings.value("role") == "county" and self.settings.value("county/db_url"):
            self.show_county_unlock()
        elif (self.store_path / "store.json").exists():
            self.show_unlock()
        else:
            from .setup_wizard import SetupWizard  # noqa: PLC0415

            self.wizard = SetupWizard(self.store_path, on_created=self.unlocked, on_county=self.county_opened)
            self.wizard.show()

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

    def unlocked(self, store: Store) -> None:
        from .main_window import MainWindow  # noqa: PLC0415

        self.store = store
        self.window = MainWindow(store, settings=self.settings, on_lock=self.lock)
        self.window.show()
        if self.windows_lock is not None:
            self.windows_lock.register(self.window)
        self.idle.timer.start()

    def lock(self) -> None:
        if self.county_window is not None:
            self.lock_county()
            return
        if self.store is None:
            return
        self.idle.timer.stop()
        if self.window is not None:
            self.window.save_drafts_and_close()
            self.window = None
        store, self.store = self.store, None
        hub().tasks.submit(store.close, lambda _r: None, lambda _e: None)  # after queued work
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fupin-desktop")
    parser.add_argument("--store", default=str(default_store_dir()))
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.INFO)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("扶贫档案")
    install_cjk_font(app)
    fupin = FupinApp(app, Path(args.store))
    fupin.start()
    code = app.exec()
    if fupin.store is not None:
        fupin.store.close()
    if fupin.county_window is not None:
        fupin.county_window.ctx.engine.dispose()
    hub().tasks.shutdown()
    return code
