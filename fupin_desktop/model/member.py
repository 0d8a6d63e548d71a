"""Members (家庭成员) and their per-year facts (SPEC §1.2), and monthly work monitoring (§6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped

from .base import Base, Entity, one_per, day, derived, flag, money, number, owner, text
from .fields import (
    BY_HAND,
    LIFECYCLE,
    REG_COVER,
    REG_HEALTH,
    REG_PEOPLE,
    REG_WORK,
    NOT_PRINTED,
    ROSTER,
    YEAR,
    Codes,
    Roster,
)


class Member(Entity, Base):
    __tablename__ = "member"

    household_id: Mapped[str] = owner("household.id", "户")
    seq: Mapped[int | None] = number("序号", roster=Roster("成员序号"), printed=BY_HAND)
    name: Mapped[str] = text("姓名", 64, long=True, roster=Roster(aliases=("成员姓名", "人员姓名")), printed=BY_HAND)
    gender: Mapped[str | None] = text("性别", 4, codes=Codes("性别"), roster=ROSTER,
        printed=REG_PEOPLE.at(10, None, 26))
    id_type: Mapped[str | None] = text("证件类型", 16, codes=Codes("证件类型"), roster=ROSTER,
        printed=REG_PEOPLE.at(20, "证件|类型", 40))
    id_no: Mapped[str | None] = text("证件号码", 24, keep_text="id",
        roster=Roster(aliases=("身份证号", "身份证号码", "公民身份号码", "证件号", "身份证", "公民身份号码或残疾证号")),
        printed=REG_PEOPLE.at(30, "证件号码", 100))
    birth_date: Mapped[date | None] = day("出生日期", roster=ROSTER, printed=REG_PEOPLE.at(40, "出生|日期", 52))
    member_no: Mapped[str | None] = text("人口编号", 32, keep_text="digits", roster=Roster(aliases=("人员编号",)),
        printed=REG_PEOPLE.at(50, "人口|编号", 64))
    relation: Mapped[str | None] = text("与户主关系", 16, codes=Codes("与户主关系"),
        roster=Roster(aliases=("与户主的关系", "关系", "家庭关系")), printed=REG_PEOPLE.at(60, "与户主|关系", 48))
    ethnicity: Mapped[str | None] = text("民族", 16, codes=Codes("民族"), roster=ROSTER,
        printed=REG_PEOPLE.at(70, None, 36))
    political_status: Mapped[str | None] = text("政治面貌", 16, codes=Codes("政治面貌"), roster=ROSTER,
        printed=REG_PEOPLE.at(80, "政治|面貌", 46))
    phone: Mapped[str | None] = text("成员联系电话", 32, index=True, keep_text="digits",
        roster=Roster(aliases=("成员电话", "个人联系电话")), printed=REG_PEOPLE.at(90, "联系|电话", 62))
    relocated_person: Mapped[bool | None] = flag("是否易地扶贫搬迁人口", roster=ROSTER,
        printed=REG_COVER.at(130, "易地|搬迁|人口", 30))
    # Never hard-deleted: 死亡, 迁出, 嫁出, 识别错误… with the date.
    record_status: Mapped[str] = text("人员状态", 8, default="在册", roster=LIFECYCLE, printed=LIFECYCLE)
    left_reason: Mapped[str | None] = text("变更原因", 32, roster=LIFECYCLE, printed=LIFECYCLE)
    left_on: Mapped[date | None] = day("变更日期", roster=LIFECYCLE, printed=LIFECYCLE)
    name_initials: Mapped[str | None] = derived(String(64), "姓名拼音首字母")
    name_pinyin: Mapped[str | None] = derived(String(255), "姓名全拼")


class MemberYear(Entity, Base):
    __tablename__ = "member_year"
    __table_args__ = (one_per("member_id", "year"),)

    member_id: Mapped[str] = owner("member.id", "成员")
    year: Mapped[int] = number("年度", printed=YEAR)
    education: Mapped[str | None] = text("文化程度", 16, codes=Codes("文化程度"),
        printed=REG_HEALTH.at(10, "文化|程度", 58))
    school_status: Mapped[str | None] = text("在校生状况", 16, codes=Codes("在校生状况"),
        printed=REG_HEALTH.at(20, "在校生|状况", 60))
    out_of_school_reason: Mapped[str | None] = text("失学或辍学原因", 32, codes=Codes("失学或辍学原因"),
        printed=REG_HEALTH.at(30, "失学或|辍学原因", 46))
    health: Mapped[str | None] = text("健康状况", 32, codes=Codes("健康状况"),
        printed=REG_HEALTH.at(40, "健康|状况", 64))
    disability_category: Mapped[str | None] = text("残疾类别", 8, codes=Codes("残疾类别"),
        printed=REG_HEALTH.at(50, "残疾|类别", 34))
    disability_grade: Mapped[str | None] = text("残疾等级", 8, codes=Codes("残疾等级"),
        printed=REG_HEALTH.at(60, "残疾|等级", 30))
    disability_cert_year: Mapped[int | None] = number("残疾证办证年度",
        printed=REG_HEALTH.at(70, "残疾证|办证|年度", 38))
    labour_skill: Mapped[str | None] = text("劳动技能", 16, codes=Codes("劳动技能"),
        printed=REG_HEALTH.at(80, "劳动|技能", 76))
    work_status: Mapped[str | None] = text("务工状况", 16, codes=Codes("务工状况"),
        printed=REG_WORK.at(10, "务工|状况", 46))
    work_months: Mapped[int | None] = number("务工时间(月)", printed=REG_WORK.at(20, "务工|时间(月)", 34))
    work_place: Mapped[str | None] = text("务工所在地", 64, printed=REG_WORK.at(30, "务工|所在地", 60))
    work_company: Mapped[str | None] = text("务工企业名称", 128, printed=REG_WORK.at(40, "务工企业|名称", 64))
    work_abroad: Mapped[bool | None] = flag("是否国外务工", printed=REG_WORK.at(50, "国外|务工", 28))
    employment_channel: Mapped[str | None] = text("就业渠道", 32, printed=REG_WORK.at(60, "就业|渠道", 46))
    industry: Mapped[str | None] = text("产业分类", 32, printed=REG_WORK.at(70, "产业|分类", 40))
    active_soldier: Mapped[bool | None] = flag("是否现役军人", printed=REG_HEALTH.at(100, "现役|军人", 30))
    resident_medical: Mapped[bool | None] = flag("是否参加城乡居民基本医疗保险",
        printed=REG_COVER.at(10, "城乡|居民|医保", 30))
    employee_medical: Mapped[bool | None] = flag("是否参加城镇职工基本医疗保险",
        printed=REG_COVER.at(20, "职工|医保", 30))
    critical_illness: Mapped[bool | None] = flag("是否参加大病保险", printed=REG_COVER.at(30, "大病|保险", 30))
    commercial_medical: Mapped[bool | None] = flag("是否参加商业补充医疗保险",
        printed=REG_COVER.at(40, "商业|补充|医疗", 30))
    medical_assistance: Mapped[bool | None] = flag("是否接受医疗救助", printed=REG_COVER.at(50, "医疗|救助", 30))
    other_health_aid: Mapped[bool | None] = flag("是否接受其他健康扶贫", printed=REG_COVER.at(60, "其他|健康|扶贫", 30))
    resident_pension: Mapped[bool | None] = flag("是否参加城乡居民基本养老保险",
        printed=REG_COVER.at(70, "居民|养老|保险", 30))
    employee_pension: Mapped[bool | None] = flag("是否参加城镇职工基本养老保险",
        printed=REG_COVER.at(80, "职工|养老|保险", 30))
    dibao: Mapped[str | None] = text("享受低保政策情况", 8, codes=Codes("享受低保政策情况"),
        printed=REG_COVER.at(100, "享受|低保", 42))
    tekun: Mapped[str | None] = text("享受特困供养政策情况", 8, codes=Codes("享受特困供养政策情况"),
        printed=REG_COVER.at(110, "特困|供养", 42))
    speaks_mandarin: Mapped[bool | None] = flag("是否会讲普通话", printed=REG_HEALTH.at(90, "会讲|普通话", 36))
    accident_insurance: Mapped[bool | None] = flag("是否享受人身意外保险补贴",
        printed=REG_COVER.at(90, "人身|意外|保险|补贴", 30))
    public_post: Mapped[str | None] = text("公益性岗位", 32, codes=Codes("公益性岗位"),
        printed=REG_WORK.at(80, "公益性|岗位", 44))
    public_post_months: Mapped[int | None] = number("公益性岗位(月数)", printed=REG_WORK.at(90, "岗位|月数", 28))
    public_post_start: Mapped[date | None] = day("聘用开始时间", printed=REG_WORK.at(100, "聘用|开始时间", 52))
    public_post_end: Mapped[date | None] = day("聘用结束时间", printed=REG_WORK.at(110, "聘用|结束时间", 52))
    assistance_category: Mapped[str | None] = text("社会救助类别", 16, codes=Codes("社会救助类别"),
        printed=NOT_PRINTED)
    yulu_plan: Mapped[bool | None] = flag("是否享受雨露计划", printed=REG_COVER.at(120, "雨露|计划", 30))


class WorkRecord(Entity, Base):
    """务工月监测: one stretch of migrant work."""

    __tablename__ = "work_record"

    member_id: Mapped[str] = owner("member.id", "成员")
    planned: Mapped[bool | None] = flag("是否计划务工")
    start_on: Mapped[date | None] = day("开始时间")
    end_on: Mapped[date | None] = day("结束时间")
    place: Mapped[str | None] = text("务工所在地", 64)
    county: Mapped[str | None] = text("务工所在县", 64)
    monthly_income: Mapped[Decimal | None] = money("务工月收入")
    company: Mapped[str | None] = text("务工企业名称", 128)
    industry: Mapped[str | None] = text("所属行业", 32)
    channel: Mapped[str | None] = text("就业渠道", 32)
    point_to_point: Mapped[bool | None] = flag("是否点对点输送")
    transport_subsidy: Mapped[Decimal | None] = money("年度交通费补助")
    service_needs: Mapped[str | None] = text("就业服务需求")


# Search as you type reads only these indexes (never the wide member rows): name contains, pinyin
# initials and full pinyin by prefix, ID number by suffix; each carries the household id it leads to.
Index("ix_member_name_household", Member.name, Member.household_id)
Index("ix_member_initials_household", Member.name_initials, Member.household_id)
Index("ix_member_pinyin_household", Member.name_pinyin, Member.household_id)
Index("ix_member_id_no_household", Member.id_no, Member.household_id)
