"""The monitoring procedure as records (SPEC §6, §6.1): 识别纳入, 风险消除 and 退出, each with its steps,
and the department warnings (部门筛查预警) that start many of them.

The records name a household and a year only; they hold no copy of the household's status fields
(属性, 户类型, 监测对象类别), wherever those live, so they stay right when the status moves.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Entity, day, money, number, text


class Procedure(Entity, Base):
    """One run of the procedure for one household: from the first clue to the county's decision."""

    __tablename__ = "procedure"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    year: Mapped[int] = number("年度")
    kind: Mapped[str] = text("程序类型", 8)  # 识别纳入 / 风险消除 / 退出
    channel: Mapped[str | None] = text("发现渠道", 16)  # 农户自主申报 / 干部排查 / 部门筛查预警 …
    discovered_on: Mapped[date] = day("发现日期")
    warning_id: Mapped[str | None] = text("来源预警", 32)  # the dept_warning it started from, if any
    status: Mapped[str] = text("办理状态", 8, default="办理中")  # 办理中 / 已办结 / 已终止
    result: Mapped[str | None] = text("认定结果", 16)  # 纳入 / 不纳入 / 消除 / 不消除 / 退出 …
    note: Mapped[str | None] = text("备注", long=True)


class ProcedureStep(Entity, Base):
    """A step done: its date, what came of it and who recorded it. 村内公示 has a start and an end."""

    __tablename__ = "procedure_step"

    procedure_id: Mapped[str] = mapped_column(ForeignKey("procedure.id"), index=True, info={"label": "程序"})
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    step: Mapped[str] = text("环节", 8)  # 申请 / 承诺授权 / 入户核实 / 民主评议 / 村内公示 / 乡镇审核 / 县级审定
    done_on: Mapped[date] = day("日期")
    end_on: Mapped[date | None] = day("公示结束日期")
    result: Mapped[str | None] = text("结果", 32)
    objections: Mapped[str | None] = text("公示异议", long=True)
    income_per_capita: Mapped[Decimal | None] = money("核实人均纯收入(元)")
    recorded_by: Mapped[str | None] = text("记录人", 64)
    note: Mapped[str | None] = text("说明", long=True)


class DeptWarning(Entity, Base):
    """A row of a department's warning list, matched to a household by ID number, and its disposition."""

    __tablename__ = "dept_warning"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), info={"label": "成员"})
    department: Mapped[str] = text("预警部门", 16)
    warning: Mapped[str] = text("预警内容", long=True)
    warned_on: Mapped[date] = day("预警日期")
    received_on: Mapped[date] = day("接收日期")
    source_file: Mapped[str | None] = text("来源文件")
    disposition: Mapped[str | None] = text("处置结果", 16)  # 核实后纳入 / 核实不纳入 / 已是监测对象
    reason: Mapped[str | None] = text("不纳入理由", long=True)
    disposed_on: Mapped[date | None] = day("处置日期")
    disposed_by: Mapped[str | None] = text("处置人", 64)
    procedure_id: Mapped[str | None] = text("纳入程序", 32)
