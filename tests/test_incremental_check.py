"""The re-check after a day's work gives the whole-store check's answer: findings and marks equal
after random edits, cross-household rules included (one ID number in two households, one phone)."""

from __future__ import annotations

import os
import pickle
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from fupin_desktop.demo import fill_store
from fupin_desktop.queries.load import VALIDATION_PARTS, load_households
from fupin_desktop.reference import RefValue, apply_reference
from fupin_desktop.model import CheckDirty, CheckKey, Household, IncomeLine, IncomeYear, Member, WorkRecord
from fupin_desktop.services import checks, procedures
from fupin_desktop.services import households as svc
from fupin_desktop.validation import incremental, parallel
from fupin_desktop.validation.horizon import Today, recording
from fupin_desktop.validation.idnumber import make_id
from fupin_desktop.validation.engine import (
    ERROR, STORE_KEYS, STORE_RULES, WHOLE_PASSES, Context, _load_rules, check_store, store_keys, whole_store_pass,
)

YEAR = 2024


def _key(f):
    return f.household, f.rule, f.record, f.record_id, f.field, f.message, f.severity, f.member, f.kind


def _truth(store):
    """What a full check finds now, computed apart (nothing written)."""
    with store.engine.connect() as conn:
        return sorted(check_store(conn, Context.for_store(conn, YEAR)), key=_key)


def _marks(store):
    with store.engine.connect() as conn:
        return {h: (e, w) for h, e, w in conn.execute(
            select(Household.id, Household.error_count, Household.warning_count))}


def _expected_marks(store, findings):
    with store.engine.connect() as conn:
        marks = {h: (0, 0) for h in conn.execute(select(Household.id)).scalars()}
    for f in findings:
        e, w = marks[f.household]
        marks[f.household] = (e + 1, w) if f.severity == ERROR else (e, w + 1)
    return marks


def _edit(store, rng: random.Random) -> str:
    """One random day-work edit; returns what it was (for the failure message)."""
    with store.engine.connect() as conn:
        members = conn.execute(select(Member.id, Member.household_id, Member.id_no, Member.record_status)
                               .order_by(Member.id)).all()
        households = conn.execute(select(Household.id, Household.phone).order_by(Household.id)).all()
    m, other = rng.choice(members), rng.choice(members)
    hh, other_hh = rng.choice(households), rng.choice(households)
    kind = rng.choice(["copy_id", "clear_id", "copy_phone", "new_phone", "rename", "member_leaves",
                       "household_leaves", "gender", "add_member_with_id", "drop_income_line", "raw_sql_id"])
    if kind == "raw_sql_id":  # a write outside the services: the triggers still see it
        with store.engine.begin() as conn:
            conn.execute(update(Member).where(Member.id == m.id).values(id_no=other.id_no))
        return kind
    with svc.unit_of_work(store) as uow:
        if kind == "copy_id":
            svc.update_member(uow, m.id, {"id_no": other.id_no})
        elif kind == "clear_id":
            svc.update_member(uow, m.id, {"id_no": None})
        elif kind == "copy_phone":
            svc.update_household(uow, hh.id, {"phone": other_hh.phone})
        elif kind == "new_phone":
            svc.update_household(uow, hh.id, {"phone": f"139{rng.randrange(10**8):08d}"})
        elif kind == "rename":
            svc.update_member(uow, m.id, {"name": rng.choice(["张三", "李四", "王五", "赵六"])})
        elif kind == "member_leaves" and m.record_status == "在册":
            svc.member_leaves(uow, m.id, "迁出", date(2024, 6, 1))
        elif kind == "household_leaves":
            svc.household_leaves(uow, hh.id, "整户迁出", date(2024, 6, 1))
        elif kind == "gender":
            svc.update_member(uow, m.id, {"gender": rng.choice(["男", "女"])})
        elif kind == "add_member_with_id":
            svc.add_member(uow, hh.id, {"name": "钱七", "relation": "其他", "id_no": other.id_no})
        elif kind == "drop_income_line":
            line = uow.conn.execute(select(IncomeLine.id).join(IncomeYear).where(
                IncomeYear.household_id == hh.id).limit(1)).scalar_one_or_none()
            if line is not None:
                uow.delete(IncomeLine, line, household_id=hh.id)
    return kind


def test_recheck_after_random_edits_equals_the_full_check(new_store):
    fill_store(new_store, 150, seed=11, flaws=0.2)
    first = checks.check(new_store, YEAR, want_findings=True)
    assert first.full
    assert sorted(first.findings, key=_key) == _truth(new_store)
    rng = random.Random(20241207)
    for round_no in range(8):
        done = [_edit(new_store, rng) for _ in range(rng.randint(1, 12))]
        truth = _truth(new_store)
        run = checks.check(new_store, YEAR, want_findings=True)
        assert not run.full, "a few edits are re-checked, not checked in full"
        assert run.rechecked <= len(done)
        assert sorted(run.findings, key=_key) == truth, (round_no, done)
        assert run.count == len(truth)
        assert _marks(new_store) == _expected_marks(new_store, truth), (round_no, done)
        with new_store.engine.connect() as conn:
            assert conn.execute(select(CheckDirty.household_id)).all() == []


def test_the_whole_store_pass_gives_what_the_rule_and_its_keys_give(new_store):
    """The full check reads each cross-household rule's rows once for its findings and its keys
    (``engine.whole_pass_of``): the same findings, in the same order, and the same keys as the rule
    over every household and its keys function."""
    fill_store(new_store, 40, seed=3, flaws=0.2)
    with new_store.engine.connect() as conn:
        (a, a_id), (b, _b_id), (c, _c_id) = conn.execute(select(Member.id, Member.id_no).where(
            Member.relation == "户主").order_by(Member.id).limit(3)).all()
        first, second = conn.execute(select(Household.id).order_by(Household.id).limit(2)).scalars().all()
    with svc.unit_of_work(new_store) as uow:  # one person in two households, one phone for two
        svc.update_member(uow, b, {"id_no": a_id})
        svc.update_household(uow, first, {"phone": "13912345678"})
        svc.update_household(uow, second, {"phone": "139 1234 5678"})
        # a member's phone without an ID number: the passes read the members once, for both
        svc.update_member(uow, c, {"id_no": None, "phone": "13912345678"})
    with new_store.engine.connect() as conn:
        ctx = Context.for_store(conn, YEAR)
        _load_rules()
        assert set(WHOLE_PASSES) == set(STORE_RULES)  # each rule has its pass (else it is read twice)
        shared: dict = {}  # as in a full check: the passes share the members they read
        for fn in STORE_RULES:
            findings, keys = whole_store_pass(conn, ctx, fn, shared)
            assert findings == list(fn(conn, ctx, None))
            assert sorted(keys) == sorted((h, f"{fn.__name__}:{k}") for h, k in STORE_KEYS[fn](conn, ctx, None))
            assert findings and keys  # the shared number and phone are there to compare
        assert "members" in shared
        c_household = conn.execute(select(Member.household_id).where(Member.id == c)).scalar_one()
        phones = next(fn for fn in STORE_RULES if fn.__name__ == "shared_phones")
        assert any(f.rule == "TEL-05" and f.household == c_household
                   for f in whole_store_pass(conn, ctx, phones, shared)[0])
        assert {f.rule for fn in STORE_RULES for f in whole_store_pass(conn, ctx, fn)[0]} >= {"ID-04", "TEL-05"}


def test_an_id_number_moving_between_households_is_seen_on_both_sides(new_store):
    fill_store(new_store, 40, seed=3, flaws=0.0)
    checks.check(new_store, YEAR)
    with new_store.engine.connect() as conn:
        (a, a_id), (b, b_id) = conn.execute(select(Member.id, Member.id_no).where(
            Member.relation == "户主").order_by(Member.id).limit(2)).all()
    with svc.unit_of_work(new_store) as uow:  # b's head gets a's number: both households are in error
        svc.update_member(uow, b, {"id_no": a_id})
    run = checks.check(new_store, YEAR, want_findings=True)
    assert not run.full and run.rechecked == 1 and run.cross_checked == 2
    both = {f.household for f in run.findings if f.rule == "ID-04"}
    assert len(both) == 2
    with svc.unit_of_work(new_store) as uow:  # and back: the other household's finding goes too
        svc.update_member(uow, b, {"id_no": b_id})
    run = checks.check(new_store, YEAR, want_findings=True)
    assert not run.full and run.rechecked == 1
    assert not [f for f in run.findings if f.rule == "ID-04"]
    assert sorted(run.findings, key=_key) == _truth(new_store)


def test_another_year_a_day_gone_back_or_other_thresholds_check_in_full(new_store):
    fill_store(new_store, 10, seed=5)
    assert checks.check(new_store, YEAR).full
    assert not checks.check(new_store, YEAR).full
    assert checks.check(new_store, YEAR - 1).full  # another year: the kept findings do not answer
    assert checks.check(new_store, YEAR).full
    with new_store.engine.connect() as conn:
        ctx = Context.for_store(conn, YEAR)
        assert incremental.can_recheck(conn, ctx)
        # a later day is re-checked (ages and deadlines: see the walk below); a clock set back is not
        assert incremental.can_recheck(conn, replace(ctx, today=ctx.today + timedelta(days=1)))
        assert not incremental.can_recheck(conn, replace(ctx, today=ctx.today - timedelta(days=1)))
        # a new calendar year (a procedure without a year takes the clock's year's limits)
        assert not incremental.can_recheck(conn, replace(ctx, today=date(ctx.today.year + 1, 1, 1)))
        assert not incremental.can_recheck(conn, replace(ctx, thresholds={}))
    assert checks.check(new_store, YEAR, full=True).full


WALK_YEAR = 2024
WALK_START = date(2024, 5, 10)


def _dated_records(store) -> dict[str, str]:
    """Records whose findings change with the day alone, on households of the demo store: a visit
    overdue a few working days after discovery, a step dated after today, a warning about to be
    overdue, work ending after today, an ID number born after today. Returns household ids by name."""
    with store.engine.connect() as conn:
        ids = conn.execute(select(Household.id).order_by(Household.id).limit(5)).scalars().all()
        heads = dict(conn.execute(select(Member.household_id, Member.id).where(
            Member.household_id.in_(ids), Member.relation == "户主")).all())
    visit, step, warning, work, unborn = ids
    with svc.unit_of_work(store) as uow:
        procedures.start_procedure(uow, visit, "识别纳入", date(2024, 5, 8), channel="农户自主申报")
        later = procedures.start_procedure(uow, step, "识别纳入", date(2024, 4, 1), channel="农户自主申报")
        procedures.record_step(uow, later, "入户核实", date(2024, 5, 20))
        procedures.add_warnings(uow, [{"household_id": warning, "department": "医保", "warning": "大额医疗支出",
                                       "warned_on": date(2024, 5, 1), "received_on": date(2024, 5, 2)}])
        uow.insert(WorkRecord, {"member_id": heads[work], "start_on": date(2024, 3, 1), "end_on": date(2024, 6, 30),
                                "county": "外县", "monthly_income": 3000, "channel": "自主务工"})
        svc.add_member(uow, unborn, {"name": "未生", "relation": "之子", "gender": "男",
                                     "id_no": make_id("520102", date(2024, 7, 1), 11), "birth_date": date(2024, 7, 1)})
    return {"visit": visit, "step": step, "warning": warning, "work": work, "unborn": unborn}


def test_the_first_check_of_a_later_day_rechecks_only_what_the_day_changed(new_store):
    """Each household's findings are kept with the first day they may differ (a birthday, a deadline);
    a check on a later day re-checks those households and gives the full check's answer."""
    fill_store(new_store, 120, seed=23, flaws=0.2, year=WALK_YEAR)
    dated = _dated_records(new_store)
    with new_store.engine.connect() as conn:
        households = conn.execute(select(func.count()).select_from(Household)).scalar_one()

    def truth(day):
        with new_store.engine.connect() as conn:
            return sorted(check_store(conn, Context.for_store(conn, WALK_YEAR, day)), key=_key)

    assert checks.check(new_store, WALK_YEAR, today=WALK_START).full
    changed_by_day: set[str] = set()
    previous = truth(WALK_START)
    walk = [WALK_START + timedelta(days=n) for n in (1, 2, 3, 6, 13, 25, 40, 51, 52, 60, 90, 150, 200)]
    walk += [date(2024, 12, 30), date(2024, 12, 31)]
    for day in walk:
        expected = truth(day)
        run = checks.check(new_store, WALK_YEAR, want_findings=True, today=day)
        assert not run.full, day
        assert sorted(run.findings, key=_key) == expected, day
        assert _marks(new_store) == _expected_marks(new_store, expected), day
        if day - timedelta(days=1) in (WALK_START, *walk) and day != date(2024, 12, 31):
            # the next day: only the households whose answer could change were read again (a birthday,
            # a deadline); on the last day of the year ages stop moving, and every household is read
            assert run.rechecked <= households / 10, (day, run.rechecked)
        changed_by_day |= {f.household for f in set(previous) ^ set(expected)}
        previous = expected
    # the walk proves something: the dated records, and birthdays (ages) elsewhere, changed findings
    assert set(dated.values()) <= changed_by_day, "each dated record changes its household's findings"
    assert len(changed_by_day - set(dated.values())) >= 5, changed_by_day
    # the new year: a full check
    assert checks.check(new_store, WALK_YEAR, today=date(2025, 1, 1)).full


def test_a_rule_parameter_from_the_county_makes_the_next_check_a_full_one(new_store):
    """The county's rule parameters arrive in down packages, in no household's rows: the kept findings
    answer for the parameters they were made with only."""
    fill_store(new_store, 10, seed=5, year=WALK_YEAR)
    with new_store.engine.connect() as conn:
        household = conn.execute(select(Household.id).order_by(Household.id).limit(1)).scalar_one()
    with svc.unit_of_work(new_store) as uow:
        started = procedures.start_procedure(uow, household, "识别纳入", date(2024, 5, 1), channel="农户自主申报")
        procedures.record_step(uow, started, "村内公示", date(2024, 5, 2), end_on=date(2024, 5, 7))  # 6 days
    assert checks.check(new_store, WALK_YEAR, today=WALK_START).full
    with new_store.engine.begin() as conn:  # the county asks for 7 days of 村内公示 from now on
        assert apply_reference(conn, RefValue("param", "publicity_min_days", "00", 2021, None, 7, "county", 1))
    run = checks.check(new_store, WALK_YEAR, want_findings=True, today=WALK_START + timedelta(days=1))
    assert run.full
    assert any(f.rule == "PROC-02" and f.household == household for f in run.findings)


def test_today_notes_when_an_answer_would_differ():
    today = Today.of(date(2024, 5, 10))
    cases = [
        (lambda: today > date(2024, 5, 12), date(2024, 5, 13)),  # overdue from the day after
        (lambda: date(2024, 5, 12) < today, date(2024, 5, 13)),  # the same, the other way round
        (lambda: date(2024, 7, 1) > today, date(2024, 7, 1)),  # in the future until that day
        (lambda: today >= date(2024, 6, 1), date(2024, 6, 1)),
        (lambda: today <= date(2024, 5, 10), date(2024, 5, 11)),
        (lambda: today > date(2024, 5, 1), None),  # true for ever after
        (lambda: today == date(2024, 5, 10), date(2024, 5, 11)),
        (lambda: min(date(2024, 12, 31), today), date(2024, 12, 31)),
        (lambda: today.age_of(date(2000, 8, 3)), date(2024, 8, 3)),
        (lambda: today.age_of(date(2000, 2, 29)), date(2025, 3, 1)),  # 2025 has no 29 February
        (lambda: (today.year, today.month), date(2024, 6, 1)),
        (lambda: today - date(2024, 1, 1), date(2024, 5, 11)),  # arithmetic: tomorrow, to be safe
        (lambda: f"{today}", date(2024, 5, 11)),
    ]
    for i, (ask, until) in enumerate(cases):
        with recording() as horizon:
            ask()
        assert horizon.until == until, i
    assert today.age_of(date(2000, 5, 11)) == 23 and today.age_of(date(2000, 5, 10)) == 24
    again = pickle.loads(pickle.dumps(today))  # sent to the check's worker processes
    assert type(again) is Today and again.plain == date(2024, 5, 10)
    assert type(Today.today()) is Today and type(Today.fromordinal(1)) is date  # only today is a Today
    ask()  # outside a recording nothing is noted, nothing fails


def test_the_fingerprint_is_the_same_in_another_process():
    """The kept state is written by one run of the program and read by the next."""
    code = ("from datetime import date; from fupin_desktop.validation.engine import Context; "
            "from fupin_desktop.validation.incremental import fingerprint; "
            "print(fingerprint(Context(year=2024, today=date(2024, 5, 1))))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout.strip()
    assert other == incremental.fingerprint(Context(year=2024, today=date(2024, 5, 1)))


def test_every_table_the_rules_read_notes_the_households_written(new_store):
    """A table the validation load reads without a check_dirty trigger would let a re-check keep a
    stale finding; each trigger must name the household of the row written."""






    fill_store(new_store, 3, seed=2)
    read: set[str] = set()

    def seen(conn, cursor, statement, *args):
        read.update(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", statement))

    with new_store.engine.connect() as conn:
        ids = conn.execute(select(Household.id)).scalars().all()
        event.listen(conn, "before_cursor_execute", seen)
        load_households(conn, ids, VALIDATION_PARTS)
        event.remove(conn, "before_cursor_execute", seen)
        triggers = set(conn.execute(text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                                         "AND name LIKE 'check_dirty_%'")).scalars())
    assert read and read <= triggers, read - triggers
    for table in sorted(read):
        with new_store.engine.begin() as conn:
            conn.execute(text("DELETE FROM check_dirty"))
            row = conn.execute(text(f"SELECT rowid FROM {table} LIMIT 1")).scalar()
            if row is None:
                continue
            first = conn.execute(text(f"SELECT * FROM {table} WHERE rowid = :r"), {"r": row}).mappings().one()
            column = next(c for c in first if c not in {"id", "household_id", "member_id", "income_id"})
            conn.execute(text(f"UPDATE {table} SET {column} = {column} WHERE rowid = :r"), {"r": row})
            dirty = conn.execute(select(CheckDirty.household_id)).scalars().all()
        assert len(dirty) == 1 and dirty[0] in ids, table


@pytest.mark.parametrize("max_cross", [incremental.MAX_CROSS, 10])
def test_a_recheck_of_many_written_households_on_the_workers_equals_the_full_check(new_store, monkeypatch,
                                                                                   max_cross):
    """Past MAX_DIRTY written households (a routine down package), their own rules run on the worker
    processes while the cross-household rules run here: still the full check's answer, and the keys kept
    for the next re-check are the full check's too. Past MAX_CROSS, the cross-household rules run over
    the whole store first and give the written households' keys."""
    fill_store(new_store, 150, seed=12, flaws=0.2)
    monkeypatch.setattr(parallel, "MIN_PER_WORKER", 20)  # two workers for 150 households
    monkeypatch.setattr(incremental, "MAX_DIRTY", 5)
    monkeypatch.setattr(incremental, "MAX_CROSS", max_cross)
    assert checks.check(new_store, YEAR).full
    rng = random.Random(20261207)
    started = []
    real = parallel.parallel_own
    monkeypatch.setattr(checks, "parallel_own", lambda *a: started.append(len(a[4])) or real(*a))
    for round_no in range(3):
        done = [_edit(new_store, rng) for _ in range(40)]
        truth = _truth(new_store)
        run = checks.check(new_store, YEAR, want_findings=True)
        assert not run.full and run.rechecked > incremental.MAX_DIRTY, (round_no, run.rechecked)
        assert started and started[-1] == run.rechecked  # on the workers
        assert sorted(run.findings, key=_key) == truth, (round_no, done)
        assert _marks(new_store) == _expected_marks(new_store, truth), (round_no, done)
        with new_store.engine.connect() as conn:
            kept = {(h, k) for h, k in conn.execute(select(CheckKey.household_id, CheckKey.key))}
            assert kept == set(store_keys(conn, Context.for_store(conn, YEAR), None)), (round_no, done)
