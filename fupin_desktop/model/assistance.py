"""帮扶: measures and their subtypes, helpers and assignments, work teams, plans, visits (SPEC §4, §9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Entity, day, derived, flag, measure_of, money, number, text
from .fields import Codes


class Measure(Entity, Base):
    __tablename__ = "measure"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), info={"label": "受益成员"})
    year: Mapped[int] = number("年度")
    category: Mapped[str] = text("措施大类", 32, codes=Codes("措施大类"))
    subcategory: Mapped[str | None] = text("措施小类", 32)
    name: Mapped[str | None] = text("项目名称/内容", long=True)
    scale: Mapped[Decimal | None] = measure_of("规模/数量")
    unit: Mapped[str | None] = text("单位", 16)
    amount: Mapped[Decimal | None] = money("扶持资金额度(元)")
    fund_source: Mapped[str | None] = text("资金来源", 32, codes=Codes("资金来源"))
    units: Mapped[str | None] = text("帮扶单位", long=True)
    responsible: Mapped[str | None] = text("责任人", 32)
    start_on: Mapped[date | None] = day("开始日期")
    deadline: Mapped[date | None] = day("计划完成时限")
    end_on: Mapped[date | None] = day("结束日期")
    status: Mapped[str | None] = text("状态", 8, codes=Codes("措施状态"))
    expected_benefit: Mapped[Decimal | None] = money("预计增收(元)")
    actual_benefit: Mapped[Decimal | None] = money("实际收益(元)")
    signed: Mapped[bool | None] = flag("农户签字确认")
    note: Mapped[str | None] = text("备注", long=True)


# Subtype rows share their measure's id (one-to-one) and carry the extra fields of that kind.
class LoanDetail(Base):
    __tablename__ = "measure_loan"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    bank: Mapped[str | None] = text("贷款银行", 64)
    contract_no: Mapped[str | None] = text("合同号", 64)
    principal: Mapped[Decimal | None] = money("贷款金额(元)")
    issued_on: Mapped[date | None] = day("放款日")
    due_on: Mapped[date | None] = day("到期日")
    interest_rate: Mapped[str | None] = text("利率", 16)
    subsidy: Mapped[Decimal | None] = money("贴息金额(元)")
    purpose: Mapped[str | None] = text("用途", long=True)
    enterprise_use: Mapped[bool | None] = flag("是否户贷企用")
    repayment_status: Mapped[str | None] = text("还款状态", 16)


class HousingDetail(Base):
    __tablename__ = "measure_housing"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    grade: Mapped[str | None] = text("危房等级", 8)
    method: Mapped[str | None] = text("改造方式", 16)
    subsidy: Mapped[Decimal | None] = money("补助金额(元)")
    completed_on: Mapped[date | None] = day("竣工日期")
    accepted: Mapped[bool | None] = flag("是否验收")


class RelocationDetail(Base):
    __tablename__ = "measure_relocation"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    site: Mapped[str | None] = text("安置点")
    moved_in_on: Mapped[date | None] = day("入住时间")
    people: Mapped[int | None] = number("享受搬迁人数")
    area_m2: Mapped[Decimal | None] = measure_of("安置面积(平方米)")


class PublicPostDetail(Base):
    __tablename__ = "measure_public_post"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    post_type: Mapped[str | None] = text("岗位类型", 32, codes=Codes("公益性岗位"))
    monthly_wage: Mapped[Decimal | None] = money("月工资(元)")
    hired_on: Mapped[date | None] = day("聘用时间")
    dismissed_on: Mapped[date | None] = day("解聘时间")
    months: Mapped[int | None] = number("聘用月数")


class EducationDetail(Base):
    __tablename__ = "measure_education"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    school: Mapped[str | None] = text("学校")
    grade: Mapped[str | None] = text("年级", 16)
    term: Mapped[str | None] = text("学期", 16)
    aid_amount: Mapped[Decimal | None] = money("资助金额(元)")


class HealthDetail(Base):
    __tablename__ = "measure_health"
    id: Mapped[str] = mapped_column(ForeignKey("measure.id"), primary_key=True, info={"label": "措施"})
    updated_at: Mapped[str | None] = derived(String(32), "更新时间")
    doctor: Mapped[str | None] = text("签约医生", 32)
    chronic_card: Mapped[bool | None] = flag("是否办理慢病卡")
    reimbursed: Mapped[Decimal | None] = money("报销金额(元)")
    assistance: Mapped[Decimal | None] = money("救助金额(元)")


MEASURE_DETAILS = {
    "loan": LoanDetail,
    "housing": HousingDetail,
    "relocation": RelocationDetail,
    "public_post": PublicPostDetail,
    "education": EducationDetail,
    "health": HealthDetail,
}


class Helper(Entity, Base):
    """帮扶责任人."""

    __tablename__ = "helper"

    name: Mapped[str] = text("姓名", 64, long=True)
    gender: Mapped[str | None] = text("性别", 4, codes=Codes("性别"))
    political_status: Mapped[str | None] = text("政治面貌", 16, codes=Codes("政治面貌"))
    unit_name: Mapped[str | None] = text("帮扶单位名称", long=True)
    unit_affiliation: Mapped[str | None] = text("单位隶属关系", 16, codes=Codes("单位隶属关系"))
    unit_address: Mapped[str | None] = text("单位地址", long=True)
    position: Mapped[str | None] = text("职务", 32)
    phone: Mapped[str | None] = text("联系电话", 32)


class HelperAssignment(Entity, Base):
    """A helper's responsibility for a household; a hand-over adds a row and keeps the old one."""

    __tablename__ = "helper_assignment"

    helper_id: Mapped[str] = mapped_column(ForeignKey("helper.id"), index=True, info={"label": "帮扶责任人"})
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    start_on: Mapped[date | None] = day("帮扶开始时间")
    end_on: Mapped[date | None] = day("帮扶结束时间")


class WorkTeam(Entity, Base):
    """驻村工作队."""

    __tablename__ = "work_team"

    village_code: Mapped[str] = text("行政村代码", 12)
    dispatch_unit: Mapped[str | None] = text("派出单位")
    level: Mapped[str | None] = text("单位级别", 8)
    start_on: Mapped[date | None] = day("驻村开始时间")
    end_on: Mapped[date | None] = day("驻村结束时间")


class WorkTeamMember(Entity, Base):
    __tablename__ = "work_team_member"

    team_id: Mapped[str] = mapped_column(ForeignKey("work_team.id"), index=True, info={"label": "工作队"})
    name: Mapped[str] = text("姓名", 64, long=True)
    role: Mapped[str | None] = text("职务", 16)
    unit: Mapped[str | None] = text("派出单位")
    phone: Mapped[str | None] = text("联系电话", 32)
    start_on: Mapped[date | None] = day("驻村开始时间")
    end_on: Mapped[date | None] = day("驻村结束时间")
    days_on_duty: Mapped[int | None] = number("在岗天数")


class Plan(Entity, Base):
    """一户一策."""

    __tablename__ = "plan"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    year: Mapped[int] = number("年度")
    target: Mapped[str | None] = text("帮扶目标")
    timeframe: Mapped[str | None] = text("帮扶时效")
    plan_text: Mapped[str | None] = text("帮扶计划")


class Visit(Entity, Base):
    """走访记录 / 扶贫日记."""

    __tablename__ = "visit"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    helper_id: Mapped[str | None] = mapped_column(ForeignKey("helper.id"), info={"label": "帮扶干部"})
    visited_on: Mapped[date] = day("走访时间")
    visit_type: Mapped[str | None] = text("走访类型", 8, codes=Codes("走访类型"))
    content: Mapped[str | None] = text("走访内容", long=True)
    problems: Mapped[str | None] = text("发现问题", long=True)
    needs: Mapped[str | None] = text("需求", long=True)
    follow_up: Mapped[str | None] = text("后续措施", long=True)
    gps: Mapped[str | None] = text("位置", 64)
    signed: Mapped[bool | None] = flag("户主签字")


class Attachment(Entity, Base):
    """A photo or scan, kept inside the encrypted store (never as a loose file)."""

    __tablename__ = "attachment"

    owner_table: Mapped[str] = text("所属类型", 32)
    owner_id: Mapped[str] = text("所属记录", 32, index=True)
    kind: Mapped[str | None] = text("类别", 16)
    filename: Mapped[str | None] = text("文件名")
    mime: Mapped[str | None] = text("文件类型", 64)
    size: Mapped[int | None] = number("大小(字节)")
    sha256: Mapped[str | None] = text("校验值", 64)
    data: Mapped[bytes] = mapped_column(LargeBinary, info={"label": "内容", "derived": True})
