"""Printed forms (issue 4): 贫困户登记表, 帮扶明白卡, 收入核算表, 花名册, 帮扶措施台账, 村情统计表; the
monitoring procedure's 公示名单, 申请及承诺授权书 and 程序记录表 (issue 18).

Qt-free: the CLI (``fupin print``, forms/command.py) and the UI's print dialog both call ``render``.
The names below are loaded on first use (PEP 562), so importing ``forms.command`` to build the
CLI's parser does not load ReportLab.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fonts import FALLBACK_WARNING, FontChoice, form_font
    from .masking import Masker, mask_bank, mask_id, mask_phone
    from .job import FORMS, PrintCancelled, RenderReport, render, render_bytes, unprintable_characters
    from .scope import Scope

_WHERE = {
    "FALLBACK_WARNING": "fonts", "FontChoice": "fonts", "form_font": "fonts",
    "Masker": "masking", "mask_bank": "masking", "mask_id": "masking", "mask_phone": "masking",
    "FORMS": "job", "PrintCancelled": "job", "RenderReport": "job", "render": "job", "render_bytes": "job",
    "unprintable_characters": "job",
    "Scope": "scope",
}
# The keys of FORMS, in order.
FORM_NAMES = ("registration", "card", "income", "roster", "ledger", "village", "publicity", "consent", "procedure")

__all__ = [  # spelled out (not *_WHERE) so linters see what the lazy names are
    "FORM_NAMES", "FALLBACK_WARNING", "FontChoice", "form_font", "Masker", "mask_bank", "mask_id", "mask_phone",
    "FORMS", "PrintCancelled", "RenderReport", "render", "render_bytes", "unprintable_characters", "Scope",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value  # found directly next time
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
