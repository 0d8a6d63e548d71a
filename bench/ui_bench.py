"""Desktop app benchmark with a township store (issue 3): unlock to a usable main window, keystroke
to updated table, opening and saving a household editor, and the app's peak memory.

    .venv/bin/python -m bench.ui_bench [--households 20000] [--store DIR]

Without --store it builds a demo store (about 2 minutes for 20,000 households). Runs offscreen.
The store uses the product's KDF cost; the KDF itself is excluded from the unlock timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.steps import wait_until

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PASSWORD = "bench-password-1"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--store")
    parser.add_argument("--password", default=PASSWORD)
    args = parser.parse_args()
    for var in ("FUPIN_KDF_MEMORY_KIB", "FUPIN_KDF_ITERATIONS"):
        os.environ.pop(var, None)

    from fupin_desktop.demo import fill_store
    from fupin_desktop.services.checks import mark_store
    from fupin_desktop.store.store import Store

    tmp = None
    if args.store:
        path = Path(args.store)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="fupin-ui-bench-"))
        path = tmp / "store"
        store, _ = Store.create(path, village_code="520102003004", village_name="大镇", username="admin",
                                password=PASSWORD)
        with store:
            fill_store(store, args.households)
            mark_store(store)
    try:
        print(json.dumps(measure(path, args.password), indent=1))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(path: Path, password: str) -> dict:
    from fupin_desktop.queries.search import SearchQuery, search_households
    from fupin_desktop.store.store import Store
    from fupin_desktop.archive import Archive
    from ui.app import install_cjk_font
    from ui.editor import HouseholdEditor
    from ui.main_window import MainWindow
    from ui.operations import hub
    from ui.qt import QApplication, QLineEdit, QSettings, Qt
    from PySide6.QtTest import QTest

    app = QApplication([])
    install_cjk_font(app)
    settings = QSettings(str(path.parent / "bench-settings.ini"), QSettings.Format.IniFormat)

    def wait(condition, timeout: float = 30.0) -> None:
        wait_until(app, condition, timeout)

    key = Store.keyring_for(path).unlock_password("admin", password)  # the KDF, not timed
    started = time.perf_counter()
    store = Store._open_with_key(path, Store.keyring_for(path), key, "admin", allow_rollback=False)
    window = MainWindow(Archive(store), settings=settings, on_lock=lambda: None)
    window.show()
    wait(lambda: window.model.rowCount() > 0 and hub().tasks.pending == 0)
    window.table.viewport().repaint()
    unlock_s = time.perf_counter() - started
    total = window.model.rowCount()

    with store.engine.connect() as conn:
        sample = search_households(conn, SearchQuery())[::max(1, total // 25)][:20]
        names = [r[0] for r in conn.exec_driver_sql("SELECT name_initials FROM member LIMIT 400").all() if r[0]]
    keystrokes = []
    for initials in names[::20]:
        window.search.clear()
        wait(lambda: window.query.text == "" and hub().tasks.pending == 0)
        for i in range(1, min(len(initials), 3) + 1):
            before = window.model.ids
            started = time.perf_counter()
            QTest.keyClick(window.search, initials[i - 1])
            wait(lambda: window.query.text == initials[:i] and hub().tasks.pending == 0
                 and window.model.ids is not before)
            window.table.viewport().repaint()
            keystrokes.append(time.perf_counter() - started)

    window.search.clear()
    wait(lambda: hub().tasks.pending == 0)
    started = time.perf_counter()
    for row in range(0, window.model.rowCount(), 500):
        window.table.scrollTo(window.model.index(row, 0))
        window.table.viewport().repaint()
    window.table.scrollToBottom()
    window.table.viewport().repaint()
    scroll_s = time.perf_counter() - started

    opens, saves = [], []
    for n, household_id in enumerate(sample):
        started = time.perf_counter()
        editor = HouseholdEditor(window.archive, household_id, year=window.year, settings=settings)
        editor.show()
        wait(lambda: editor.loaded and hub().tasks.pending == 0)
        opens.append(time.perf_counter() - started)
        phone = editor.findChild(QLineEdit, "phone")
        phone.setText(f"139{n:08d}")
        done: list[float] = []
        editor.saved.connect(lambda _id: done.append(time.perf_counter()))
        started = time.perf_counter()
        QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: bool(done))  # committed (validation marks included); the editor then reloads
        saves.append(done[0] - started)
        wait(lambda: not editor.is_dirty() and hub().tasks.pending == 0)
        editor.close()
        editor.deleteLater()
        app.processEvents()

    result = {
        "households": total,
        "unlock_to_usable_window_s": unlock_s,
        "keystroke_to_table_p95_ms": 1000 * p95(keystrokes), "keystroke_to_table_p50_ms":
            1000 * statistics.median(keystrokes), "keystrokes": len(keystrokes),
        "scroll_whole_list_s": scroll_s,
        "open_editor_p95_ms": 1000 * p95(opens), "open_editor_p50_ms": 1000 * statistics.median(opens),
        "save_household_p95_ms": 1000 * p95(saves), "save_household_p50_ms": 1000 * statistics.median(saves),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    window.close()
    store.close()
    hub().tasks.shutdown()
    return result


if __name__ == "__main__":
    main()
