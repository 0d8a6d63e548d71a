"""Issue 14 item 2: demo households go only into a store created as a demo store, one that holds no
real household; the refusal is in Chinese and leaves the store as it was; a demo store says so."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fupin_desktop.archive import Archive
from fupin_desktop.cli import main
from fupin_desktop.demo.guard import require_demo_store
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import ChangeLog, Household
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.store.store import Store

from . import factories
from .conftest import PASSWORD, VILLAGE


def counts(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Household)).scalar_one(),
                conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one())


def with_real_household(store: Store) -> None:
    with unit_of_work(store) as uow:
        create_households(uow, [factories.household()])


def test_a_real_store_is_refused_by_the_core(new_store):
    with_real_household(new_store)
    before = counts(new_store)
    with pytest.raises(InvalidInput, match="不是演示数据库"):
        Archive(new_store).fill_demo(5, 1)
    assert counts(new_store) == before and not new_store.demo


def test_a_demo_store_takes_demo_data_until_someone_enters_a_real_household(tmp_path):
    store, _ = Store.create(tmp_path / "demo", village_code=VILLAGE, village_name="示范村", username="admin",
                            password=PASSWORD, demo=True)
    with store:
        assert store.demo
        Archive(store).fill_demo(3, 1)
        Archive(store).fill_demo(2, 2)  # more demo households: still only demo data in it
        assert counts(store)[0] == 5
        with_real_household(store)
        before = counts(store)
        with pytest.raises(InvalidInput, match="已有 1 户不是演示程序生成的档案"):
            require_demo_store(store)
        with pytest.raises(InvalidInput):
            Archive(store).fill_demo(2, 3)
        assert counts(store) == before
    # The mark is in the encrypted database, so it holds after reopening.
    with Store.open(tmp_path / "demo", "admin", PASSWORD) as again:
        assert again.demo


def test_the_demo_command_refuses_a_real_store_and_makes_a_marked_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    real = tmp_path / "real"
    store, _ = Store.create(real, village_code=VILLAGE, village_name="测试村", username="admin", password=PASSWORD)
    with store:
        with_real_household(store)
        before = counts(store)
    db_before = (real / "fupin.db").read_bytes() if (real / "fupin.db").exists() else None
    assert main(["demo", "--store", str(real), "--households", "3"]) == 2
    err = capsys.readouterr().err
    assert "不是演示数据库" in err and "没有做任何改动" in err and "Traceback" not in err
    with Store.open(real, "admin", PASSWORD) as store:
        assert counts(store) == before
    if db_before is not None:
        assert (real / "fupin.db").read_bytes() == db_before

    made = tmp_path / "made"
    assert main(["demo", "--store", str(made), "--households", "3"]) == 0
    with Store.open(made, "admin", PASSWORD) as store:
        assert store.demo and counts(store)[0] == 3


def test_the_menu_refuses_a_real_store_and_the_title_marks_a_demo_one(qtbot, tmp_path, new_store):
    pytest.importorskip("pytestqt")
    from ui.errors import _open_boxes  # noqa: PLC0415
    from ui.main_window import DEMO_MARK, MainWindow  # noqa: PLC0415
    from ui.operations import hub  # noqa: PLC0415
    from ui.qt import QSettings  # noqa: PLC0415

    def window(store: Store) -> MainWindow:
        win = MainWindow(Archive(store), settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                         on_lock=lambda: None)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)
        return win

    with_real_household(new_store)
    before = counts(new_store)
    win = window(new_store)
    assert DEMO_MARK not in win.windowTitle()
    [act] = [a for a in win.tools_menu.actions() if a.text().startswith("生成演示数据")]
    act.trigger()
    qtbot.waitUntil(lambda: any("不是演示数据库" in b.text() for b in _open_boxes), timeout=20_000)
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)
    assert counts(new_store) == before
    for box in list(_open_boxes):
        box.close()
    win.close()

    demo, _ = Store.create(tmp_path / "demo", village_code=VILLAGE, village_name="示范村", username="admin",
                           password=PASSWORD, demo=True)
    with demo:
        win = window(demo)
        assert win.windowTitle().startswith(DEMO_MARK)
        win.close()
