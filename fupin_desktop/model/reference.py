"""Places, village figures, thresholds and code tables: reference data kept as rows."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped

from .base import Base, Entity, money, number, text


class AdminArea(Entity, Base):
    """An administrative division by its 12-digit 统计用区划代码."""

    __tablename__ = "area"

    code: Mapped[str] = text("区划代码", 12, unique=True)
    name: Mapped[str] = text("名称", 64, long=True)
    level: Mapped[str | None] = text("级别", 8)  # 省/市/县/乡/村
    parent_code: Mapped[str | None] = text("上级代码", 12)


class VillageYear(Entity, Base):
    """贫困村登记表 / 出列 indicators (SPEC §3.3)."""

    __tablename__ = "village_year"
    __table_args__ = (UniqueConstraint("village_code", "year"),)

    village_code: Mapped[str] = text("行政村代码", 12)
    year: Mapped[int] = number("年度")
    exited: Mapped[str | None] = text("是否出列", 4)
    total_households: Mapped[int | None] = number("总户数")
    total_population: Mapped[int | None] = number("总人口数")
    collective_income_wan: Mapped[Decimal | None] = money("村级集体经济收入(万元)")
    primary_schools: Mapped[int | None] = number("村小学(个数)")
    pension_insured: Mapped[int | None] = number("参加城乡居民基本养老保险人数")
    bus_service: Mapped[str | None] = text("是否通客运班车", 4)
    clinics: Mapped[int | None] = number("行政村卫生室个数")
    public_toilets: Mapped[int | None] = number("行政村公共卫生厕所个数")
    doctors: Mapped[int | None] = number("行政村执业(助理)医师(人)")
    garbage_points: Mapped[int | None] = number("行政村生产生活垃圾集中堆放点个数")
    libraries: Mapped[int | None] = number("行政村文化(图书)室个数")
    dibao_households: Mapped[int | None] = number("低保户数")
    dibao_people: Mapped[int | None] = number("低保人口数")
    tekun_people: Mapped[int | None] = number("特困供养人口数")
    disabled_people: Mapped[int | None] = number("残疾人口数")
    paved_road_to_township: Mapped[str | None] = text("到乡镇是否通沥青(水泥)路", 4)
    unsafe_water_households: Mapped[int | None] = number("未实现饮水安全户数")
    dilapidated_households: Mapped[int | None] = number("危房户数")


class Threshold(Entity, Base):
    """扶贫标准 / 退出标准 / 监测范围 by province and year; configurable, never hard-coded."""

    __tablename__ = "threshold"
    __table_args__ = (UniqueConstraint("province_code", "year", "kind"),)

    province_code: Mapped[str] = text("省份代码", 2)  # "00" = national default
    year: Mapped[int] = number("年度")
    kind: Mapped[str] = text("类型", 8)  # 识别 / 退出 / 监测
    amount: Mapped[Decimal] = money("金额(元/人/年)")
    source: Mapped[str | None] = text("依据")
    # "shipped" (resources/, refreshed by a program upgrade) or "county" (set at the county, never
    # overwritten by shipped values); version: the county's number for it, the newest wins.
    origin: Mapped[str] = text("来源", 8, default="shipped")
    version: Mapped[int] = number("版本", default=0)


class RuleParam(Entity, Base):
    """A rule parameter (land-area limits, the six-month removal rule…) from a year on, per province."""

    __tablename__ = "rule_param"
    __table_args__ = (UniqueConstraint("name", "province_code", "year_from"),)

    name: Mapped[str] = text("名称", 64)
    province_code: Mapped[str] = text("省份代码", 2)  # "00" = national default
    year_from: Mapped[int] = number("起始年度")
    year_to: Mapped[int | None] = number("截止年度")
    value: Mapped[str] = text("值")  # JSON: a number or a string
    source: Mapped[str | None] = text("依据")
    origin: Mapped[str] = text("来源", 8, default="shipped")
    version: Mapped[int] = number("版本", default=0)


class CodeEntry(Entity, Base):
    """One value of a versioned code table, loaded from ``resources/codes``."""

    __tablename__ = "code_entry"
    __table_args__ = (UniqueConstraint("field", "era", "code"),)

    field: Mapped[str] = text("字段", 32)
    era: Mapped[str] = text("时期", 8)
    code: Mapped[str] = text("代码", 8)
    label: Mapped[str] = text("名称", 64)
    sort: Mapped[int | None] = number("排序")
    valid_from: Mapped[int | None] = number("起始年度")
    valid_to: Mapped[int | None] = number("截止年度")
    version: Mapped[str | None] = text("版本", 16)
