"""Issue 14 item 3 in the core: 注销 and 恢复 with a reason and a date, a household typed by mistake
deleted while nothing of it has left the device, visits edited and deleted, measures deleted — each
an ordinary change-log entry — and the roster's change list."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from fupin_desktop.archive import Archive
from fupin_desktop.bundle import MeasureData
from fupin_desktop.errors import InvalidInput
from fupin_desktop.forms.job import render_bytes
from fupin_desktop.forms.scope import Scope
from fupin_desktop.model import Attachment, ChangeLog, Household, Measure, Member, Visit
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services import leaving
from fupin_desktop.services.edit_state import visit_texts
from fupin_desktop.services.households import add_measure, add_visit, create_households, unit_of_work
from fupin_desktop.sync.device import pack_pending

from . import factories
from .conftest import VILLAGE

TODAY = date.today()


def stored(store, **kw) -> str:
    bundle = factories.household(**kw)
    with unit_of_work(store) as uow:
        create_households(uow, [bundle])
    return bundle.id


def household(store, hh: str) -> dict:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(Household).where(Household.id == hh)).mappings().one())


def log_of(store, entity: str, entity_id: str) -> list[tuple[str, dict]]:
    with store.engine.connect() as conn:
        return [(op, json.loads(fields)) for op, fields in conn.execute(
            select(ChangeLog.op, ChangeLog.fields).where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
            .order_by(ChangeLog.seq))]


def listed(store, **kw) -> list[str]:
    with store.engine.connect() as conn:
        return search_households(conn, SearchQuery(**kw))


def roster_text(store) -> str:
    data, _ = render_bytes("roster", store, scope=Scope.village(VILLAGE), year=TODAY.year)
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_leaving_is_refused_without_a_coded_reason_a_date_or_words_for_other(new_store):
    hh = stored(new_store)
    before = log_of(new_store, "household", hh)
    for reason, on, note, message in (("", TODAY, "", "请选择注销原因"), ("搬走了", TODAY, "", "不在代码表中"),
                                      ("整户迁出", "", "", "请填写注销日期"),
                                      ("整户迁出", "2026-13-40", "", "日期不存在"),
                                      ("其他", TODAY, "", "写明原因")):
        with pytest.raises(InvalidInput, match=message):
            leaving.leave_household(new_store, hh, reason, on, note)
    assert household(new_store, hh)["record_status"] == "在册" and log_of(new_store, "household", hh) == before
    assert set(leaving.leave_reasons()) >= {"整户死亡", "整户迁出", "识别错误", "其他"}


def test_leave_and_restore_are_logged_listed_and_printed(new_store):
    kept, gone = stored(new_store, head="王五", hh_no="5201020030040002"), stored(new_store)
    changes = leaving.leave_household(new_store, gone, "整户迁出", TODAY)
    assert gone in changes.households
    row = household(new_store, gone)
    assert (row["record_status"], row["left_reason"], row["left_on"]) == ("注销", "整户迁出", TODAY)
    assert log_of(new_store, "household", gone)[-1] == ("update", {
        "record_status": ["在册", "注销"], "left_reason": [None, "整户迁出"], "left_on": [None, TODAY.isoformat()]})
    assert listed(new_store) == [kept]  # filtered out by default
    assert set(listed(new_store, include_left=True)) == {kept, gone}
    text_ = roster_text(new_store)
    assert "变更情况" in text_ and "整户迁出" in text_ and "张三" in text_ and "注销 1 户" in text_
    with pytest.raises(InvalidInput, match="已经注销"):
        leaving.leave_household(new_store, gone, "整户死亡", TODAY)

    leaving.restore_household(new_store, gone)
    row = household(new_store, gone)
    assert (row["record_status"], row["left_reason"], row["left_on"], row["restored_on"]) == ("在册", None, None,
                                                                                               TODAY)
    assert log_of(new_store, "household", gone)[-1][1]["record_status"] == ["注销", "在册"]
    assert set(listed(new_store)) == {kept, gone}
    assert "恢复 1 户" in roster_text(new_store)
    with pytest.raises(InvalidInput, match="不需要恢复"):
        leaving.restore_household(new_store, gone)


def test_a_household_never_sent_is_deleted_with_everything_under_it(new_store):
    keep, mistake = stored(new_store, head="王五", hh_no="5201020030040002"), stored(new_store)
    with unit_of_work(new_store) as uow:
        add_visit(uow, mistake, {"visited_on": TODAY, "content": "误建"}, [("a.jpg", b"\xff\xd8jpeg", "image/jpeg")])
        add_measure(uow, mistake, MeasureData({"year": 2024, "category": "产业帮扶", "name": "鸡苗"}, "loan",
                                              {"principal": "30000"}))
    archive = Archive(new_store)
    assert archive.why_not_deletable(mistake) is None
    before_keep = log_of(new_store, "household", keep)
    archive.delete_household(mistake)
    with new_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ChangeLog)
                            .where(ChangeLog.household_id == mistake)).scalar_one() == 0
        for model, column in ((Household, Household.id), (Member, Member.household_id),
                              (Visit, Visit.household_id), (Measure, Measure.household_id)):
            assert conn.execute(select(func.count()).select_from(model).where(column == mistake)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(Attachment)).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM measure_loan")).scalar_one() == 0
    assert log_of(new_store, "household", keep) == before_keep and listed(new_store) == [keep]


def test_a_household_whose_changes_were_packed_cannot_be_deleted(tmp_path, new_store):
    from fupin_desktop.county.db import open_county_db  # noqa: PLC0415
    from fupin_desktop.county.keys import init_county  # noqa: PLC0415

    from .conftest import COUNTY_PASSPHRASE  # noqa: PLC0415
    from .sync_support import make_device  # noqa: PLC0415

    engine = open_county_db(f"sqlite:///{tmp_path / 'county.db'}", COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    device = make_device(tmp_path, "一号机", engine, keys)
    try:
        hh = stored(device)
        assert Archive(device).why_not_deletable(hh) is None
        pack_pending(device)
        reason = Archive(device).why_not_deletable(hh)
        assert reason and "已经打包或发送" in reason
        before = log_of(device, "household", hh)
        with pytest.raises(InvalidInput, match="不能删除"):
            Archive(device).delete_household(hh)
        assert household(device, hh)["id"] == hh and log_of(device, "household", hh) == before
    finally:
        device.close()
        engine.dispose()


def test_visits_edited_and_deleted_and_measures_deleted_through_the_editor_save(new_store):
    from fupin_desktop.services.edit_state import initial_state  # noqa: PLC0415
    from fupin_desktop.services.editing import save_edits  # noqa: PLC0415
    from fupin_desktop.queries.load import load_households  # noqa: PLC0415

    hh = stored(new_store)
    with unit_of_work(new_store) as uow:
        first = add_visit(uow, hh, {"visited_on": date(2024, 3, 1), "content": "了解收入"},
                          [("a.jpg", b"\xff\xd8jpeg", "image/jpeg")])
        second = add_visit(uow, hh, {"visited_on": date(2024, 4, 1), "content": "送春联"})
        measure = add_measure(uow, hh, MeasureData({"year": 2024, "category": "产业帮扶", "name": "鸡苗"}, "loan",
                                                   {"principal": "30000"}))
    with new_store.engine.connect() as conn:
        loaded = load_households(conn, [hh])[0]
    base = initial_state(loaded, 2024)
    state = initial_state(loaded, 2024)
    state.measures = [m for m in state.measures if m.key != measure]
    saved_second = next(v for v in loaded.visits if v["id"] == second)
    state.visit_changes[second] = {**visit_texts(saved_second), "content": "送春联和米面油"}
    state.removed_visits.append(first)
    save_edits(new_store, hh, 2024, base, state, {})

    assert log_of(new_store, "visit", second)[-1] == ("update", {"content": ["送春联", "送春联和米面油"]})
    assert log_of(new_store, "visit", first)[-1][0] == "delete"
    assert log_of(new_store, "measure", measure)[-1][0] == "delete"
    assert log_of(new_store, "measure_loan", measure)[-1][0] == "delete"
    with new_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Attachment)).scalar_one() == 0
        assert [r for r in conn.execute(select(Visit.id))] == [(second,)]
        assert conn.execute(select(func.count()).select_from(Measure)).scalar_one() == 0
