"""Screenshots of sync in the real app, on a virtual screen: the county workspace's import report,
conflicts and figures, and a village laptop's sync status and household list with its 同步 column.
Saved into docs/screenshots/.

    .venv/bin/python scripts/sync_screenshots.py        (starts Xvfb itself when there is no display)

Two village laptops (demo data) and a county database in a temporary folder: laptop 1's second
package is imported, its third is "lost" so its fourth is held; laptop 2 edited the same phone
numbers as laptop 1 (three conflicts); a damaged file is refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-password"
PASSPHRASE = "county-demo-passphrase"
VILLAGE = "520102003004"

if not os.environ.get("DISPLAY") and not os.environ.get("FUPIN_SCREENSHOT_CHILD"):
    os.environ["FUPIN_SCREENSHOT_CHILD"] = "1"
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24", sys.executable, __file__]))

os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")  # cheap KDF (store/kdf.py)
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")  # demo stores: the KDF cost is not what is shown
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from fupin_desktop.archive import Archive  # noqa: E402
from fupin_desktop.county.acks import write_acks  # noqa: E402
from fupin_desktop.county.db import open_county_db  # noqa: E402
from fupin_desktop.county.devices import issue_enrollment  # noqa: E402
from fupin_desktop.county.importer import import_file  # noqa: E402
from fupin_desktop.county.keys import init_county  # noqa: E402
from fupin_desktop.demo import fill_store  # noqa: E402
from fupin_desktop.queries.search import SearchQuery, search_households  # noqa: E402
from fupin_desktop.services.households import update_household  # noqa: E402
from fupin_desktop.services.replay import apply_entries  # noqa: E402
from fupin_desktop.services.households import unit_of_work  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402
from fupin_desktop.sync.device import enroll, export_to_folder  # noqa: E402
from fupin_desktop.sync.receipts import apply_ack  # noqa: E402
from ui.app import install_cjk_font  # noqa: E402
from ui.county.window import CountyContext, CountyWindow  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.qt import QApplication, QSettings  # noqa: E402
from ui.sync.status_dialog import SyncStatusDialog  # noqa: E402


def device(tmp: Path, name: str, engine, keys) -> Store:
    store, _ = Store.create(tmp / name, village_code=VILLAGE, village_name="示范村", username="admin",
                            password=PASSWORD)
    issue_enrollment(engine, keys, village_code=VILLAGE, label=name, out=tmp / f"{name}.fupinenroll",
                     server_url="https://fupin.example-county.gov.cn")
    enroll(store, tmp / f"{name}.fupinenroll")
    return store


def edit(store: Store, household_id: str, **changes) -> None:
    with unit_of_work(store) as uow:
        update_household(uow, household_id, changes)


def copy_records(source: Store, target: Store) -> None:
    """The second laptop was set up from the first one's data (not logged as its own changes)."""
    with source.engine.connect() as conn:
        rows = conn.execute(text("SELECT entity, entity_id, op, fields FROM change_log ORDER BY seq")).mappings().all()
    with target.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        apply_entries(conn, rows)


def scene(tmp: Path):
    engine = open_county_db(f"sqlite:///{tmp / 'county.db'}", PASSPHRASE)
    keys = init_county(engine, name="示范县", passphrase=PASSPHRASE)
    first, second = device(tmp, "一号机（第一书记）", engine, keys), device(tmp, "二号机（村部）", engine, keys)
    fill_store(first, 60, seed=5)
    [p1] = export_to_folder(first, tmp / "a")
    import_file(engine, keys, p1)
    [ack] = write_acks(engine, keys, {first.device_id}, tmp / "ack-a")
    apply_ack(first, ack)
    copy_records(first, second)
    with first.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
    for n, hh in enumerate(ids[:3]):
        edit(first, hh, phone=f"1390851{n:04d}")
    for p in export_to_folder(first, tmp / "b"):
        import_file(engine, keys, p)
    edit(first, ids[3], address="第二组18号")
    export_to_folder(first, tmp / "c")  # package 3: "lost" on the way
    edit(first, ids[4], group_name="第三组")
    inbox = tmp / "U盘"
    inbox.mkdir()
    shutil.copy(export_to_folder(first, tmp / "d")[-1], inbox)  # package 4 arrives: held
    for n, hh in enumerate(ids[:3]):
        edit(second, hh, phone=f"1370851{n:04d}")
    edit(second, ids[5], address="第一组3号")
    for p in export_to_folder(second, tmp / "e"):
        shutil.copy(p, inbox)
    (inbox / f"{VILLAGE}-damaged-000009.fupinpkg").write_bytes(b"FUPIN" + os.urandom(300))
    return engine, keys, first, second, inbox


def shoot(widget, name: str) -> None:
    QApplication.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"saved {OUT / name}.png", flush=True)


def wait_idle(app: QApplication) -> None:
    """Until the workers have been idle for half a second (the 同步 column fills in after a pause)."""
    end, quiet_since = time.time() + 60, time.time()
    while time.time() < end and time.time() - quiet_since < 0.5:
        app.processEvents()
        if hub().busy():
            quiet_since = time.time()
        time.sleep(0.01)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fupin-sync-shots-"))
    app = QApplication([sys.argv[0]])
    install_cjk_font(app)
    engine, keys, first, second, inbox = scene(tmp)
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    try:
        window = CountyWindow(CountyContext(engine, keys, settings, f"sqlite:///{tmp / 'county.db'}"))
        window.move(0, 0)
        window.resize(1360, 820)
        window.show()
        window.import_tab.write_acks.setChecked(True)
        window.import_tab.ack_folder.setText(str(inbox / "回执"))
        window.import_paths([inbox])
        wait_idle(app)
        shoot(window, "county-import")
        window.tabs.setCurrentWidget(window.conflicts_tab)
        wait_idle(app)
        shoot(window, "county-conflicts")
        window.tabs.setCurrentWidget(window.figures_tab)
        wait_idle(app)
        shoot(window, "county-figures")
        window.close()

        for ack in (inbox / "回执").glob("*.fupinack"):
            apply_ack(second if second.device_id[:8] in ack.name else first, ack)
        with second.engine.connect() as conn:
            ids = search_households(conn, SearchQuery())
        edit(second, ids[8], phone="13608510008")
        export_to_folder(second, tmp / "f")
        edit(second, ids[9], address="第四组2号")
        dialog = SyncStatusDialog(Archive(second))
        dialog.move(40, 40)
        dialog.resize(760, 540)
        dialog.show()
        wait_idle(app)
        shoot(dialog, "sync-status")
        dialog.close()

        from ui.main_window import MainWindow  # noqa: PLC0415

        with first.engine.connect() as conn:
            edit(first, search_households(conn, SearchQuery())[6], phone="13508510006")  # not yet sent
        main = MainWindow(Archive(first), settings=settings, on_lock=lambda: None)
        main.move(0, 0)
        main.resize(1440, 860)
        main.show()
        wait_idle(app)
        shoot(main, "main-window-sync")
        main.close()
    finally:
        first.close()
        second.close()
        engine.dispose()
        hub().tasks.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
