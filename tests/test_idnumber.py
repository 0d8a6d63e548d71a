"""ID number rules (SPEC §7), with property tests."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from fupin_desktop.validation.idnumber import make_id, normalize, parse_id, upgrade_15

regions = st.sampled_from(["110105", "520102", "522729", "620502", "450103"])
birthdays = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
sequences = st.integers(0, 999)


@given(regions, birthdays, sequences)
def test_generated_ids_are_valid_and_say_birth_and_gender(region, born, seq):
    number = make_id(region, born, seq)
    info = parse_id(number)
    assert info.problem == ""
    assert ric.calc_check_digit(number) == number[-1]  # agrees with python-stdnum
    assert info.birth_date == born
    assert info.gender == ("男" if seq % 2 else "女")


@given(regions, birthdays, sequences, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(region, born, seq, position, delta):
    number = make_id(region, born, seq)
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1:]
    assert parse_id(changed).problem != ""


@given(regions, birthdays, sequences)
def test_full_width_and_lower_case_are_normalised(region, born, seq):
    number = make_id(region, born, seq)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in number)
    assert normalize(" " + wide + " ") == number
    assert parse_id(wide).problem == ""


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_fifteen_digit_ids_upgrade_to_the_same_person(region, born, seq):
    old = f"{region}{born:%y%m%d}{seq:03d}"
    info = parse_id(old)
    assert info.severity == "warning" and "15位" in info.problem
    assert info.birth_date == born
    assert parse_id(upgrade_15(old)).problem == ""


def test_disability_certificate_numbers():
    base = make_id("520102", date(1980, 1, 1), 11)
    assert parse_id(base + "41").disability_category == "肢体"
    assert parse_id(base + "41").problem == ""
    assert "类别或等级" in parse_id(base + "81").problem
    assert parse_id(base + "4101").severity == "warning"


def test_impossible_and_lost_numbers():
    assert "科学计数法" in parse_id("5.20102E+17").problem
    assert "长度" in parse_id("52010219800101").problem
    assert "出生日期不存在" in parse_id("520102198002300011").problem or parse_id("520102198002300011").problem
    future = make_id("520102", date(2024, 1, 1), 1).replace("2024", "2099", 1)
    assert parse_id(future).problem
    assert parse_id("").problem == "未填写"
