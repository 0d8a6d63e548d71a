"""The household list at township scale: 20,000 households, scrolled to the end and searched."""

from __future__ import annotations

import time
from datetime import date

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.archive import Archive
from fupin_desktop.derive import name_initials
from fupin_desktop.model import Household, Member, new_id
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.validation.idnumber import make_id
from ui.household_table import HouseholdTableModel, mask_id
from ui.qt import QTableView

from .conftest import PASSWORD, VILLAGE

N = 20_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@pytest.fixture(scope="module")
def township(tmp_path_factory):
    """20,000 households with their heads, written through the unit of work in one bulk step."""
    store, _ = Store.create(tmp_path_factory.mktemp("township") / "store", village_code=VILLAGE,
                            village_name="大镇", username="admin", password=PASSWORD)
    households, members = [], []
    for i in range(N):
        hh_id = new_id()
        name = SURNAMES[i % len(SURNAMES)] + "三" if i % 97 == 0 else SURNAMES[i % len(SURNAMES)] + f"{i}"
        households.append({"id": hh_id, "village_code": VILLAGE, "group_name": f"第{i % 12 + 1}组",
                           "national_hh_no": f"52010200300{i:05d}", "head_name": name, "member_count": 1})
        members.append({"household_id": hh_id, "name": name, "relation": "户主", "name_initials": None,
                        "id_no": make_id("520102", date(1960, 1, 1 + i % 28), i % 1000)})
    for m in members:
        m["name_initials"] = name_initials(m["name"])
    with unit_of_work(store, check=False) as uow:
        uow.insert_many(Household, households, trusted=True)
        uow.insert_many(Member, members, trusted=True)
    yield store
    store.close()


def test_scrolling_to_the_end_and_searching_are_fast(qtbot, township):
    model = HouseholdTableModel(Archive(township).list_rows)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1200, 700)
    view.show()
    with township.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
    assert len(ids) == N
    model.set_ids(ids)

    started = time.perf_counter()
    view.scrollToBottom()
    view.viewport().repaint()
    last = model.index(N - 1, 1)
    assert model.data(last) is not None and model.data(last) != ""
    scroll_s = time.perf_counter() - started

    started = time.perf_counter()
    with township.engine.connect() as conn:
        found = search_households(conn, SearchQuery(text="ws"))  # 王三 …
    model.set_ids(found)
    view.viewport().repaint()
    search_s = time.perf_counter() - started

    assert found and {model.data(model.index(r, 1)) for r in range(len(found))} == {"王三", "吴三"}
    # Issue 3's goal is 100 ms per keystroke; the test allows for a loaded CI machine.
    assert scroll_s < 0.5, scroll_s
    assert search_s < 0.5, search_s
    assert len(model._cache) <= 2000 + 100  # rows are fetched lazily, not all 20,000


def test_id_numbers_are_masked_until_asked(qtbot, township):
    model = HouseholdTableModel(Archive(township).list_rows)
    with township.engine.connect() as conn:
        model.set_ids(search_households(conn, SearchQuery(text="0000001")))
    column = [c.key for c in model.columns].index("head_id_no")
    shown = model.data(model.index(0, column))
    assert "*" in shown and len(shown) == 18
    model.set_mask(False)
    assert "*" not in model.data(model.index(0, column))
    assert mask_id("620502199001011234") == "6205**********1234"  # the forms' masking, shared
