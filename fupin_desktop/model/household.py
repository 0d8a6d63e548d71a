"""Households (户) and their per-year facts (SPEC §1.1, §1.3, §1.4, §3.1, §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Entity, day, derived, flag, measure_of, number, text


class Household(Entity, Base):
    __tablename__ = "household"

    village_code: Mapped[str] = text("行政村代码", 12, index=True)
    group_name: Mapped[str | None] = text("村民小组", 64)
    national_hh_no: Mapped[str | None] = text("户编号", 64, index=True)
    address: Mapped[str | None] = text("家庭住址")
    phone: Mapped[str | None] = text("联系电话", 32, index=True)
    bank_name: Mapped[str | None] = text("开户银行", 64)
    bank_account: Mapped[str | None] = text("银行账号", 32)
    identify_standard: Mapped[str | None] = text("识别标准", 16)
    household_type: Mapped[str | None] = text("户类型", 16)
    attribute: Mapped[str | None] = text("贫困户属性", 16)
    poverty_status: Mapped[str | None] = text("脱贫状态", 16)
    identified_year: Mapped[int | None] = number("识别年度")
    plan_exit_year: Mapped[int | None] = number("计划脱贫年度")
    pre_exit_this_year: Mapped[bool | None] = flag("是否当年预脱贫")
    exit_year: Mapped[int | None] = number("脱贫年度")
    return_year: Mapped[int | None] = number("返贫年度")
    return_reason: Mapped[str | None] = text("返贫原因", 16)
    military_family: Mapped[bool | None] = flag("是否军烈属")
    only_child: Mapped[bool | None] = flag("是否独生子女户")
    two_daughters: Mapped[bool | None] = flag("是否双女户")
    # 防返贫监测 (E4)
    monitoring_category: Mapped[str | None] = text("监测对象类别", 16)
    monitoring_since: Mapped[str | None] = text("识别监测时间", 6)
    no_labour_fallback: Mapped[bool | None] = flag("整户无劳动能力兜底保障户")
    risk_removed: Mapped[bool | None] = flag("风险是否已消除")
    risk_removal_method: Mapped[str | None] = text("风险消除方式", 16)
    risk_removed_at: Mapped[str | None] = text("消除监测时间", 6)
    monitoring_contact: Mapped[str | None] = text("监测联系人", 32)
    monitoring_contact_phone: Mapped[str | None] = text("监测联系人电话", 32)
    in_relocation_site: Mapped[bool | None] = flag("居住在易地扶贫搬迁集中安置区")
    relocation_site_address: Mapped[str | None] = text("安置区地址")
    collector_name: Mapped[str | None] = text("信息采集人", 32)
    collector_phone: Mapped[str | None] = text("信息采集人联系电话", 32)
    filled_on: Mapped[date | None] = day("填表时间")
    change_note: Mapped[str | None] = text("变更情况说明")
    # Never hard-deleted: a household leaves the file with a reason and a date.
    record_status: Mapped[str] = text("档案状态", 8, default="在册")
    left_reason: Mapped[str | None] = text("注销原因", 32)
    left_on: Mapped[date | None] = day("注销日期")
    # Kept by the core, not by people.
    head_name: Mapped[str | None] = derived(String(64), "户主姓名")
    member_count: Mapped[int | None] = derived(Integer, "在册人数")
    error_count: Mapped[int] = derived(Integer, "错误数", default=0)
    warning_count: Mapped[int] = derived(Integer, "提示数", default=0)


class HouseholdYear(Entity, Base):
    """What is asked every year: causes and risks, living conditions, relocation, 两不愁三保障."""

    __tablename__ = "household_year"
    __table_args__ = (UniqueConstraint("household_id", "year"),)

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    year: Mapped[int] = number("年度")
    population: Mapped[int | None] = number("家庭人口数")
    population_start: Mapped[int | None] = number("年初家庭人口数")
    population_end: Mapped[int | None] = number("年底家庭人口数")
    main_cause: Mapped[str | None] = text("主要致贫原因", 16)
    other_causes: Mapped[str | None] = text("其他致贫原因", 64)
    risks: Mapped[str | None] = text("致贫/返贫风险", 128)
    disaster_subtype: Mapped[str | None] = text("因自然灾害子项", 32)
    risk_note: Mapped[str | None] = text("风险备注")
    development_measures: Mapped[str | None] = text("实施开发式帮扶措施情况", 8)
    # 生产生活条件 (AAC3xx)
    arable_mu: Mapped[Decimal | None] = measure_of("耕地面积(亩)")
    irrigated_mu: Mapped[Decimal | None] = measure_of("有效灌溉面积(亩)")
    forest_mu: Mapped[Decimal | None] = measure_of("林地面积(亩)")
    returned_forest_mu: Mapped[Decimal | None] = measure_of("退耕还林面积(亩)")
    orchard_mu: Mapped[Decimal | None] = measure_of("林果面积(亩)")
    pasture_mu: Mapped[Decimal | None] = measure_of("牧草地面积(亩)")
    water_surface_mu: Mapped[Decimal | None] = measure_of("水面面积(亩)")
    production_power: Mapped[bool | None] = flag("是否通生产用电")
    drinking_difficult: Mapped[bool | None] = flag("饮水是否困难")
    drinking_safe: Mapped[bool | None] = flag("饮水是否安全")
    household_power: Mapped[bool | None] = flag("是否通生活用电")
    broadcast_tv: Mapped[bool | None] = flag("是否通广播电视")
    road_distance_km: Mapped[Decimal | None] = measure_of("与村主干路距离(公里)")
    road_type: Mapped[str | None] = text("入户路类型", 16)
    road_hardened: Mapped[bool | None] = flag("入户道路是否硬化")
    housing_area_m2: Mapped[Decimal | None] = measure_of("住房面积(平方米)")
    dilapidated: Mapped[bool | None] = flag("是否危房户")
    dilapidation_grade: Mapped[str | None] = text("危房级别", 8)
    house_structure: Mapped[str | None] = text("住房结构", 32)
    house_built_year: Mapped[int | None] = number("建房年份")
    renovation_year: Mapped[int | None] = number("危改年度")
    sanitary_toilet: Mapped[bool | None] = flag("有无卫生厕所")
    toilet_usable: Mapped[bool | None] = flag("卫生厕所是否能正常使用")
    fuel_type: Mapped[str | None] = text("主要燃料类型", 16)
    in_cooperative: Mapped[bool | None] = flag("是否加入农民专业合作社")
    led_by_enterprise: Mapped[bool | None] = flag("是否有龙头企业带动")
    led_by_entrepreneur: Mapped[bool | None] = flag("是否有创业致富带头人带动")
    safe_water_solved: Mapped[bool | None] = flag("是否解决安全饮用水")
    livestock: Mapped[str | None] = text("牲畜存栏", 128)
    # 易地扶贫搬迁 (§1.4)
    relocated: Mapped[bool | None] = flag("是否易地扶贫搬迁户")
    relocation_mode: Mapped[str | None] = text("搬迁方式", 32)
    resettlement_mode: Mapped[str | None] = text("安置方式", 16)
    resettlement_place: Mapped[str | None] = text("安置地", 16)
    relocation_difficulties: Mapped[str | None] = text("搬迁可能存在的困难", 64)
    relocation_address: Mapped[str | None] = text("安置地址")
    moved_in_on: Mapped[date | None] = day("入住时间")
    relocated_people: Mapped[int | None] = number("享受搬迁人数")
    # 两不愁三保障 (§3.1); blank means not yet assessed.
    food_secure: Mapped[bool | None] = flag("不愁吃")
    clothing_secure: Mapped[bool | None] = flag("不愁穿")
    education_secure: Mapped[bool | None] = flag("义务教育有保障")
    medical_secure: Mapped[bool | None] = flag("基本医疗有保障")
    housing_secure: Mapped[bool | None] = flag("住房安全有保障")
    water_secure: Mapped[bool | None] = flag("饮水安全有保障")
    guarantee_evidence: Mapped[str | None] = text("两不愁三保障佐证说明")


Index("ix_household_village_group", Household.village_code, Household.group_name)
# The household list in its default order, filtered by status, straight from one index.
Index("ix_household_listing", Household.record_status, Household.group_name, Household.national_hh_no, Household.id)
