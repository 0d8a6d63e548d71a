"""Printed forms (issue 4): 贫困户登记表, 帮扶明白卡, 收入核算表, 花名册, 帮扶措施台账, 村情统计表.

Qt-free: the CLI (``fupin print``) and the UI's print dialog both call ``render``.
"""

from .fonts import FALLBACK_WARNING, FontChoice, form_font
from .masking import Masker, mask_bank, mask_id, mask_phone
from .render import FORMS, PrintCancelled, RenderReport, render
from .scope import Scope

FORM_NAMES = tuple(FORMS)  # registration, card, income, roster, ledger, village

__all__ = [
    "FALLBACK_WARNING", "FORMS", "FORM_NAMES", "FontChoice", "Masker", "PrintCancelled", "RenderReport", "Scope",
    "form_font", "mask_bank", "mask_id", "mask_phone", "render",
]
