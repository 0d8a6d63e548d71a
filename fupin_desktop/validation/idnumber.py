"""Chinese ID numbers (SPEC §7): 18-digit 居民身份证, 15-digit legacy numbers, 20/22-character
残疾人证号. The check digit, birth date and region come from python-stdnum (``stdnum.cn.ric``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric

from ..values import clean_text

DISABILITY_CATEGORIES = {"1": "视力", "2": "听力", "3": "言语", "4": "肢体", "5": "智力", "6": "精神", "7": "多重"}
DISABILITY_GRADES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}


@dataclass(frozen=True)
class IdInfo:
    """What an ID number says, and what is wrong with it (``problem`` empty when valid)."""

    number: str
    problem: str = ""
    severity: str = ""  # "error" / "warning" when problem is set
    birth_date: date | None = None
    gender: str | None = None
    disability_category: str | None = None
    disability_grade: str | None = None


def normalize(number: str | None) -> str:
    """Full-width digits and letters to half-width, spaces gone, a trailing x as X."""
    if not number:
        return ""
    return clean_text(number).replace(" ", "").upper()


def upgrade_15(number: str) -> str:
    """A 15-digit legacy ID as 18 digits: insert "19" before the year and compute the check digit."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def _core(number18: str, today: date | None = None) -> IdInfo:
    """Check an 18-character body: characters, birth date (real, not future, ≥1900), check digit."""
    if not number18[:17].isdigit() or not (number18[17].isdigit() or number18[17] == "X"):
        return IdInfo(number18, "含有非数字字符", "error")
    try:
        # Parsed here rather than by stdnum.get_birth_date: this runs for every person in a check.
        born = date(int(number18[6:10]), int(number18[10:12]), int(number18[12:14]))
    except ValueError:
        return IdInfo(number18, "出生日期不存在", "error")
    if born.year < 1900 or born > (today or date.today()):
        return IdInfo(number18, "出生日期不合理", "error", birth_date=born)
    gender = "男" if int(number18[16]) % 2 else "女"
    if ric.calc_check_digit(number18) != number18[17]:
        return IdInfo(number18, "校验位错误", "error", birth_date=born, gender=gender)
    return IdInfo(number18, birth_date=born, gender=gender)


def parse_id(raw: str | None, today: date | None = None) -> IdInfo:
    """What ``raw`` says; a birth date after ``today`` (by default the clock's) is not possible."""
    number = normalize(raw)
    if not number:
        return IdInfo("", "未填写", "error")
    if "E+" in number or "E-" in number:
        return IdInfo(number, "是科学计数法，末尾数字已丢失，请按原件重新录入", "error")
    if len(number) == 18:
        return _core(number, today)
    if len(number) == 15:
        if not number.isdigit():
            return IdInfo(number, "含有非数字字符", "error")
        info = _core(upgrade_15(number), today)
        if info.problem:
            return IdInfo(number, info.problem, "error")
        return IdInfo(number, "为15位旧号码，建议升级为18位", "warning", info.birth_date, info.gender)
    if len(number) in (20, 22):
        info = _core(number[:18], today)
        if info.problem:
            return IdInfo(number, f"前18位{info.problem}", "error")
        category, grade = number[18], number[19]
        if category not in DISABILITY_CATEGORIES or grade not in DISABILITY_GRADES:
            return IdInfo(number, "残疾人证号的类别或等级位不正确", "error", info.birth_date, info.gender)
        if len(number) == 22:
            return IdInfo(number, "为22位残疾人证号（后两位含义待核实）", "warning", info.birth_date, info.gender,
                          DISABILITY_CATEGORIES[category], DISABILITY_GRADES[grade])
        return IdInfo(number, "", "", info.birth_date, info.gender,
                      DISABILITY_CATEGORIES[category], DISABILITY_GRADES[grade])
    return IdInfo(number, f"长度为{len(number)}位（应为18、20或22位）", "error")


def make_id(region: str, born: date, sequence: int) -> str:
    """A valid 18-digit number (for demo data and tests). ``sequence`` 0–999; odd is male."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
