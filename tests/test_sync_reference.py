"""Reference data from the county (issue 13 item 6) against a real PostgreSQL county: a 2027 monitoring line
set with `fupin county thresholds set` reaches laptops over HTTP and by USB folders and changes what
`fupin check --year 2027` finds; a program upgrade with newer shipped values keeps the county's value."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import text

from fupin_desktop import reference
from fupin_desktop.cli import main
from fupin_desktop.county.down import export_down
from fupin_desktop.county.refdata import set_param, set_thresholds
from fupin_desktop.reference import shipped_params
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.sync.client import push
from fupin_desktop.sync.pull import pull
from fupin_desktop.sync.received import apply_files

from .conftest import COUNTY_PASSPHRASE, PASSWORD
from .county_net_support import CountyServer
from .down_support import laptop
from .sync_support import export, import_all
from .test_reference_data import _low_income_household, _upgraded_resources


@pytest.fixture
def server(county, county_db_url, tmp_path):
    running = CountyServer(county_db_url, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("FUPIN_COUNTY_PASSWORD", COUNTY_PASSPHRASE)


def _check_2027(store: Store, capsys) -> set[str]:
    """`fupin check --year 2027` on the laptop, as a person would run it: the rules it reports."""
    capsys.readouterr()
    assert main(["check", "--store", str(store.path), "--year", "2027", "--json"]) == 0
    return {f["rule"] for f in json.loads(capsys.readouterr().out)}


def _line(store: Store, year: int) -> tuple[Decimal, str, int] | None:
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT amount, origin, version FROM threshold WHERE province_code = '00' "
                                "AND year = :y AND kind = '监测'"), {"y": year}).first()
    return None if row is None else (Decimal(row[0]) / 100, row[1], row[2])


def _with_low_income(store: Store) -> None:
    with unit_of_work(store) as uow:
        create_households(uow, [_low_income_household(2027)])


def test_a_2027_line_set_at_the_county_reaches_a_laptop_over_http_and_changes_the_check(
        tmp_path, county, county_db_url, server, env, capsys):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    _with_low_income(a)
    push(a, server.url)
    a.close()  # `fupin check` opens the store itself
    assert "INC-17" in _check_2027(a, capsys)  # no 2027 line: said, not passed silently
    assert main(["county", "thresholds", "set", "--year", "2027", "--monitoring-line", "7900",
                 "--source", "县乡村振兴局〔2027〕1号", "--db-url", county_db_url]) == 0
    listed = json.loads((capsys.readouterr(), main(["county", "thresholds", "list", "--year", "2027", "--json",
                                                    "--db-url", county_db_url]), capsys.readouterr().out)[2])
    assert [(r["name"], r["value"], r["origin"]) for r in listed] == [("监测", "7900", "county")]
    a = Store.open(a.path, "admin", PASSWORD)
    result = pull(a, server.url)
    assert sum(r.reference for r in result.applied) == 1
    assert _line(a, 2027) == (Decimal("7900"), "county", 1)
    a.close()
    rules = _check_2027(a, capsys)
    assert "INC-05" in rules and "INC-17" not in rules  # 5,000 per person is under the county's 7,900 line

    # A newer program ships its own 2027 line (and a new 2028 one): the county's value stays.
    upgraded = _upgraded_resources(tmp_path / "newer")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reference, "resources_dir", lambda: upgraded)
        shipped_params.cache_clear()
        try:
            with Store.open(a.path, "admin", PASSWORD) as store:
                assert _line(store, 2027) == (Decimal("7900"), "county", 1)
                assert _line(store, 2028) == (Decimal("8000"), "shipped", 0)
        finally:
            shipped_params.cache_clear()


def test_a_line_and_a_parameter_reach_a_laptop_by_usb_and_the_newest_wins(tmp_path, county, env, capsys):
    engine, keys = county
    b = laptop(tmp_path, "二号机", engine, keys)
    _with_low_income(b)
    import_all(engine, keys, export(b, tmp_path / "up"))  # the county learns of the laptop from its first package
    set_thresholds(engine, year=2027, lines={"监测": "6000"}, source="初定")
    set_thresholds(engine, year=2027, lines={"监测": "7900"}, source="县乡村振兴局〔2027〕1号")
    set_param(engine, name="wage_income_min", value="300", year_from=2014, year_to=None, source="县里核定")
    paths = export_down(engine, keys, tmp_path / "usb")
    assert paths
    [(_, applied)] = list(apply_files(b, [tmp_path / "usb"]))
    assert applied.reference == 3
    assert _line(b, 2027) == (Decimal("7900"), "county", 2)  # the newer of the two versions
    with b.engine.connect() as conn:
        value = conn.execute(text("SELECT value, origin FROM rule_param WHERE name = 'wage_income_min'")).one()
        assert (json.loads(value[0]), value[1]) == (300, "county")
        marks = conn.execute(text("SELECT error_count FROM household")).scalar_one()
    assert marks >= 1  # the validation marks were refreshed with the new line
    # Nothing new at the county: the stick gets the same package again (until the laptop says it has it),
    # and applying it twice changes nothing.
    again = export_down(engine, keys, tmp_path / "usb2")
    assert [p.name for p in again] == [p.name for p in paths] and again[0].read_bytes() == paths[0].read_bytes()
    assert [r.already for _, r in apply_files(b, [tmp_path / "usb2"])] == [True]
    b.close()
    assert "INC-05" in _check_2027(b, capsys)


def test_bad_threshold_input_is_refused_in_chinese_and_changes_nothing(county_db_url, county, env, capsys):
    db = ["--db-url", county_db_url]
    capsys.readouterr()
    assert main(["county", "thresholds", "set", "--year", "2027", "--monitoring-line", "七千", "--source", "x",
                 *db]) != 0
    assert "不是数字" in capsys.readouterr().err
    assert main(["county", "thresholds", "set", "--year", "2027", "--monitoring-line", "7900", *db]) != 0
    assert "依据" in capsys.readouterr().err
    assert main(["county", "params", "set", "no_such_param", "3", "--source", "x", *db]) != 0
    assert "没有名为" in capsys.readouterr().err
    engine, _ = county
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reference_value")).scalar_one() == 0
