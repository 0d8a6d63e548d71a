"""Spreadsheet import and export: messy real-world files built here with openpyxl, round trips,
all-or-nothing, and the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from fupin_desktop.cli import main
from fupin_desktop.errors import Cancelled, InvalidInput
from fupin_desktop.model import ChangeLog, Household, HouseholdYear, Member
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.checks import mark_store
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.settings import for_store
from fupin_desktop.store.backups import backup_folder, list_backups
from fupin_desktop.store.store import Store
from fupin_desktop.tabular import importer
from fupin_desktop.tabular.exporter import export_xlsx
from fupin_desktop.tabular.importer import ImportOptions, run_import
from fupin_desktop.validation.idnumber import make_id

from .conftest import PASSWORD, VILLAGE
from .factories import household

HEADER = ["序号", "户编号", "户主", "姓名", "性别", "身份证号", "与户主关系", "出生日期", "村民小组", "联系电话"]


def idn(n: int) -> str:
    """A distinct valid ID number for each n."""
    return make_id("520102", date(1980, 1, 1) + timedelta(days=n // 500), n % 500)


def person(no: str | None, head: str, name: str, n: int, relation: str, **extra) -> list:
    return [None, no, head, name, "男" if n % 2 else "女", extra.get("id_no", idn(n)), relation,
            extra.get("born", born(n)), extra.get("group", "一组"), extra.get("phone", "13800000000")]


def born(n: int) -> str:
    """The birth date idn(n) holds: a file whose dates contradict its ID numbers is refused."""
    return str(date(1980, 1, 1) + timedelta(days=n // 500))


def xlsx(path: Path, rows: list[list], *, title_rows: int = 0, hidden_first: bool = False) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    if hidden_first:
        ws.title = "旧表"
        ws.append(["姓名", "证件号码"])
        ws.append(["不该导入", idn(999)])
        ws.sheet_state = "hidden"
        ws = book.create_sheet("花名册")
    for i in range(title_rows):
        ws.append(["某某村建档立卡户花名册" if i == 0 else "填报单位：某某村（盖章）"])
    if title_rows:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def said(report, *severities: str, checked: bool = False) -> list[str]:
    """The report's problems of these severities, as printed: those found reading the file, or
    (``checked``) those the store's rules found on the written households."""
    found = ([x for p in report.planned for x in p.group.checked] if checked else
             report.file_problems + [x for p in report.planned for x in p.group.problems])
    return [str(p) for p in sorted(found, key=lambda p: (p.row, p.column)) if p.severity in severities]


def dump(store: Store) -> dict[str, list]:
    """Every table's rows, sorted: the store's content, change log and clock included."""
    out = {}
    with store.engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars().all()
        for name in names:
            out[name] = sorted(map(repr, conn.execute(text(f'SELECT * FROM "{name}"')).all()))
    return out


def records(store: Store) -> list:
    """Households and members by their natural keys, without ids and derived columns."""
    def clean(table, row):
        return {k: v for k, v in row.items() if k not in ("id", "household_id", "updated_at")
                and not table.c[k].info.get("derived")}
    with store.engine.connect() as conn:
        hh = {r["id"]: r for r in conn.execute(select(Household)).mappings()}
        members = conn.execute(select(Member)).mappings().all()
    out = []
    for r in members:
        out.append((hh[r["household_id"]]["national_hh_no"], sorted(clean(Member.__table__, r).items()),
                    sorted(clean(Household.__table__, hh[r["household_id"]]).items())))
    return sorted(out, key=repr)


def marks(store: Store) -> list:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(Household.national_hh_no, Household.head_name, Household.member_count,
                                          Household.error_count, Household.warning_count)).all())


def year_facts(store: Store) -> list:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(HouseholdYear.main_cause, HouseholdYear.population)
                                   .where(HouseholdYear.year == 2024)).all(), key=lambda r: (r[0], -r[1]))


def log_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one()


# ---- real-world mess ---------------------------------------------------------------------------
def test_messy_file_is_read_with_titles_hidden_sheets_blank_rows_repeated_headers(new_store, tmp_path):
    fw = idn(11).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    old15 = "520102800101013"  # a legacy 15-digit number, stored as a number by Excel
    rows = [HEADER,
            person(None, "王 大", " 王 大 ", 11, "户主", id_no=fw, born=29221),  # row 4: full width, serial date
            person(None, "王大", "李 花", 12, "配偶", born="1980.1.1"),
            [None] * 10,  # a blank row ends the household
            HEADER,  # a header repeated on the next printed page
            person(None, "赵四", "赵四", 13, "户主", id_no=int(old15), group=2.0, phone=13912345678),
            person(None, "赵四", "赵小", 14, "之女", group="2", phone="13912345678")]
    path = xlsx(tmp_path / "messy.xlsx", rows, title_rows=2, hidden_first=True)
    report = run_import(new_store, path)
    assert report.header_row == 3 and report.sheet == "花名册"
    assert report.applied and report.count("create") == 2 and not report.errors, report.problems
    assert said(report, "warning", "info") == [
        "文件：工作表“旧表”是隐藏的工作表，未导入", "文件 序号：未导入的列：序号由程序按行排列，不导入",
        "第4行 村民小组：本村还没有“一组”，导入时将新建这个小组", "第7行：重复的表头行，已跳过",
        "第8行 村民小组：本村还没有“2”，导入时将新建这个小组",
        "第8行 身份证号：为15位旧号码，建议升级为18位"]
    with new_store.engine.connect() as conn:
        people = {r.name: r for r in conn.execute(select(Member)).all()}
        groups = conn.execute(select(Household.group_name, Household.phone).order_by(Household.group_name)).all()
    assert set(people) == {"王大", "李花", "赵四", "赵小"}  # the hidden sheet's person is not imported
    assert people["王大"].id_no == idn(11) and people["王大"].birth_date == date(1980, 1, 1)
    assert people["李花"].birth_date == date(1980, 1, 1)
    assert people["赵四"].id_no == old15
    assert people["王大"].household_id == people["李花"].household_id != people["赵四"].household_id
    assert groups == [("2", "13912345678"), ("一组", "13800000000")]


def test_lost_digits_and_bad_values_are_reported_with_their_place_and_nothing_is_written(new_store, tmp_path):
    rows = [HEADER,
            person("H1", "甲", "甲", 21, "户主", id_no=5.20102198001010e17),  # row 2: a number, digits gone
            person("H1", "甲", "乙", 22, "配偶", id_no="5.20102E+17"),  # row 3: scientific notation as text
            person("H2", "丙", "丙", 23, "户主", id_no=idn(23)[:-1] + ("0" if idn(23)[-1] != "0" else "1")),
            person("H2", "丙", "丁", 24, "之女", born="2019.13.5")]
    report = run_import(new_store, xlsx(tmp_path / "bad.xlsx", rows))
    messages = [str(p) for p in report.problems]
    assert any(m.startswith("第2行 身份证号：以数字形式保存") and "末尾数字已丢失" in m for m in messages)
    assert any(m.startswith("第3行 身份证号：是科学计数法") for m in messages)
    assert "第4行 身份证号：校验位错误" in messages
    assert "第5行 出生日期：日期不存在“2019.13.5”" in messages
    assert report.blocked and not report.applied
    assert log_count(new_store) == 0


def test_the_same_person_in_two_households_is_reported_in_both(new_store, tmp_path):
    rows = [HEADER, person("H1", "甲", "甲", 31, "户主"), person("H2", "乙", "乙", 32, "户主"),
            person("H2", "乙", "甲", 31, "之父")]
    report = run_import(new_store, xlsx(tmp_path / "dup.xlsx", rows))
    messages = [str(p) for p in report.problems]
    assert "第2行 证件号码：与第4行是同一人，出现在另一户中" in messages
    assert any(m.startswith("第4行 证件号码：与第2行是同一人") for m in messages)
    assert report.rejected == 2 and report.blocked


def test_without_numbers_or_blank_rows_the_head_name_column_groups_the_rows(new_store, tmp_path):
    rows = [["户主姓名", "姓名", "身份证号"], ["冯一", "冯一", idn(81)], ["冯一", "冯二", idn(82)],
            ["陈一", "陈一", idn(83)], ["陈一", "陈二", idn(84)], ["陈一", "陈三", idn(85)]]
    report = run_import(new_store, xlsx(tmp_path / "heads.xlsx", rows))
    assert [len(p.group.members()) for p in report.planned] == [2, 3]
    assert report.applied and said(report, "warning") == ["第2行 与户主关系：这一户没有户主",
                                                          "第4行 与户主关系：这一户没有户主"]
    # What the file leaves blank is listed as 待补 (the store's check will say it too), not refused.
    assert "第2行：本户在册成员中没有户主" in said(report, "missing", checked=True) and not report.errors
    assert said(report, "info") == ["文件 出生日期：文件中没有这一列，5人按证件号码填入",
                                    "文件 性别：文件中没有这一列，5人按证件号码填入"]


def test_csv_in_gbk_and_utf8_with_bom(new_store, tmp_path):
    lines = [",".join(HEADER)] + [",".join("" if v is None else str(v) for v in person("G1", "钱", "钱", 41, "户主")),
                                  ",".join("" if v is None else str(v) for v in person("G1", "钱", "孙", 42, "配偶"))]
    (tmp_path / "gbk.csv").write_bytes("\r\n".join(lines).encode("gbk"))
    report = run_import(new_store, tmp_path / "gbk.csv")
    assert report.count("create") == 1 and report.applied
    (tmp_path / "utf8.csv").write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    again = run_import(new_store, tmp_path / "utf8.csv")
    assert again.count("unchanged") == 1 and again.count("create") == 0


def test_mapping_overrides_and_unknown_files_are_refused_in_chinese(new_store, tmp_path):
    rows = [["成员", "号码", "户"], ["周一", idn(51), "H9"]]
    path = xlsx(tmp_path / "odd.xlsx", rows)
    with pytest.raises(InvalidInput) as err:
        run_import(new_store, path)
    assert "没有找到表头" in str(err.value)
    mapping = {"成员": "姓名", "号码": "证件号码", "户": "户编号"}
    report = run_import(new_store, path, ImportOptions(mapping=mapping))
    assert report.applied and report.count("create") == 1
    with pytest.raises(InvalidInput, match="没有名为“旧表”的工作表"):
        run_import(new_store, xlsx(tmp_path / "h.xlsx", [HEADER], hidden_first=True), ImportOptions(sheet="旧表"))
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match="旧版 Excel"):
        run_import(new_store, tmp_path / "x.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="不是有效的 .xlsx"):
        run_import(new_store, tmp_path / "broken.xlsx")


# ---- round trip, re-import, newer file ---------------------------------------------------------
@pytest.fixture
def filled(new_store):
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, [household("张三", hh_no=f"52010200300400{i:02d}", extra_members=1 + i % 3)
                                    for i in range(6)])
    return new_store


def _ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return search_households(conn, SearchQuery())


def test_export_then_import_gives_identical_records_and_reimport_changes_nothing(filled, tmp_path):
    out = tmp_path / "roster.xlsx"
    assert export_xlsx(filled, _ids(filled), out) == 6 + sum(1 + i % 3 for i in range(6))
    ws = openpyxl.load_workbook(out).active
    id_col = [c.value for c in ws[1]].index("证件号码") + 1
    assert ws.cell(2, id_col).data_type == "s" and ws.cell(2, id_col).number_format == "@"
    other, _ = Store.create(tmp_path / "other", village_code=VILLAGE, village_name="乙村", username="admin",
                            password=PASSWORD)
    with other:
        report = run_import(other, out)
        assert report.count("create") == 6 and not report.errors
        assert records(other) == records(filled)
        imported_marks = marks(other)
        mark_store(other)  # the whole-store check agrees with the import's bulk check
        assert marks(other) == imported_marks and any(m[3] or m[4] for m in imported_marks)
        assert year_facts(other) == year_facts(filled) == [("因病", 4)] * 2 + [("因病", 3)] * 2 + [("因病", 2)] * 2
        folder = backup_folder(other.path, for_store(other))
        assert [b.kind for b in list_backups(folder, other.store_id)].count("import") == 1  # backed up first
        before = dump(other)
        again = run_import(other, out)
        assert again.count("unchanged") == 6 and again.count("update") == again.count("create") == 0
        assert dump(other) == before
        assert [b.kind for b in list_backups(folder,
                                             other.store_id)].count("import") == 1  # nothing to write, no backup


def test_a_newer_file_updates_only_what_changed_through_the_change_log(filled, tmp_path):
    out = tmp_path / "roster.xlsx"
    export_xlsx(filled, _ids(filled), out)
    book = openpyxl.load_workbook(out)
    ws = book.active
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("成员联系电话") + 1).value = "13999999999"
    relation = header.index("与户主关系") + 1
    head = [r for r in range(2, ws.max_row + 1) if ws.cell(r, relation).value == "户主"][1]
    ws.cell(head, header.index("主要致贫原因") + 1).value = "因学"  # the head of the second household
    ws.cell(head + 1, header.index("主要致贫原因") + 1).value = "因灾"  # another member's row disagrees
    book.save(out)
    logged = log_count(filled)
    report = run_import(filled, out)
    assert (report.count("update"), report.count("unchanged")) == (2, 4)
    assert [str(p) for p in report.problems if "主要致贫原因：与本户" in str(p)] == [
        f"第{head + 1}行 主要致贫原因：与本户第{head}行不同（“因灾”和“因学”），采用第{head}行的",
        f"第{head + 2}行 主要致贫原因：与本户第{head}行不同（“因病”和“因学”），采用第{head}行的"]
    with filled.engine.connect() as conn:
        entries = conn.execute(select(ChangeLog.entity, ChangeLog.op, ChangeLog.fields)
                               .order_by(ChangeLog.hlc)).all()[logged:]
    assert [(e.entity, e.op) for e in entries] == [("member", "update"), ("household_year", "update")]
    assert json.loads(entries[0].fields) == {"phone": [None, "13999999999"]}
    assert json.loads(entries[1].fields) == {"main_cause": ["因病", "因学"]}


def test_a_file_failing_at_row_900_of_1000_leaves_the_store_unchanged(filled, tmp_path):
    rows = [HEADER]
    for n in range(999):
        son = "之子" if (100 + n) % 2 else "之女"  # person() makes odd numbers men
        rows.append(person(f"B{n // 4}", f"户{n // 4}", f"人{n}", 100 + n, "户主" if n % 4 == 0 else son))
    rows.insert(900 - 1, person("B900", "坏", "坏", 1, "户主", id_no="52010219800101001"))  # row 900: 17 digits
    before = dump(filled)
    report = run_import(filled, xlsx(tmp_path / "big.xlsx", rows))
    assert [str(p) for p in report.errors] == ["第900行 身份证号：长度为17位（应为18、20或22位）"]
    assert report.blocked and dump(filled) == before


def test_a_write_failing_half_way_rolls_everything_back(filled, tmp_path, monkeypatch):
    rows = [HEADER] + [person(f"C{n}", f"户{n}", f"人{n}", 300 + n, "户主") for n in range(1200)]
    path = xlsx(tmp_path / "c.xlsx", rows)
    real, calls = importer.create_households, []

    def failing(uow, bundles, **kw):
        calls.append(len(bundles))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(uow, bundles, **kw)

    monkeypatch.setattr(importer, "create_households", failing)
    before = dump(filled)
    with pytest.raises(OSError):
        run_import(filled, path)
    assert calls == [500, 500] and dump(filled) == before


def test_partial_imports_the_good_households_and_writes_the_rejected_rows(new_store, tmp_path):
    rows = [HEADER, person("P1", "好", "好", 61, "户主"), person("P2", "坏", "坏", 62, "户主", id_no="123"),
            person("P2", "坏", "坏妻", 63, "配偶")]
    target = tmp_path / "rejected.xlsx"
    report = run_import(new_store, xlsx(tmp_path / "p.xlsx", rows),
                        ImportOptions(partial=True, rejected_path=target))
    assert report.applied and report.count("create") == 1 and report.rejected == 1
    ws = openpyxl.load_workbook(target).active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[0] == HEADER + ["问题"]
    assert [v[3] for v in values[1:]] == ["坏", "坏妻"]
    assert values[1][-1] == "第3行 身份证号：长度为3位（应为18、20或22位）"
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Member.name)).scalars().all() == ["好"]


# ---- the commands --------------------------------------------------------------------------------
def test_cli_import_and_export(filled, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    store = str(filled.path)
    out = tmp_path / "m.xlsx"
    assert main(["export-xlsx", "--store", store, "-o", str(out), "--what", "measures"]) == 0
    assert main(["export-xlsx", "--store", store, "-o", str(tmp_path / "i.xlsx"), "--what", "income"]) == 0
    income = openpyxl.load_workbook(tmp_path / "i.xlsx").active
    assert [c.value for c in income[1]][:4] == ["户编号", "村民小组", "户主姓名", "在册人数"]
    assert income.max_row == 7
    assert main(["export-xlsx", "--store", store, "-o", str(tmp_path / "r.xlsx")]) == 0
    capsys.readouterr()
    assert main(["import-xlsx", "--store", store, str(tmp_path / "r.xlsx"), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["created"], report["updated"], report["unchanged"], report["problems"]) == (0, 0, 6, [])
    bad = xlsx(tmp_path / "bad.xlsx", [HEADER, person("Z", "z", "z", 1, "户主", id_no="1")])
    before = dump(filled)
    assert main(["import-xlsx", "--store", store, str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    problem = next(p for p in json.loads(captured.out)["problems"] if p["severity"] == "error")
    assert problem == {"row": 2, "column": "身份证号", "message": "长度为1位（应为18、20或22位）", "severity": "error"}
    assert "没有导入任何内容" in captured.err and dump(filled) == before
    (tmp_path / "map.json").write_text("{oops", "utf-8")
    assert main(["import-xlsx", "--store", store, str(bad), "--mapping", str(tmp_path / "map.json")]) == 2
    assert "不是有效的 JSON" in capsys.readouterr().err


def test_cancelling_an_import_changes_nothing(filled, tmp_path):
    path = xlsx(tmp_path / "k.xlsx", [HEADER] + [person(f"K{n}", "k", f"k{n}", 700 + n, "户主") for n in range(3)])
    before = dump(filled)
    with pytest.raises(Cancelled):
        run_import(filled, path, cancel=lambda: True)
    assert dump(filled) == before


def test_a_large_import_is_checked_in_bulk_like_the_whole_store_check(new_store, tmp_path):
    rows = [HEADER] + [person(f"L{n // 2}", "l", f"l{n}", 900 + n, "户主" if n % 2 == 0 else "配偶",
                              phone="13800000000" if n < 6 else f"139{n:08d}") for n in range(500)]
    report = run_import(new_store, xlsx(tmp_path / "l.xlsx", rows))
    assert report.count("create") == 250
    imported = marks(new_store)
    mark_store(new_store)
    assert marks(new_store) == imported and sum(m[4] for m in imported) > 0
