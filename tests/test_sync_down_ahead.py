"""Build-ahead (issue 13, speed): while a device applies the down package it was just served, the county
builds its next ones, so the two sides work at once. The packages, their order and the end state are
those of building on demand; a failing build in the background changes nothing the device sees."""

from __future__ import annotations

import logging
import threading
import time
from types import SimpleNamespace

import pytest
import uvicorn
from sqlalchemy import create_engine, select

from fupin_desktop.county import ahead
from fupin_desktop.county import down as county_down
from fupin_desktop.county.model import Device, DownPackage
from fupin_desktop.county.server import create_app
from fupin_desktop.sync.client import push
from fupin_desktop.sync.down import down_number
from fupin_desktop.sync.pull import pull

from .county_net_support import CountyServer, free_port
from .down_support import VILLAGE, county_records, device_matches, household_ids, laptop
from .sync_support import add_household, edit

RECORDS = 10  # records per package: a first download of a dozen households is many packages


class _CutError(Exception):
    pass


class _InProcess:
    """The county server in this process (uvicorn in a thread), so a test can patch what it runs."""

    def __init__(self, engine, keys) -> None:
        self.app = create_app(engine, keys)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> _InProcess:
        self.thread.start()
        _until(lambda: self.server.started, "the in-process server did not start")
        return self

    def stop(self) -> float:
        started = time.monotonic()
        self.server.should_exit = True
        self.thread.join(30)
        return time.monotonic() - started


def _until(condition, message: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.01)


def _ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("down-ahead-")]


def _county_device(engine, device_id: str):
    with engine.connect() as conn:
        return conn.execute(select(Device).where(Device.id == device_id)).one()


def _county_numbers(engine, device_id: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(DownPackage.number).where(DownPackage.device_id == device_id)
                                 .order_by(DownPackage.number)).scalars())


def _village_at_the_county(tmp_path, engine, keys, url: str) -> set[str]:
    """A laptop's twelve households at the county, edited after their members (parents in later packages)."""
    a = laptop(tmp_path, "一号机", engine, keys)
    made = {add_household(a, hh_no=f"52010200300400{i:02d}") for i in range(12)}
    push(a, url)
    for i, hh in enumerate(sorted(made)):
        edit(a, hh, phone=f"139000000{i:02d}")
    push(a, url)
    return made


def _complete(engine, store, made: set[str]) -> None:
    assert household_ids(store) == made
    assert device_matches(store, county_records(engine, VILLAGE)) == []
    # every package the county built was applied, in order: none built twice, none skipped, none left over
    assert _county_numbers(engine, store.device_id) == list(range(1, down_number(store) + 1))


def test_a_first_download_over_http_is_built_ahead_and_ends_equal(tmp_path, county, county_db_url, monkeypatch):
    engine, keys = county
    monkeypatch.setenv("FUPIN_DOWN_RECORDS", str(RECORDS))  # the server is another process
    server = CountyServer(county_db_url, tmp_path).start()
    try:
        made = _village_at_the_county(tmp_path, engine, keys, server.url)
        b = laptop(tmp_path, "新电脑", engine, keys)
        seen: list[int] = []

        def before_the_next_request(count: int) -> None:
            if count == 1:  # package 1 applied; the county has built 2 and 3 meanwhile, unasked
                _until(lambda: _county_device(engine, b.device_id).down_number >= 1 + ahead.AHEAD,
                       "the county did not build ahead")
            seen.append(_county_device(engine, b.device_id).down_number - count)

        result = pull(b, server.url, progress=before_the_next_request)
        assert len(result.applied) > 1 + ahead.AHEAD
        assert max(seen) > 0  # kept but not yet applied: built while the device applied
        assert max(seen) <= 1 + ahead.AHEAD  # never further ahead than that
        _complete(engine, b, made)
    finally:
        server.stop()


def test_a_failing_build_ahead_is_logged_and_the_next_request_builds_on_demand(tmp_path, county, monkeypatch,
                                                                               caplog):
    engine, keys = county
    monkeypatch.setattr(county_down, "DOWN_RECORDS", RECORDS)
    real, failed = ahead.build_next, threading.Event()

    def failing_once(*args, **kwargs):
        if not failed.is_set():
            failed.set()
            raise RuntimeError("户主 张三 5201021990")  # a message that quotes data: never logged
        return real(*args, **kwargs)

    monkeypatch.setattr(ahead, "build_next", failing_once)
    server = _InProcess(engine, keys).start()
    try:
        made = _village_at_the_county(tmp_path, engine, keys, server.url)
        b = laptop(tmp_path, "新电脑", engine, keys)
        with caplog.at_level(logging.ERROR, logger=ahead.__name__):
            result = pull(b, server.url)
        assert failed.is_set() and len(result.applied) > 1 + ahead.AHEAD
        [line] = [r.getMessage() for r in caplog.records if r.name == ahead.__name__]
        assert "RuntimeError" in line and "张三" not in line and "5201021990" not in line
        _complete(engine, b, made)
        assert pull(b, server.url).applied == []  # the server still answers: nothing more
    finally:
        seconds = server.stop()
    assert seconds < 10 and _ahead_threads() == []  # no thread outlives the app


def test_a_pull_cut_half_way_resumes_with_the_packages_built_ahead(tmp_path, county, monkeypatch):
    engine, keys = county
    monkeypatch.setattr(county_down, "DOWN_RECORDS", RECORDS)
    server = _InProcess(engine, keys).start()
    try:
        made = _village_at_the_county(tmp_path, engine, keys, server.url)
        b = laptop(tmp_path, "新电脑", engine, keys)

        def cut_after_two(count: int) -> None:
            if count == 2:  # once the county has built ahead of it
                _until(lambda: _county_device(engine, b.device_id).down_number >= 2 + ahead.AHEAD,
                       "the county did not build ahead")
                raise _CutError

        with pytest.raises(_CutError):
            pull(b, server.url, progress=cut_after_two)
        assert down_number(b) == 2 and household_ids(b) < made
        kept = _county_device(engine, b.device_id).down_number
        assert kept > 2  # built for it, not yet applied
        again = pull(b, server.url)
        assert [r.number for r in again.applied[:kept - 2]] == list(range(3, kept + 1))  # the kept ones first
        _complete(engine, b, made)
    finally:
        server.stop()
    assert _ahead_threads() == []


def test_one_thread_per_device_a_few_in_all_and_none_after_stop(monkeypatch):
    release, calls = threading.Event(), []

    def build(self, device_id, run):  # a build that lasts until released (or the server stops)
        calls.append(device_id)
        while not release.is_set() and not self._stopping.is_set():
            run.wake.wait(0.01)

    monkeypatch.setattr(ahead.BuildAhead, "_build", build)
    postgresql = SimpleNamespace(dialect=SimpleNamespace(name="postgresql"))
    builder = ahead.BuildAhead(postgresql, None, threads=4)
    devices = [f"{i:032x}" for i in range(6)]
    for device in devices + devices[:2]:  # two asked again while theirs runs
        builder.served(device)
    assert builder.running() == 4  # the others: built on demand
    _until(lambda: len(calls) == 4, "the threads did not start")
    assert sorted(calls) == devices[:4]
    started = time.monotonic()
    builder.stop()
    assert time.monotonic() - started < 5 and builder.running() == 0 and _ahead_threads() == []
    builder.served(devices[5])  # stopped: no new thread
    assert builder.running() == 0 and len(calls) == 4
    on_sqlite = ahead.BuildAhead(create_engine("sqlite://"), None)  # no row lock: built on demand only
    on_sqlite.served(devices[5])
    assert on_sqlite.running() == 0 and len(calls) == 4
