"""Households (户) and their per-year facts (SPEC §1.1, §1.3, §1.4, §3.1, §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped

from .base import Base, Entity, one_per, day, derived, flag, measure_of, number, owner, text
from .fields import (
    BY_HAND,
    FILLING,
    HH_BASICS,
    HOUSING,
    INDUSTRY,
    LAND,
    LIFECYCLE,
    MONITORING,
    NOT_PRINTED,
    REASSESSMENT,
    REG_BASICS,
    REG_CONDITIONS,
    REG_GUARANTEES,
    REG_RELOCATION,
    RELOCATION,
    ROSTER,
    SECURITY,
    UTILITIES,
    VILLAGE,
    YEAR,
    YEAR_BASICS,
    Codes,
    Omitted,
    Roster,
)

# The roster is one line per person: of the year's facts it carries only the year, the family size,
# the causes and the year's status (declared on those columns); the rest are in the editor and on the registration form.
ROSTER_YEAR_FACTS = Omitted(
    "花名册只带年度、人口数、致贫原因和当年的户类型、属性、监测与风险消除情况；其余年度情况见编辑器和登记表")


class Household(Entity, Base):
    __tablename__ = "household"

    village_code: Mapped[str] = text("行政村代码", 12, index=True, keep_text="digits",
        roster=Roster(aliases=("村代码", "行政区划代码", "区划代码")), editor=VILLAGE, printed=BY_HAND)
    group_name: Mapped[str | None] = text("村民小组", 64, editor=HH_BASICS.at(10),
        roster=Roster(aliases=("组", "村民组", "自然村", "自然村(组)", "组别", "所在组")), printed=BY_HAND)
    national_hh_no: Mapped[str | None] = text("户编号", 64, index=True, keep_text="digits", editor=HH_BASICS.at(20),
        roster=Roster(aliases=("户号", "户编码", "户ID", "家庭编号")), printed=BY_HAND)
    address: Mapped[str | None] = text("家庭住址", long=True, editor=HH_BASICS.at(30),
        roster=Roster(aliases=("住址", "地址", "家庭地址")), printed=BY_HAND)
    phone: Mapped[str | None] = text("联系电话", 32, index=True, keep_text="digits", editor=HH_BASICS.at(40),
        roster=Roster(aliases=("户联系电话", "电话", "联系方式", "手机号码")), printed=BY_HAND)
    bank_name: Mapped[str | None] = text("开户银行", 64, editor=HH_BASICS.at(50), roster=ROSTER, printed=BY_HAND)
    bank_account: Mapped[str | None] = text("银行账号", 32, long=True, keep_text="digits", editor=HH_BASICS.at(60),
        roster=Roster(aliases=("银行卡号", "账号", "卡号")), printed=BY_HAND)
    identify_standard: Mapped[str | None] = text("识别标准", 16, codes=Codes("识别标准"), editor=HH_BASICS.at(70),
        roster=ROSTER, printed=REG_BASICS.at(10))
    poverty_status: Mapped[str | None] = text("脱贫状态", 16, codes=Codes("脱贫状态"), editor=HH_BASICS.at(100),
        roster=Roster(aliases=("脱贫属性", "脱贫标志")), printed=REG_BASICS.at(40))
    identified_year: Mapped[int | None] = number("识别年度", editor=HH_BASICS.at(110),
        roster=Roster(aliases=("识别时间", "纳入年度", "识别年份")), printed=REG_BASICS.at(50))
    plan_exit_year: Mapped[int | None] = number("计划脱贫年度", editor=HH_BASICS.at(120), roster=ROSTER,
        printed=REG_BASICS.at(60))
    pre_exit_this_year: Mapped[bool | None] = flag("是否当年预脱贫", editor=HH_BASICS.at(130), roster=ROSTER,
        printed=REG_BASICS.at(65))
    exit_year: Mapped[int | None] = number("脱贫年度", editor=HH_BASICS.at(140), roster=ROSTER,
        printed=REG_BASICS.at(70))
    return_year: Mapped[int | None] = number("返贫年度", editor=HH_BASICS.at(150), roster=ROSTER,
        printed=REG_BASICS.at(80))
    return_reason: Mapped[str | None] = text("返贫原因", 16, codes=Codes("致贫原因"), editor=HH_BASICS.at(160),
        roster=ROSTER, printed=REG_BASICS.at(90))
    military_family: Mapped[bool | None] = flag("是否军烈属", editor=HH_BASICS.at(170), roster=ROSTER,
        printed=REG_BASICS.at(100))
    only_child: Mapped[bool | None] = flag("是否独生子女户", editor=HH_BASICS.at(180), roster=ROSTER,
        printed=REG_BASICS.at(110))
    two_daughters: Mapped[bool | None] = flag("是否双女户", editor=HH_BASICS.at(190), roster=ROSTER,
        printed=REG_BASICS.at(120))
    # 防返贫监测 (E4)
    monitoring_since: Mapped[str | None] = text("识别监测时间", 6, editor=MONITORING.at(20), roster=ROSTER,
        printed=REG_BASICS.at(140))
    monitoring_contact: Mapped[str | None] = text("监测联系人", 32, editor=MONITORING.at(100), roster=ROSTER,
        printed=REG_BASICS.at(190))
    monitoring_contact_phone: Mapped[str | None] = text("监测联系人电话", 32, keep_text="digits",
        editor=MONITORING.at(110), roster=ROSTER, printed=REG_BASICS.at(200))
    in_relocation_site: Mapped[bool | None] = flag("居住在易地扶贫搬迁集中安置区", editor=MONITORING.at(120),
        roster=ROSTER, printed=REG_RELOCATION.at(900))
    relocation_site_address: Mapped[str | None] = text("安置区地址", long=True, editor=MONITORING.at(130),
        roster=ROSTER, printed=BY_HAND)
    collector_name: Mapped[str | None] = text("信息采集人", 32, editor=FILLING.at(10), roster=ROSTER, printed=BY_HAND)
    collector_phone: Mapped[str | None] = text("信息采集人联系电话", 32, keep_text="digits", editor=FILLING.at(20),
        roster=ROSTER, printed=BY_HAND)
    filled_on: Mapped[date | None] = day("填表时间", editor=FILLING.at(30), roster=ROSTER,
        printed=REG_BASICS.at(205))
    change_note: Mapped[str | None] = text("变更情况说明", long=True, editor=FILLING.at(40), roster=ROSTER,
        printed=BY_HAND)
    # Never hard-deleted: a household leaves the file with a reason and a date.
    record_status: Mapped[str] = text("档案状态", 8, default="在册", editor=LIFECYCLE, roster=LIFECYCLE,
        printed=LIFECYCLE)
    left_reason: Mapped[str | None] = text("注销原因", 32, codes=Codes("户注销原因"), editor=LIFECYCLE,
        roster=LIFECYCLE, printed=LIFECYCLE)
    left_on: Mapped[date | None] = day("注销日期", editor=LIFECYCLE, roster=LIFECYCLE, printed=LIFECYCLE)
    left_note: Mapped[str | None] = text("注销说明", long=True, editor=LIFECYCLE, roster=LIFECYCLE,
        printed=LIFECYCLE)
    # Set when a household that had left is put back on the register (the roster's change list says so).
    restored_on: Mapped[date | None] = day("恢复日期", editor=LIFECYCLE, roster=LIFECYCLE, printed=LIFECYCLE)
    # Kept by the core, not by people. The first four copy the current year's status from household_year
    # (yearstatus.mirror) for the household list and its filters; the year rows are what counts.
    household_type: Mapped[str | None] = derived(String(16), "户类型(当前)")
    attribute: Mapped[str | None] = derived(String(16), "贫困户属性(当前)")
    monitoring_category: Mapped[str | None] = derived(String(16), "监测对象类别(当前)")
    risk_removed: Mapped[bool | None] = derived(Boolean, "风险是否已消除(当前)")
    head_name: Mapped[str | None] = derived(String(64), "户主姓名")
    # The list's sort keys (derive.py): the head's name by pinyin, the group by its number.
    head_sort: Mapped[str | None] = derived(String(255), "户主姓名排序")
    group_sort: Mapped[str | None] = derived(String(255), "村民小组排序")
    member_count: Mapped[int | None] = derived(Integer, "在册人数")
    error_count: Mapped[int] = derived(Integer, "错误数", default=0)
    warning_count: Mapped[int] = derived(Integer, "提示数", default=0)


class HouseholdYear(Entity, Base):
    """What is asked every year: causes and risks, living conditions, relocation, 两不愁三保障."""

    __tablename__ = "household_year"
    __table_args__ = (one_per("household_id", "year"), {"info": {"roster": ROSTER_YEAR_FACTS}})

    household_id: Mapped[str] = owner("household.id", "户")
    year: Mapped[int] = number("年度", roster=Roster(aliases=("统计年度", "nf")), editor=YEAR, printed=YEAR)
    population: Mapped[int | None] = number("家庭人口数", editor=YEAR_BASICS.at(10),
        roster=Roster(aliases=("人口数", "家庭人口")), printed=REG_BASICS.at(310))
    population_start: Mapped[int | None] = number("年初家庭人口数", editor=YEAR_BASICS.at(20),
        printed=REG_BASICS.at(320))
    population_end: Mapped[int | None] = number("年底家庭人口数", editor=YEAR_BASICS.at(30), printed=REG_BASICS.at(330))
    main_cause: Mapped[str | None] = text("主要致贫原因", 16, codes=Codes("致贫原因"), editor=YEAR_BASICS.at(40),
        roster=Roster(aliases=("致贫原因", "主要致贫原因/风险类型")), printed=REG_BASICS.at(340))
    other_causes: Mapped[str | None] = text("其他致贫原因", 64, codes=Codes("致贫原因"), long=True,
        editor=YEAR_BASICS.at(50), roster=ROSTER, printed=REG_BASICS.at(350))
    # The year's status (yearstatus.py): what was true in this year, not what is true today.
    household_type: Mapped[str | None] = text("户类型", 16, codes=Codes("户类型"), editor=HH_BASICS.at(80),
        roster=ROSTER, printed=REG_BASICS.at(20))
    attribute: Mapped[str | None] = text("贫困户属性", 16, codes=Codes("贫困户属性"), editor=HH_BASICS.at(90),
        roster=Roster(aliases=("属性", "户属性", "脱贫户属性")), printed=REG_BASICS.at(30))
    monitoring_category: Mapped[str | None] = text("监测对象类别", 16, codes=Codes("监测对象类别"),
        editor=MONITORING.at(10), roster=ROSTER, printed=REG_BASICS.at(130))
    no_labour_fallback: Mapped[bool | None] = flag("整户无劳动能力兜底保障户", editor=MONITORING.at(30), roster=ROSTER,
        printed=REG_BASICS.at(150))
    risk_removed: Mapped[bool | None] = flag("风险是否已消除", editor=MONITORING.at(70),
        roster=Roster(aliases=("风险消除", "是否风险消除", "风险消除情况")),
        printed=REG_BASICS.at(160))
    risk_removal_method: Mapped[str | None] = text("风险消除方式", 16, codes=Codes("风险消除方式"),
        editor=MONITORING.at(80), roster=ROSTER, printed=REG_BASICS.at(170))
    risk_removed_at: Mapped[str | None] = text("消除监测时间", 6, editor=MONITORING.at(90), roster=ROSTER,
        printed=REG_BASICS.at(180))
    risks: Mapped[str | None] = text("致贫/返贫风险", 128, codes=Codes("致贫/返贫风险"), long=True,
        editor=MONITORING.at(40), printed=BY_HAND)
    disaster_subtype: Mapped[str | None] = text("因自然灾害子项", 32, codes=Codes("因自然灾害子项"),
        editor=MONITORING.at(50), printed=BY_HAND)
    risk_note: Mapped[str | None] = text("风险备注", long=True, editor=MONITORING.at(60), printed=BY_HAND)
    development_measures: Mapped[str | None] = text("实施开发式帮扶措施情况", 8, codes=Codes("实施开发式帮扶措施情况"),
        editor=YEAR_BASICS.at(60), printed=REG_BASICS.at(360))
    # 农村低收入人口, 分层分类 (SPEC §6.1): a status like those above, carried into later years. The
    # layer a person sets wins; left blank, the members' labour decides it (yearstatus.layer_of).
    assistance_category: Mapped[str | None] = text("社会救助类别", 16, codes=Codes("社会救助类别"),
        editor=YEAR_BASICS.at(70), printed=REG_BASICS.at(370))
    support_layer: Mapped[str | None] = text("帮扶层级", 8, codes=Codes("帮扶层级"), editor=YEAR_BASICS.at(80),
        printed=REG_BASICS.at(380))
    # The year's 评估 of a former 建档立卡 household (2026 中央一号文件): a fact of its own year, not carried.
    reassess_result: Mapped[str | None] = text("评估结果", 8, codes=Codes("评估结果"), editor=REASSESSMENT.at(10),
        printed=NOT_PRINTED)
    reassessed_on: Mapped[date | None] = day("评估日期", editor=REASSESSMENT.at(20), printed=NOT_PRINTED)
    reassessed_by: Mapped[str | None] = text("评估记录人", 32, editor=REASSESSMENT.at(30), printed=NOT_PRINTED)
    reassess_reason: Mapped[str | None] = text("评估理由", long=True, editor=REASSESSMENT.at(40),
        printed=NOT_PRINTED)
    # 生产生活条件 (AAC3xx)
    arable_mu: Mapped[Decimal | None] = measure_of("耕地面积(亩)", editor=LAND.at(10), printed=REG_CONDITIONS.at(10))
    irrigated_mu: Mapped[Decimal | None] = measure_of("有效灌溉面积(亩)", editor=LAND.at(20),
        printed=REG_CONDITIONS.at(20))
    forest_mu: Mapped[Decimal | None] = measure_of("林地面积(亩)", editor=LAND.at(30), printed=REG_CONDITIONS.at(30))
    returned_forest_mu: Mapped[Decimal | None] = measure_of("退耕还林面积(亩)", editor=LAND.at(40),
        printed=REG_CONDITIONS.at(40))
    orchard_mu: Mapped[Decimal | None] = measure_of("林果面积(亩)", editor=LAND.at(50), printed=REG_CONDITIONS.at(50))
    pasture_mu: Mapped[Decimal | None] = measure_of("牧草地面积(亩)", editor=LAND.at(60), printed=REG_CONDITIONS.at(60))
    water_surface_mu: Mapped[Decimal | None] = measure_of("水面面积(亩)", editor=LAND.at(70),
        printed=REG_CONDITIONS.at(70))
    production_power: Mapped[bool | None] = flag("是否通生产用电", editor=UTILITIES.at(10),
        printed=REG_CONDITIONS.at(80))
    drinking_difficult: Mapped[bool | None] = flag("饮水是否困难", editor=UTILITIES.at(30),
        printed=REG_CONDITIONS.at(110))
    drinking_safe: Mapped[bool | None] = flag("饮水是否安全", editor=UTILITIES.at(40), printed=REG_CONDITIONS.at(120))
    household_power: Mapped[bool | None] = flag("是否通生活用电", editor=UTILITIES.at(20),
        printed=REG_CONDITIONS.at(90))
    broadcast_tv: Mapped[bool | None] = flag("是否通广播电视", editor=UTILITIES.at(60), printed=REG_CONDITIONS.at(100))
    road_distance_km: Mapped[Decimal | None] = measure_of("与村主干路距离(公里)", editor=UTILITIES.at(70),
        printed=REG_CONDITIONS.at(140))
    road_type: Mapped[str | None] = text("入户路类型", 16, codes=Codes("入户路类型"), editor=UTILITIES.at(80),
        printed=REG_CONDITIONS.at(150))
    road_hardened: Mapped[bool | None] = flag("入户道路是否硬化", editor=UTILITIES.at(90),
        printed=REG_CONDITIONS.at(160))
    housing_area_m2: Mapped[Decimal | None] = measure_of("住房面积(平方米)", editor=HOUSING.at(10),
        printed=REG_CONDITIONS.at(170))
    dilapidated: Mapped[bool | None] = flag("是否危房户", editor=HOUSING.at(20), printed=REG_CONDITIONS.at(180))
    dilapidation_grade: Mapped[str | None] = text("危房级别", 8, codes=Codes("危房级别"), editor=HOUSING.at(30),
        printed=REG_CONDITIONS.at(190))
    house_structure: Mapped[str | None] = text("住房结构", 32, editor=HOUSING.at(40), printed=REG_CONDITIONS.at(200))
    house_built_year: Mapped[int | None] = number("建房年份", editor=HOUSING.at(50), printed=REG_CONDITIONS.at(210))
    renovation_year: Mapped[int | None] = number("危改年度", editor=HOUSING.at(60), printed=REG_CONDITIONS.at(220))
    sanitary_toilet: Mapped[bool | None] = flag("有无卫生厕所", editor=HOUSING.at(70), printed=REG_CONDITIONS.at(230))
    toilet_usable: Mapped[bool | None] = flag("卫生厕所是否能正常使用", editor=HOUSING.at(80),
        printed=REG_CONDITIONS.at(240))
    fuel_type: Mapped[str | None] = text("主要燃料类型", 16, codes=Codes("主要燃料类型"), editor=HOUSING.at(90),
        printed=REG_CONDITIONS.at(250))
    in_cooperative: Mapped[bool | None] = flag("是否加入农民专业合作社", editor=INDUSTRY.at(10),
        printed=REG_CONDITIONS.at(260))
    led_by_enterprise: Mapped[bool | None] = flag("是否有龙头企业带动", editor=INDUSTRY.at(20),
        printed=REG_CONDITIONS.at(270))
    led_by_entrepreneur: Mapped[bool | None] = flag("是否有创业致富带头人带动", editor=INDUSTRY.at(30),
        printed=REG_CONDITIONS.at(280))
    safe_water_solved: Mapped[bool | None] = flag("是否解决安全饮用水", editor=UTILITIES.at(50),
        printed=REG_CONDITIONS.at(130))
    livestock: Mapped[str | None] = text("牲畜存栏", 128, long=True, editor=INDUSTRY.at(40), printed=BY_HAND)
    # 易地扶贫搬迁 (§1.4)
    relocated: Mapped[bool | None] = flag("是否易地扶贫搬迁户", editor=RELOCATION.at(10), printed=REG_RELOCATION.at(10))
    relocation_mode: Mapped[str | None] = text("搬迁方式", 32, codes=Codes("搬迁方式"), editor=RELOCATION.at(20),
        printed=REG_RELOCATION.at(20))
    resettlement_mode: Mapped[str | None] = text("安置方式", 16, codes=Codes("安置方式"), editor=RELOCATION.at(30),
        printed=REG_RELOCATION.at(30))
    resettlement_place: Mapped[str | None] = text("安置地", 16, codes=Codes("安置地"), editor=RELOCATION.at(40),
        printed=REG_RELOCATION.at(40))
    relocation_difficulties: Mapped[str | None] = text("搬迁可能存在的困难", 64, long=True, editor=RELOCATION.at(50),
        printed=REG_RELOCATION.at(70))
    relocation_address: Mapped[str | None] = text("安置地址", long=True, editor=RELOCATION.at(60), printed=BY_HAND)
    moved_in_on: Mapped[date | None] = day("入住时间", editor=RELOCATION.at(70), printed=REG_RELOCATION.at(50))
    relocated_people: Mapped[int | None] = number("享受搬迁人数", editor=RELOCATION.at(80),
        printed=REG_RELOCATION.at(60))
    # 两不愁三保障 (§3.1); blank means not yet assessed.
    food_secure: Mapped[bool | None] = flag("不愁吃", editor=SECURITY.at(10), printed=REG_GUARANTEES.at(10))
    clothing_secure: Mapped[bool | None] = flag("不愁穿", editor=SECURITY.at(20), printed=REG_GUARANTEES.at(20))
    education_secure: Mapped[bool | None] = flag("义务教育有保障", editor=SECURITY.at(30),
        printed=REG_GUARANTEES.at(30))
    medical_secure: Mapped[bool | None] = flag("基本医疗有保障", editor=SECURITY.at(40), printed=REG_GUARANTEES.at(40))
    housing_secure: Mapped[bool | None] = flag("住房安全有保障", editor=SECURITY.at(50), printed=REG_GUARANTEES.at(50))
    water_secure: Mapped[bool | None] = flag("饮水安全有保障", editor=SECURITY.at(60), printed=REG_GUARANTEES.at(60))
    guarantee_evidence: Mapped[str | None] = text("两不愁三保障佐证说明", long=True, editor=SECURITY.at(70),
        printed=BY_HAND)


Index("ix_household_village_group", Household.village_code, Household.group_name)
# The household list in its default order (groups by number), filtered by status, straight from one
# index; and sorted by the head's name.
Index("ix_household_listing", Household.record_status, Household.group_sort, Household.national_hh_no, Household.id)
Index("ix_household_by_head", Household.record_status, Household.head_sort, Household.id)
