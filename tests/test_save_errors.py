"""A save that the database refuses says why, and only real damage is called damage: a full disk or a
fault in the program must not send someone to restore last night's backup (and lose a day's work)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from fupin_desktop.errors import FupinError, StoreCorrupt
from fupin_desktop.services.households import create_households, unit_of_work

from .factories import household
from .test_store import count_households


def _adding_one(store, before=None) -> None:
    with unit_of_work(store) as uow:
        if before is not None:
            before(uow.conn)
        create_households(uow, [household()])


def test_a_fault_in_the_program_is_not_called_damage_and_saves_nothing(new_store, caplog):
    start = count_households(new_store)

    def broken(conn) -> None:  # a statement this program should never have written
        conn.execute(text("UPDATE no_such_table SET x = 1"))

    with caplog.at_level(logging.ERROR), pytest.raises(FupinError) as caught:
        _adding_one(new_store, broken)
    assert not isinstance(caught.value, StoreCorrupt)
    assert "程序内部出错" in caught.value.message and "没有保存" in caught.value.message
    assert "导出诊断信息" in (caught.value.hint or "") and "备份恢复" not in (caught.value.hint or "")
    assert count_households(new_store) == start
    assert any("database error while saving" in r.getMessage() for r in caplog.records)
    assert not any("no_such_table" in r.getMessage() for r in caplog.records)  # type and place only


def test_a_full_disk_is_said_as_such_and_saves_nothing(new_store):
    start = count_households(new_store)

    def no_room(conn) -> None:  # SQLite's own "database or disk is full", as on a full disk
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('filler', :v)"), {"v": "x" * 200_000})

    with pytest.raises(FupinError) as caught:
        _adding_one(new_store, no_room)
    assert not isinstance(caught.value, StoreCorrupt)
    assert "磁盘空间不足" in caught.value.message and "内容仍在窗口中" in (caught.value.hint or "")
    assert count_households(new_store) == start
    new_store.engine.dispose()  # room made (the limit was the connection's own)
    _adding_one(new_store)
    assert count_households(new_store) == start + 1
