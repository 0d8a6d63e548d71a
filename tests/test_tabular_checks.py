"""The import's dry run is the store's check: a file with one error of each member rule has every
one listed before anything is written, ``partial`` leaves out exactly those households, and the
whole-store check afterwards finds nothing the dry run did not list. Coded values come in as the
code tables' labels, whatever the file wrote."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import Household, HouseholdYear, Member
from fupin_desktop.services.checks import run_check
from fupin_desktop.tabular.importer import ImportOptions, run_import

from .test_tabular import HEADER, born, dump, idn, person, said, xlsx


def errors(report) -> list[str]:
    return [str(p) for p in report.errors]


# One household per member rule, each with exactly one mistake in a value the file gives.
STORE = [HEADER, person("X1", "石", "石一", 501, "户主", group="第三组"), person("Y1", "严", "严一", 503, "户主")]


def faulty_file(path):
    girl_son = person("H2", "乙", "乙子", 512, "之子")  # 512 is a woman's number: REL-02
    wrong_gender = person("H3", "丙", "丙", 515, "户主")
    wrong_gender[4] = "女"  # the ID number says 男: ID-03
    rows = [HEADER,
            person("H1", "甲", "甲", 511, "户主", group="3组"), person("H1", "甲", "甲妻", 510, "配偶", group="03组"),
            person("H2", "乙", "乙", 513, "户主"), girl_son,
            wrong_gender,
            person("H4", "丁", "丁", 517, "户主", phone="1234567"),  # TEL-01: seven digits
            person("H5", "戊", "戊", 519, "户主", born="1990-01-01"),  # ID-02: the ID number says 1980
            person("H6", "己", "己", 521, "户主"), person("H6", "己", "己夫", 523, "配偶"),  # REL-01: both 男
            person("H7", "庚", "庚", 525, "户主"), person("H7", "庚", "同一人", 527, "之子"),
            # one person in two households of the file
            person("H8", "辛", "辛", 529, "户主"), person("H8", "辛", "同一人", 527, "之子"),
            person("Y1", "严", "严一", 503, "户主"), person("Y1", "严", "石一", 501, "之子"),  # 石一 lives in X1
            # refused while reading (a 3-digit ID number), and still checked: its other error is listed too
            person("H9", "壬", "壬", 531, "户主", id_no="123"), person("H9", "壬", "壬子", 532, "之子")]
    return xlsx(path, rows)


EXPECTED = [
    "第5行 与户主关系：乙子 与户主关系“之子”与性别“女”不符",
    "第6行 性别：丙 性别“女”与证件号码（男）不一致",
    "第7行 联系电话：联系电话“1234567”不是有效的手机号码（应为1开头的11位数字）",
    f"第8行 出生日期：戊 出生日期 1990-01-01 与证件号码（{born(519)}）不一致",
    "第10行 性别：户主 己 与配偶 己夫 性别相同（均为男）",
    "第12行 证件号码：与第14行是同一人，出现在另一户中",
    f"第12行 身份证号：同一人 证件号码 {idn(527)[:6]}…在另外 1 户中也登记为在册成员（一人多户）",
    f"第14行 证件号码：与第12行是同一人（证件号码 {idn(527)}），出现在另一户中",
    f"第14行 身份证号：同一人 证件号码 {idn(527)[:6]}…在另外 1 户中也登记为在册成员（一人多户）",
    "第16行 证件号码：此人在库里属于另一户，请先在程序中办理迁移",
    "第17行 身份证号：长度为3位（应为18、20或22位）",
    "第18行 与户主关系：壬子 与户主关系“之子”与性别“女”不符",
]


def test_the_dry_run_lists_every_member_rule_and_partial_leaves_exactly_those_out(new_store, tmp_path):
    assert run_import(new_store, xlsx(tmp_path / "store.xlsx", STORE)).applied
    path = faulty_file(tmp_path / "faulty.xlsx")
    before = dump(new_store)
    dry = run_import(new_store, path, ImportOptions(dry_run=True))
    assert errors(dry) == EXPECTED, errors(dry)
    assert dry.blocked and dry.rejected == 9 and dump(new_store) == before
    plain = run_import(new_store, path)  # all or nothing: the same list, nothing written
    assert errors(plain) == EXPECTED and not plain.applied and dump(new_store) == before
    with new_store.engine.connect() as conn:
        existing = set(conn.execute(select(Household.id)).scalars())
    partial = run_import(new_store, path, ImportOptions(dry_run=True, partial=True))
    assert errors(partial) == EXPECTED and partial.count("create") == 1
    report = run_import(new_store, path, ImportOptions(partial=True, rejected_path=tmp_path / "r.xlsx"))
    assert report.applied and report.count("create") == 1 and errors(report) == EXPECTED
    listed = {(p.row, p.message) for p in partial.problems}
    findings, _ = run_check(new_store)
    new = [f for f in findings if f.household not in existing]
    assert new and all(any(f.message == m for _, m in listed) for f in new), \
        [f.message for f in new if not any(f.message == m for _, m in listed)]
    with new_store.engine.connect() as conn:
        names = set(conn.execute(select(Member.name)).scalars())
        groups = set(conn.execute(select(Household.group_name)).scalars())
    assert names == {"石一", "严一", "甲", "甲妻"}
    assert groups == {"第三组", "一组"}  # 3组 and 03组 are the village's 第三组


def test_codes_synonyms_and_blank_birth_dates_are_read_as_the_code_tables_say(new_store, tmp_path):
    header = ["户编号", "姓名", "性别", "身份证号", "与户主关系", "出生日期", "民族", "主要致贫原因", "年度"]
    rows = [header,
            ["N1", "钱一", 1, idn(601), "01", None, "汉", "缺劳动力", 2024],  # codes as numbers and synonyms
            ["N1", "钱二", "２", idn(600), " 妻子 ", "", "01", None, 2024],  # full width 2, stray spaces
            # a date as a CSV keeps a date cell; 8 is 缺劳力
            ["N2", "孙一", "男", idn(603), "户主", born(603).replace("-", "/") + " 0:00", "汉族", 8, 2024],
            ["N3", "李一", "男", idn(605), "户主", None, "汉族", "缺钱", 2024]]  # not in the code table
    report = run_import(new_store, xlsx(tmp_path / "codes.xlsx", rows), ImportOptions(partial=True,
                                                                                    rejected_path=tmp_path / "r.xlsx"))
    assert errors(report) == ["第5行 主要致贫原因：“缺钱”不在代码表中"]
    assert said(report, "info") == [f"第2行 出生日期：未填，按证件号码填为“{born(601)}”",
                                    f"第3行 出生日期：未填，按证件号码填为“{born(600)}”",
                                    f"第5行 出生日期：未填，按证件号码填为“{born(605)}”"]
    with new_store.engine.connect() as conn:
        people = {r.name: r for r in conn.execute(select(Member)).all()}
        causes = sorted(conn.execute(select(HouseholdYear.main_cause)).scalars())
    assert {n: (p.gender, p.relation, p.ethnicity, str(p.birth_date)) for n, p in people.items()} == {
        "钱一": ("男", "户主", "汉族", born(601)), "钱二": ("女", "配偶", "汉族", born(600)),
        "孙一": ("男", "户主", "汉族", born(603))}
    assert causes == ["缺劳力", "缺劳力"]  # one cause, not three


def test_a_value_the_person_maps_is_read_as_that_label_and_a_wrong_mapping_is_refused(new_store, tmp_path):
    rows = [["户编号", "姓名", "身份证号", "与户主关系", "主要致贫原因", "年度"],
            ["V1", "郭一", idn(611), "户主", "缺钱", 2024]]
    path = xlsx(tmp_path / "values.xlsx", rows)
    assert errors(run_import(new_store, path, ImportOptions(dry_run=True))) == [
        "第2行 主要致贫原因：“缺钱”不在代码表中"]
    report = run_import(new_store, path, ImportOptions(values={"主要致贫原因": {"缺钱": "9"}}))
    assert report.applied and not report.errors
    with new_store.engine.connect() as conn:
        assert conn.execute(select(HouseholdYear.main_cause)).scalars().all() == ["缺资金"]
    with pytest.raises(InvalidInput, match="值对应：列“主要致贫原因”的“没钱”不在代码表“致贫原因”中"):
        run_import(new_store, path, ImportOptions(values={"household_year.main_cause": {"缺钱": "没钱"}}))
