"""What a column declares about itself besides its type: the one place a field is described.

A column's ``info["field"]`` is a :class:`Field`: its Chinese label, code table, whether its digits
must stay text, and where it appears — a place in the editor, a roster column, a printed form — or
:class:`Omitted` with the reason it does not. ``model/layouts.py`` derives the editor's field lists,
the roster layout, the registration form's lists and the digit columns from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KeepText = Literal["digits", "id"]  # a number people keep as text; "id": an ID number (checked, 15 → 18)


@dataclass(frozen=True)
class Omitted:
    """Deliberately not shown in one place; the reason is for the next reader of the model."""

    reason: str


@dataclass(frozen=True)
class Section:
    """A group box on one of the editor's form tabs; ``title`` may name ``{year}``."""

    tab: str
    title: str

    def at(self, order: int) -> Place:
        return Place(self, order)


@dataclass(frozen=True)
class Place:
    section: Section
    order: int  # within the section; sections mix household and year columns


@dataclass(frozen=True)
class Part:
    """A list of label–value pairs on a printed form (e.g. 登记表's 户基本情况)."""

    form: str
    name: str

    def at(self, order: int, head: str | None = None, width: float = 1.0) -> Printed:
        return Printed(self, order, head, width)


@dataclass(frozen=True)
class Printed:
    """A place on a printed form. In a grid part (one column per field, e.g. the 登记表's member
    tables), ``head`` is the column header when shorter than the label ("|" marks where it may
    break) and ``width`` the column's share of the table's width."""

    part: Part
    order: int
    head: str | None = None
    width: float = 1.0


@dataclass(frozen=True)
class Roster:
    """A column of the roster (花名册): its header when not the label, and the other names it goes by
    in files people bring. Roster columns follow the model's declaration order."""

    name: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codes:
    """The code table listing a column's values; ``era`` pins one era, else the year's era applies."""

    table: str
    era: str | None = None


@dataclass(frozen=True)
class Field:
    label: str
    derived: bool = False  # recomputed by the core; never in the change log
    codes: Codes | None = None
    keep_text: KeepText | None = None
    long: bool = False  # free text that takes a whole line in forms
    editor: Place | Omitted | None = None
    roster: Roster | Omitted | None = None
    printed: Printed | Omitted | None = None


ROSTER = Roster()
# Reasons shared by many columns.
BY_CORE = Omitted("由程序维护（编号、汇总、检查结果），不由人填写")
LIFECYCLE = Omitted("档案状态只经“注销/恢复”改变，带原因和日期")
OWNER = Omitted("所属的户或成员，由程序连接")
YEAR = Omitted("编辑器和表格都按所选年度打开，年度不单独填写")
VILLAGE = Omitted("建户时取本库所属的行政村")

# The editor's form tabs, in order; a tab's sections in the order listed here.
BASIC, CONDITIONS, GUARANTEES = "基本情况", "生产生活条件", "两不愁三保障"
HH_BASICS = Section(BASIC, "户基本情况")
YEAR_BASICS = Section(BASIC, "{year}年度情况")
REASSESSMENT = Section(BASIC, "{year}年原建档立卡户评估")
MONITORING = Section(BASIC, "防返贫监测")
FILLING = Section(BASIC, "填表信息")
LAND = Section(CONDITIONS, "土地（{year}年）")
UTILITIES = Section(CONDITIONS, "水、电、路、广播电视")
HOUSING = Section(CONDITIONS, "住房")
INDUSTRY = Section(CONDITIONS, "产业带动")
RELOCATION = Section(CONDITIONS, "易地扶贫搬迁")
SECURITY = Section(GUARANTEES, "两不愁三保障（{year}年）")
SECTIONS = (HH_BASICS, YEAR_BASICS, REASSESSMENT, MONITORING, FILLING, LAND, UTILITIES, HOUSING, INDUSTRY, RELOCATION,
            SECURITY)

# The registration form's label–value lists (forms/registration.py lays out the rest by hand).
REG_BASICS = Part("registration", "basics")
REG_CONDITIONS = Part("registration", "conditions")
REG_RELOCATION = Part("registration", "relocation")
REG_GUARANTEES = Part("registration", "guarantees")
# The 登记表's member grids, one column per field (registration.py adds 序号 and 姓名 to each).
REG_PEOPLE = Part("registration", "people")
REG_HEALTH = Part("registration", "health")
REG_WORK = Part("registration", "work")
REG_COVER = Part("registration", "cover")
BY_HAND = Omitted("登记表上另行排版（遮蔽、合并或整行显示）")
NOT_PRINTED = Omitted("全国登记表没有这一栏")
