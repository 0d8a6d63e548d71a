"""Cycles are collected on the GUI thread only (ui/collector.py): a collection on the database
worker could free a Qt object there, which crashed the process."""

from __future__ import annotations

import gc
import threading

import pytest

pytest.importorskip("pytestqt")

from ui.operations import hub


class Cycle:
    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_on.append(threading.current_thread().name)


def test_garbage_made_on_the_worker_is_freed_on_the_gui_thread(qtbot):
    hub()  # the worker's owner turns automatic collection off before its thread starts
    assert not gc.isenabled()
    Cycle.freed_on.clear()

    many = gc.get_threshold()[0] * 3  # enough cycles to have set off the collector on this thread

    def make_garbage() -> None:
        for _ in range(many):
            Cycle()

    hub().tasks.submit(make_garbage, lambda _r: None, lambda _e: None)
    qtbot.waitUntil(lambda: len(Cycle.freed_on) == many, timeout=10_000)
    assert set(Cycle.freed_on) == {threading.main_thread().name}
