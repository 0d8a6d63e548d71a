"""Opening a household editor, phase by phase in CPU time (issue 14, item 8): the snapshot on the
database worker, building the window, showing the snapshot; and the wall time of the whole open.
Run from two checkouts on one store to compare them on a loaded machine.

    .venv/bin/python -m bench.editor_cpu_bench STORE_DIR [--password PW]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bench.steps import wait_until

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from fupin_desktop.archive import Archive
    from fupin_desktop.queries.search import SearchQuery, search_households
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.store.store import Store
    from ui.app import install_cjk_font
    from ui.editor import HouseholdEditor
    from ui.operations import hub
    from ui.qt import QApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--password", default="bench-password-1")
    args = parser.parse_args()
    app = QApplication([])
    install_cjk_font(app)
    store = Store.open(Path(args.store), "admin", args.password)
    archive = Archive(store)
    with store.engine.connect() as conn:
        sample = search_households(conn, SearchQuery())[::1000][:20]
        year = current_year(conn)

    def wait(condition, timeout: float = 60.0) -> None:
        wait_until(app, condition, timeout)

    snapshot, build, shown, wall = [], [], [], []
    for household_id in sample:
        cpu = time.thread_time()
        archive.editor_snapshot(household_id, year, frozenset())
        snapshot.append(time.thread_time() - cpu)
    original = HouseholdEditor.loaded_snapshot

    def timed(self, snap) -> None:
        cpu = time.thread_time()
        original(self, snap)
        shown.append(time.thread_time() - cpu)

    HouseholdEditor.loaded_snapshot = timed
    for household_id in sample:
        started, cpu = time.perf_counter(), time.thread_time()
        editor = HouseholdEditor(archive, household_id, year=year)
        editor.show()
        build.append(time.thread_time() - cpu)
        wait(lambda: editor.loaded and hub().tasks.pending == 0)
        wall.append(time.perf_counter() - started)
        editor.close()
        editor.deleteLater()
        app.processEvents()
    for name, values in (("snapshot on the worker, CPU", snapshot), ("building the window, CPU", build),
                         ("showing the snapshot, CPU", shown), ("open to loaded, wall", wall)):
        print(f"{name}: median {1000 * statistics.median(values):.0f} ms, max {1000 * max(values):.0f} ms")
    store.close()
    hub().tasks.shutdown()


if __name__ == "__main__":
    main()
