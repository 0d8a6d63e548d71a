"""How strong a new password must be, and the hint shown while it is typed."""

from __future__ import annotations

from ..errors import InvalidInput


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("密码太短：至少需要 8 位。", field="密码",
                           hint="建议用字母、数字和符号混合，不要用生日或手机号。")


def password_strength_hint(password: str) -> str:
    kinds = sum(bool(any(f(c) for c in password)) for f in (str.isdigit, str.islower, str.isupper))
    kinds += any(not c.isalnum() for c in password)
    if len(password) < 8:
        return "太短"
    if len(password) >= 12 and kinds >= 3:
        return "强"
    return "中" if kinds >= 2 else "弱"
