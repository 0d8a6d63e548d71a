"""The whole-store check: the same findings inline and on worker processes, and marks written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fupin_desktop.demo import fill_store
from fupin_desktop.errors import Cancelled
from fupin_desktop.model import Household
from fupin_desktop.services import checks
from fupin_desktop.validation import engine, parallel


def test_parallel_check_finds_the_same_as_inline(new_store, monkeypatch):
    fill_store(new_store, 120, seed=9, flaws=0.2)
    monkeypatch.setattr(parallel, "MIN_PER_WORKER", 10_000)
    inline, _ = checks.run_check(new_store, year=2024)
    monkeypatch.setattr(parallel, "MIN_PER_WORKER", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.worker_count(new_store.engine) == 2
    spread, _ = checks.run_check(new_store, year=2024, full=True)
    assert inline, "a village with 20% flaws must have findings"

    def key(f):
        return f.household, f.rule, f.record_id, f.field, f.message

    assert sorted(spread, key=key) == sorted(inline, key=key)
    with new_store.engine.connect() as conn:
        marked = conn.execute(select(Household.id, Household.error_count)).all()
    errors = {f.household for f in inline if f.severity == "error"}
    assert {hh for hh, n in marked if n} == errors


def test_cancelled_check_changes_nothing(new_store, monkeypatch):
    fill_store(new_store, 600, seed=4, flaws=0.3)
    with new_store.engine.begin() as conn:  # marks nobody could have computed
        conn.execute(Household.__table__.update().values(error_count=99))
        before = conn.execute(select(Household.id, Household.error_count)).all()
    monkeypatch.setattr(engine, "MARK_BATCH", 100)  # some marks are written before the cancel
    reports = []
    answers = iter([False, False, True])
    with pytest.raises(Cancelled):
        checks.mark_store(new_store, 2024, progress=lambda d, t: reports.append((d, t)),
                          cancel=lambda: next(answers))
    assert reports and reports[0][1] == 600
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Household.id, Household.error_count)).all() == before
