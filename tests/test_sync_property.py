"""Property (issue 13): random interleavings of edits on three devices (two laptops of one village and a
township clerk's) and of the county's conflict decisions, with packages exchanged in random order
(change packages imported at the county in any order, down packages applied on a laptop in any
order), end in equal records everywhere once every package is delivered and every conflict decided.

A real PostgreSQL county and real SQLCipher stores, fresh for each example; few examples and short
runs (``FUPIN_PROPERTY_EXAMPLES`` for more), so the suite stays within minutes."""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.households import save_household_year, unit_of_work
from fupin_desktop.sync.down import apply_down, down_conflicts
from fupin_desktop.sync.received import apply_files

from .conftest import COUNTY_PASSPHRASE, pg_database
from .down_support import TOWNSHIP, VILLAGE, county_records, device_matches, laptop
from .sync_support import add_household, edit, export, send_ack

pytestmark = pytest.mark.slow
DEVICES = 3  # 0 and 1: laptops of the village; 2: the township clerk
FIELDS = {"phone": ("13900000001", "13900000002", "13900000003"), "address": ("一组1号", "二组2号", "三组3号"),
          "population": (3, 4, 5)}
YEAR_FIELDS = {"population": 2027}  # on the household's row for that year: any device may be the one to make it
EXAMPLES = int(os.environ.get("FUPIN_PROPERTY_EXAMPLES", "4"))

edits = st.tuples(st.just("edit"), st.integers(0, DEVICES - 1), st.sampled_from([0, 0, 1]),
                  st.sampled_from(sorted(FIELDS)), st.integers(0, 2))
EXCHANGES = [(what, i) for what in ("up", "down", "ack") for i in range(DEVICES)]
# A round: edits on the devices (concurrent, unless an exchange comes between), then exchanges in any
# order, packages shuffled by ``order``, and perhaps the county deciding the conflicts it has by then.
rounds = st.tuples(st.lists(edits, min_size=1, max_size=4), st.lists(st.sampled_from(EXCHANGES), min_size=2,
                   max_size=9), st.randoms(use_true_random=False), st.sampled_from([None, "county", "incoming"]))
plans = st.lists(rounds, min_size=1, max_size=3)

@contextmanager
def _fresh_county() -> Iterator[tuple[Any, Any, str]]:
    # A county per example: hypothesis runs every example inside one test, so not the fixture.
    with pg_database("fupin_p") as url:
        engine = open_county_db(url)
        try:
            yield engine, init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE), url
        finally:
            engine.dispose()


class World:
    """The county, three devices, two households every device holds, and a folder for the sticks."""

    def __init__(self, tmp: Path, engine: Any, keys: Any) -> None:
        self.tmp, self.engine, self.keys, self.trip = tmp, engine, keys, 0
        self.devices = [laptop(tmp, "一号机", engine, keys), laptop(tmp, "二号机", engine, keys),
                        laptop(tmp, "乡镇干事", engine, keys, township=True)]
        self.homes = [add_household(self.devices[0], head=f"户主{i}", hh_no=f"52010200300400{i + 1:02d}")
                      for i in range(2)]
        for _ in range(2):  # the new devices introduce themselves, then everyone gets the households
            self.settle_round()

    def folder(self, what: str) -> Path:
        self.trip += 1
        return self.tmp / f"{self.trip:04d}-{what}"

    def up(self, i: int, shuffle: random.Random | None = None) -> None:
        paths = export(self.devices[i], self.folder("up"))
        if shuffle is not None:
            shuffle.shuffle(paths)  # the county holds what comes before its predecessor
        for path in paths:
            import_file(self.engine, self.keys, path)

    def ack(self, i: int) -> None:
        send_ack(self.engine, self.keys, self.devices[i], self.folder("ack"))

    def down(self, i: int, shuffle: random.Random | None = None) -> None:
        paths = export_down(self.engine, self.keys, self.folder("down"), [self.devices[i].device_id])
        if shuffle is None:
            list(apply_files(self.devices[i], paths))
            return
        shuffle.shuffle(paths)  # the laptop holds what comes before its predecessor
        for path in paths:
            apply_down(self.devices[i], path)

    def decide(self, keep: str) -> int:
        decided = 0
        for conflict in list_conflicts(self.engine):
            try:
                resolve_conflict(self.engine, conflict["id"], keep=keep, user="县扶贫办")
                decided += 1
            except InvalidInput:  # superseded by a later edit: nothing to decide
                pass
        return decided

    def settle_round(self) -> None:
        for i in range(DEVICES):
            self.up(i)
        for i in range(DEVICES):
            self.ack(i)
            self.down(i)

    def settle(self) -> None:
        """Deliver everything and decide every conflict, until nothing is left open anywhere."""
        for _ in range(8):
            self.settle_round()
            if not list_conflicts(self.engine) and not any(down_conflicts(d) for d in self.devices):
                self.settle_round()  # the last decisions' corrections and packages reach everyone
                return
            self.decide("incoming")
        raise AssertionError(f"conflicts still open after eight rounds: county {list_conflicts(self.engine)}, "
                             f"devices {[down_conflicts(d) for d in self.devices]}")

    def close(self) -> None:
        for device in self.devices:
            device.close()


def _run(world: World, plan: list[tuple[Any, ...]]) -> None:
    for changes, exchanges, order, keep in plan:
        for _, i, home, name, value in changes:
            if name in YEAR_FIELDS:
                with unit_of_work(world.devices[i]) as uow:
                    save_household_year(uow, world.homes[home], YEAR_FIELDS[name], {name: FIELDS[name][value]})
            else:
                edit(world.devices[i], world.homes[home], **{name: FIELDS[name][value]})
        for what, i in exchanges:
            if what == "up":
                world.up(i, order)
            elif what == "down":
                world.down(i, order)
            else:
                world.ack(i)
        if keep is not None:
            world.decide(keep)


# No shrinking: one example is seconds, and shrinking a failure took six minutes (it was tried by breaking
# the laptop's applying); the failing plan is noted whole (the shuffles follow from hypothesis's seed).
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans)
def test_random_interleavings_end_with_equal_records_everywhere(plan):
    note(f"plan (edits, exchanges, decision per round): {[(c, e, k) for c, e, _, k in plan]!r}")
    with tempfile.TemporaryDirectory() as tmp, _fresh_county() as (engine, keys, _url):
        world = World(Path(tmp), engine, keys)
        try:
            _run(world, plan)
            world.settle()
            village, township = county_records(engine, VILLAGE), county_records(engine, TOWNSHIP)
            for device in world.devices[:2]:
                assert device_matches(device, village) == []
            assert device_matches(world.devices[2], township) == []
            assert not any(down_conflicts(d) for d in world.devices)
        finally:
            world.close()
