"""Issue 18, item 2: the procedure's printed forms read back from real PDFs — the 公示名单 lists exactly the
procedures reviewed or posted in the period with what was recorded (and nothing private), the
申请及承诺授权书 every member with their ID number, the record sheet every step as it was saved."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from fupin_desktop.errors import InvalidInput
from fupin_desktop.forms import Scope, render, render_bytes
from fupin_desktop.forms.command import add_print_arguments, run_print
from fupin_desktop.forms.procedure_forms import public_note
from fupin_desktop.procedure import limits, procedure_state
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.procedures import close_procedure, record_step, start_procedure
from fupin_desktop.store.store import Store
from tests.conftest import VILLAGE
from tests.factories import household
from tests.test_forms import stored, write

START = date(2026, 3, 1)
END = date(2026, 3, 31)
PHONE = "13812345678"


def lines_of(pdf: Path) -> list[str]:
    """Every printed line: the text drawn at one height of a page, left to right (so a table row's cells
    in order, a label then its value), whitespace removed."""
    found: list[str] = []
    for page in PdfReader(str(pdf)).pages:
        drawn: dict[int, list[tuple[float, str]]] = defaultdict(list)

        def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip():
                drawn[round(y)].append((x, text))

        page.extract_text(visitor_text=visit)
        for y in sorted(drawn, reverse=True):
            found.append(re.sub(r"\s+", "", "".join(t for _x, t in sorted(drawn[y]))))
    return found


def text_of(pdf: Path) -> str:
    """All the text in pypdf's reading order (a wrapped cell stays whole), whitespace removed."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(str(pdf)).pages))


# (head, number, group, kind, discovered, note, reviewed (days after), posted (days after, length) or None)
CASES = [
    ("赵识别", "5201020030048001", "第一组", "识别纳入", date(2026, 3, 2), "务工收入下降", 3, (4, 5)),
    ("钱识别", "5201020030048002", "第二组", "识别纳入", date(2026, 3, 10), "因病住院，低保边缘", 2, None),
    ("孙消除", "5201020030048003", "第三组", "风险消除", date(2026, 3, 5), f"收入回升，电话 {PHONE}", 1, (2, 5)),
    ("李退出", "5201020030048004", "第一组", "退出", date(2026, 3, 20), "稳定脱贫", 1, (2, 7)),
    # Reviewed and posted before the period: not on this list.
    ("周早前", "5201020030048005", "第一组", "识别纳入", date(2026, 2, 1), "务工收入下降", 3, (4, 5)),
    # Started in the period but not yet reviewed: nothing to post.
    ("吴未评", "5201020030048006", "第二组", "识别纳入", date(2026, 3, 25), "务工收入下降", None, None),
]


@pytest.fixture
def recorded(new_store: Store) -> dict[str, str]:
    """The six households with their procedures; returns each head's procedure id."""
    ids = write(new_store, [household(head, hh_no=number, group=group, extra_members=n % 3 + 1)
                            for n, (head, number, group, *_rest) in enumerate(CASES)])
    procedures = {}
    with unit_of_work(new_store) as uow:
        for hid, (head, _no, _g, kind, found, note, reviewed, posted) in zip(ids, CASES, strict=True):
            pid = start_procedure(uow, hid, kind, found, channel="农户自主申报", note=note)
            procedures[head] = pid
            if kind == "识别纳入":
                record_step(uow, pid, "申请", found)
                record_step(uow, pid, "承诺授权", found)
            if reviewed is None:
                continue
            record_step(uow, pid, "入户核实", found + timedelta(days=1), income_per_capita=6800)
            record_step(uow, pid, "民主评议", found + timedelta(days=reviewed),
                        result="同意，慢性病已控制" if head == "李退出" else "同意")
            if posted:
                record_step(uow, pid, "村内公示", found + timedelta(days=posted[0]),
                            end_on=found + timedelta(days=posted[0] + posted[1]), objections="无异议")
    return procedures


def test_publicity_lists_the_period_by_kind_as_recorded(new_store, recorded, tmp_path):
    pdf = tmp_path / "publicity.pdf"
    render("publicity", new_store, scope=Scope.village(VILLAGE), out=pdf, period=(START, END))
    lines, text = lines_of(pdf), text_of(pdf)
    assert f"（{START}至{END}）" in text
    assert [ln for ln in lines if "公示名单（" in ln] == ["识别纳入公示名单（2户）", "风险消除公示名单（1户）",
                                                      "退出公示名单（1户）"]
    size = {c[0]: len(stored(new_store, c[1]).active_members()) for c in CASES}
    assert sorted(size.values()) != [size["赵识别"]] * len(size)  # the sizes differ, so a mix-up would show
    # Notes print as typed ("，" stays "，").
    expected = [  # the row each procedure prints: group, head, family size, review date and result, posting
        f"1第一组赵识别{size['赵识别']}2026-03-05同意2026-03-06至2026-03-11务工收入下降",
        f"2第二组钱识别{size['钱识别']}2026-03-12同意（待公示）（不公开）",
        f"1第三组孙消除{size['孙消除']}2026-03-06同意2026-03-07至2026-03-12收入回升，电话（不公开）",
        f"1第一组李退出{size['李退出']}2026-03-21同意，（不公开）2026-03-22至2026-03-29稳定脱贫",
    ]
    for row in expected:
        assert row in lines, (row, [ln for ln in lines if ln[:1].isdigit()])
    assert "周早前" not in text and "吴未评" not in text
    # Public: no number of any kind (ID, phone, household number), no health or 低保 word, marked as masked.
    undated = re.sub(r"\d{4}-\d{2}-\d{2}", "", text)
    assert not re.search(r"\d{5,}", undated), re.findall(r"\d{5,}", undated)
    assert PHONE not in text and "病" not in text and "低保" not in text
    assert "公示用（已打码）" in text


def test_the_preview_lists_the_whole_village(new_store, recorded, tmp_path):
    """The print dialog renders at most a few households of per-household forms; a list is never cut."""
    data, _report = render_bytes("publicity", new_store, scope=Scope.village(VILLAGE), limit=1, period=(START, END))
    (tmp_path / "preview.pdf").write_bytes(data)
    assert all(head in text_of(tmp_path / "preview.pdf") for head in ("赵识别", "钱识别", "孙消除", "李退出"))


def test_a_public_note_hides_numbers_and_says_so_once():
    assert public_note("电话 138-1234-5678，务工") == "电话 （不公开），务工"
    assert public_note("（不公开），（不公开）") == "（不公开）"
    assert public_note("2026年3月收入下降") == "2026年3月收入下降"  # a year is not a number to hide


def test_consent_form_lists_every_member_with_their_id(new_store, recorded, tmp_path):
    pdf = tmp_path / "consent.pdf"
    hh = stored(new_store, "5201020030048001")
    render("consent", new_store, scope=Scope.households(["5201020030048001"]), out=pdf)
    lines, text = lines_of(pdf), text_of(pdf)
    members = hh.active_members()
    assert len(members) == 2
    for n, m in enumerate(members, start=1):
        assert f"{n}{m.fields['name']}{m.fields['relation']}{m.fields['id_no']}" in lines
    assert "申请事由务工收入下降" in text  # the identification's note
    assert "户主签字（按手印）" in text and "二、授权民政" in text


def test_procedure_sheet_prints_every_step_as_saved(new_store, recorded, tmp_path):
    with unit_of_work(new_store) as uow:
        record_step(uow, recorded["赵识别"], "乡镇审核", date(2026, 3, 13), result="同意", note="材料齐全")
    pdf = tmp_path / "procedure.pdf"
    render("procedure", new_store, scope=Scope.households(["5201020030048001", "5201020030048003"]), out=pdf)
    lines, text = lines_of(pdf), text_of(pdf)
    assert "申请2026-03-02admin" in lines and "承诺授权2026-03-02admin" in lines
    assert "入户核实2026-03-03核实人均纯收入6,800.00元admin" in lines or \
        "入户核实2026-03-03核实人均纯收入6800.00元admin" in lines, [ln for ln in lines if "入户核实" in ln]
    assert "民主评议2026-03-05同意admin" in lines
    assert "村内公示2026-03-06至2026-03-11异议：无异议admin" in lines
    assert "乡镇审核2026-03-13同意；材料齐全admin" in lines
    assert "情况说明务工收入下降" in text and "情况说明收入回升，电话13812345678" in text  # internal: in full
    # 风险消除 starts from the village's assessment: no application or authorisation is missing.
    assert text.count("（本程序不需要此环节）") == 2
    # The state printed is the one judge's, as of the printing day.
    hh = stored(new_store, "5201020030048001")
    proc = hh.procedures[0]
    state = procedure_state(proc, [s for s in hh.procedure_steps if s["procedure_id"] == proc["id"]],
                            limits(VILLAGE[:2], proc["year"]), date.today())
    assert state.next_step == "县级审定"
    assert f"办理状态{state.state}，下一环节“县级审定”应于{state.due}前完成" in text


def test_a_closed_procedure_prints_its_result(new_store, recorded, tmp_path):
    with unit_of_work(new_store) as uow:
        record_step(uow, recorded["李退出"], "乡镇审核", date(2026, 3, 30), result="同意")
        record_step(uow, recorded["李退出"], "县级审定", date(2026, 4, 2), result="同意退出")
        close_procedure(uow, recorded["李退出"], "退出")
    pdf = tmp_path / "closed.pdf"
    render("procedure", new_store, scope=Scope.households(["5201020030048004"]), out=pdf)
    text = text_of(pdf)
    assert "办理状态已办结" in text and "认定结果退出" in text and "县级审定2026-04-02同意退出admin" in text


def test_a_stopped_procedure_prints_as_stopped(new_store, recorded, tmp_path):
    with unit_of_work(new_store) as uow:
        close_procedure(uow, recorded["吴未评"], "农户撤回申请", stopped=True)
    pdf = tmp_path / "stopped.pdf"
    render("procedure", new_store, scope=Scope.households(["5201020030048006"]), out=pdf)
    text = text_of(pdf)
    assert "办理状态已终止" in text and "认定结果农户撤回申请" in text


def test_print_command_takes_a_date_range(new_store, recorded, tmp_path):
    parser = argparse.ArgumentParser()
    add_print_arguments(parser)
    said: list[str] = []

    class Opened:
        def __enter__(self):
            return new_store

        def __exit__(self, *exc):
            return False

    out = tmp_path / "list.pdf"
    args = parser.parse_args(["publicity", "--village", VILLAGE, "--from", "2026-03-01", "--to", "2026-03-31",
                              "-o", str(out)])
    assert run_print(args, Opened, said.append) == 0
    assert "（2026-03-01至2026-03-31）" in text_of(out) and "赵识别" in text_of(out)
    for bad, message in ((["--from", "2026-04-01", "--to", "2026-03-01"], "起止日期颠倒"),
                         (["--to", "2026-03-01"], "请同时给出起始日期"),
                         (["--from", "2026-02-30"], "起始日期")):
        with pytest.raises(InvalidInput, match=message):
            run_print(parser.parse_args(["publicity", "--village", VILLAGE, *bad, "-o", str(tmp_path / "x.pdf")]),
                      Opened, said.append)
