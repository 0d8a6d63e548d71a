"""Screenshots of the housekeeping dialogs (settings, restore, the error dialog, the backup state in
the status bar) on a small demo store, into docs/screenshots/.

    .venv/bin/python scripts/ops_screenshots.py     (starts Xvfb itself when there is no display)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"

if not os.environ.get("DISPLAY") and not os.environ.get("FUPIN_SCREENSHOT_CHILD"):
    os.environ["FUPIN_SCREENSHOT_CHILD"] = "1"
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24", sys.executable, __file__]))

sys.path.insert(0, str(ROOT))
os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")  # cheap KDF (store/kdf.py)
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")

from fupin_desktop.archive import Archive  # noqa: E402
from fupin_desktop.demo import fill_store  # noqa: E402
from fupin_desktop.store.backups import auto_backup  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402
from ui import maintenance  # noqa: E402
from ui.app import FupinApp, install_cjk_font, install_qt_translation  # noqa: E402
from ui.errors import show_exception  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.qt import QApplication, QSettings  # noqa: E402


def settle(app: QApplication) -> None:
    for _ in range(200):
        app.processEvents()
        if hub().tasks.pending == 0:
            break
        hub().tasks.wait(10)
    app.processEvents()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FUPIN_DATA_DIR"] = tmp
        app = QApplication([sys.argv[0]])
        install_qt_translation(app)
        install_cjk_font(app)
        store, _ = Store.create(Path(tmp) / "store", village_code="520102003004", village_name="示范村",
                                username="admin", password="demo-password")
        fill_store(store, 30, seed=3)
        for days in (12, 11, 10):
            auto_backup(store, "daily", now=datetime.now() - timedelta(days=days))
        auto_backup(store, "import", now=datetime.now() - timedelta(days=10, hours=2))
        fupin = FupinApp(app, store.path)
        fupin.settings = QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat)
        fupin.prefs.backup_warn_days = 7
        maintenance.start_daily_backup = lambda *a: None  # as before the day's backup lands
        fupin.unlocked(Archive(store))
        settle(app)
        fupin.window.grab().save(str(OUT / "backup-warning.png"))
        fupin.edit_settings()
        settle(app)
        fupin.settings_dialog.grab().save(str(OUT / "settings-dialog.png"))
        fupin.settings_dialog.close()
        restore = maintenance.RestoreDialog(fupin.window, fupin)
        restore.show()
        settle(app)
        restore.grab().save(str(OUT / "restore-dialog.png"))
        restore.close()
        try:
            raise RuntimeError("demo")
        except RuntimeError as err:
            show_exception(fupin.window, err)
        settle(app)
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox")
        box.grab().save(str(OUT / "error-dialog.png"))
        box.close()
        fupin.window.close()
        store.close()
        hub().tasks.shutdown()


if __name__ == "__main__":
    main()
