"""Assessments (识别/退出/风险消除/返贫) and big-data risk flags (SPEC §3.2, §6, §8.1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Entity, day, flag, money, number, text


class Assessment(Entity, Base):
    __tablename__ = "assessment"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    year: Mapped[int] = number("年度")
    kind: Mapped[str] = text("类型", 8)  # 识别 / 退出 / 风险消除 / 返贫
    income_per_capita: Mapped[Decimal | None] = money("人均纯收入(元)")
    threshold: Mapped[Decimal | None] = money("标准(元)")
    food_secure: Mapped[bool | None] = flag("不愁吃")
    clothing_secure: Mapped[bool | None] = flag("不愁穿")
    education_secure: Mapped[bool | None] = flag("义务教育有保障")
    medical_secure: Mapped[bool | None] = flag("基本医疗有保障")
    housing_secure: Mapped[bool | None] = flag("住房安全有保障")
    water_secure: Mapped[bool | None] = flag("饮水安全有保障")
    evidence: Mapped[str | None] = text("佐证说明")
    reviewed_on: Mapped[date | None] = day("民主评议日期")
    publicity_from: Mapped[date | None] = day("公示开始")
    publicity_to: Mapped[date | None] = day("公示结束")
    head_signed: Mapped[bool | None] = flag("户主签字")
    approvals: Mapped[str | None] = text("审核情况")
    result: Mapped[str | None] = text("结果", 16)


class RiskFlag(Entity, Base):
    __tablename__ = "risk_flag"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), info={"label": "成员"})
    flag_type: Mapped[str] = text("比对类型", 32)
    source: Mapped[str | None] = text("数据来源", 32)
    found_on: Mapped[date | None] = day("发现日期")
    evidence: Mapped[str | None] = text("比对依据")
    resolution: Mapped[str | None] = text("核实处理情况")
    resolved_on: Mapped[date | None] = day("处理日期")
