"""Masking what must never be shown in clear on a public form (SPEC §5, §7).

ID numbers keep the first 4 and the last 4 characters (6205**********1234), mobile numbers the
first 3 and last 4 (138****5678), bank accounts the first 4 and last 4. The number of stars keeps
the original length so a person can still tell an 18-digit ID from a 20-digit 残疾人证号.
A 残疾人证号 is masked wholly: its last two digits are the disability category and grade.
The UI's list (ui/household_table.py) should use these same functions.
"""

from __future__ import annotations

from dataclasses import dataclass


def _keep(value: str | None, head: int, tail: int) -> str:
    text = (value or "").strip()
    if len(text) <= head + tail:
        # Too short to keep anything readable and still hide something: hide it all.
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


DISABILITY_CERT_LENGTH = 20  # the 18-digit ID number + category + grade


def mask_id(number: str | None, kind: str | None = None) -> str:
    text = (number or "").strip()
    if "残疾" in (kind or "") or len(text) == DISABILITY_CERT_LENGTH:
        return "*" * len(text)
    return _keep(text, 4, 4)


def mask_phone(number: str | None) -> str:
    text = (number or "").strip()
    if len(text) == 11 and text.isdigit():
        return text[:3] + "****" + text[-4:]
    # Landlines and odd formats: keep only the last four digits.
    return _keep(text, 0, 4)


def mask_bank(account: str | None) -> str:
    return _keep((account or "").replace(" ", ""), 4, 4)


@dataclass(frozen=True)
class Masker:
    """Applies masking when enabled and passes values through otherwise, so form code reads the same."""

    enabled: bool = True

    def id(self, value: str | None, kind: str | None = None) -> str:
        """``kind``: the 证件类型, so a 残疾人证号 is hidden wholly."""
        return mask_id(value, kind) if self.enabled else (value or "")

    def phone(self, value: str | None) -> str:
        return mask_phone(value) if self.enabled else (value or "")

    def bank(self, value: str | None) -> str:
        return mask_bank(value) if self.enabled else (value or "")
