"""The national data model (SPEC §1–§6, §9) as SQLAlchemy tables."""

from .assistance import (
    MEASURE_DETAILS,
    Attachment,
    EducationDetail,
    HealthDetail,
    Helper,
    HelperAssignment,
    HousingDetail,
    LoanDetail,
    Measure,
    Plan,
    PublicPostDetail,
    RelocationDetail,
    Visit,
    WorkTeam,
    WorkTeamMember,
)
from .base import Base, column_label, new_id, record_id
from .household import Household, HouseholdYear
from .income import IncomeLine, IncomeYear
from .member import Member, MemberYear, WorkRecord
from .monitoring import Assessment, RiskFlag
from .procedure import DeptWarning, Procedure, ProcedureStep
from .reference import AdminArea, CodeEntry, RuleParam, Threshold, VillageYear
from .system import AppUser, ChangeLog, CheckDirty, CheckKey, CheckResult, Meta, SyncOutbox

__all__ = [
    "MEASURE_DETAILS", "AdminArea", "AppUser", "Assessment", "Attachment", "Base", "ChangeLog",
    "CheckDirty", "CheckKey", "CheckResult", "CodeEntry", "DeptWarning", "EducationDetail", "HealthDetail", "Helper",
    "HelperAssignment", "Household",
    "HouseholdYear", "HousingDetail", "IncomeLine", "IncomeYear", "LoanDetail", "Measure", "Member",
    "MemberYear", "Meta", "SyncOutbox", "Plan", "Procedure", "ProcedureStep",
    "PublicPostDetail", "RelocationDetail", "RiskFlag", "RuleParam", "Threshold",
    "Visit", "VillageYear", "WorkRecord", "WorkTeam", "WorkTeamMember", "column_label",
    "new_id",
    "record_id",
]
