"""Contract 2: a kill -9 in the middle of writing leaves a consistent store, never half a household."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from fupin_desktop.model import ChangeLog, Household, HouseholdYear, Member
from fupin_desktop.store.store import Store

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _kill_during_write(path: Path, run: int, delay: float) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_writer", str(path), str(run)],
        cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def _assert_consistent(store: Store) -> int:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(text("PRAGMA cipher_integrity_check")).all() in ([], [("ok",)])
        members = dict(conn.execute(
            select(Member.household_id, func.count()).group_by(Member.household_id)).all())
        declared = dict(conn.execute(select(HouseholdYear.household_id, HouseholdYear.population)).all())
        households = conn.execute(select(Household.id, Household.member_count)).all()
        for hh_id, member_count in households:
            assert declared.get(hh_id) == members.get(hh_id) == member_count, "a household is half written"
        logged = conn.execute(
            select(func.count()).select_from(ChangeLog).where(ChangeLog.entity == "household")).scalar_one()
        assert logged == len(households)  # every household that exists has its log entry, and no more
        return len(households)


def test_kill_9_mid_write_leaves_no_half_household(new_store):
    path = new_store.path
    new_store.close()
    rng = random.Random(7)
    counts = []
    for run in range(4):
        _kill_during_write(path, run, rng.uniform(0.3, 1.2))
        with Store.open(path, "admin", PASSWORD) as store:
            counts.append(_assert_consistent(store))
    assert counts[-1] > 0, "the writer never got going; the test proved nothing"
    assert counts[-1] < 4000, "the writer finished before the kill; the test proved nothing"
