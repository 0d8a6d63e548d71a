"""A new laptop enrolled into a village of 1,500 households starts complete from a real PostgreSQL county
(issue 13, item 3), and again when the transfer is cut half way: the packages applied before the cut
stay, and the next 同步 goes on from there instead of starting over."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fupin_desktop.county.importer import import_file
from fupin_desktop.demo import fill_store
from fupin_desktop.sync.client import ServerUnreachable
from fupin_desktop.sync.down import down_number
from fupin_desktop.sync.pull import pull

from .county_net_support import CountyServer
from .down_support import VILLAGE, county_records, device_matches, household_ids, laptop
from .sync_support import export

HOUSEHOLDS = 1500
pytestmark = pytest.mark.slow


@pytest.fixture
def village(tmp_path, county, county_db_url, monkeypatch):
    """The county holds a village of 1,500 demo households, sent in bulk by the village's first laptop."""
    engine, keys = county
    monkeypatch.setenv("FUPIN_DOWN_RECORDS", "5000")  # the server's packages: a run of a dozen, to cut half way
    first = laptop(tmp_path, "一号机", engine, keys)
    fill_store(first, HOUSEHOLDS, seed=13)
    for path in export(first, tmp_path / "up"):
        assert import_file(engine, keys, path)[0].status == "imported"
    first.close()
    server = CountyServer(county_db_url, tmp_path).start()
    yield engine, keys, server
    server.stop()


def _complete(engine, store) -> None:
    records = county_records(engine, VILLAGE)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM record WHERE entity = 'household'")).scalar() == HOUSEHOLDS
    assert len(household_ids(store)) == HOUSEHOLDS
    assert device_matches(store, records) == []


def test_a_new_laptop_of_a_1500_household_village_starts_complete_and_resumes_after_a_cut(tmp_path, village):
    engine, keys, server = village
    second = laptop(tmp_path, "二号机", engine, keys)
    seen: list[int] = []
    whole = pull(second, server.url, progress=seen.append)
    total = down_number(second)
    assert total >= 4 and seen == list(range(1, len(whole.applied) + 1))  # progress, package by package
    _complete(engine, second)
    second.close()

    third = laptop(tmp_path, "三号机", engine, keys)
    half = total // 2

    def cut(applied: int) -> None:
        if applied == half:
            server.kill()  # the line goes dead half way through the download

    with pytest.raises(ServerUnreachable) as caught:
        pull(third, server.url, attempts=2, backoff=0.05, progress=cut)
    assert "下载中断" in caught.value.message and "接着下载" in (caught.value.hint or "")
    assert down_number(third) == half  # every package applied before the cut is kept
    assert 0 < len(household_ids(third)) < HOUSEHOLDS

    server.start()
    resumed = pull(third, server.url)
    assert [r.number for r in resumed.applied] == list(range(half + 1, total + 1))  # from the cut on, not anew
    _complete(engine, third)
    third.close()
