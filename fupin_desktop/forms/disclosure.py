"""What a form may show, decided by its declaration (public or internal), not by each renderer.

A public form (帮扶明白卡 on the door, 花名册 posted for 公示) names people, so it must not tie
health, disability, medical-aid or 低保 facts to a name (SPEC §5): such measures print as their
category and amount only ("健康帮扶 3 项"), policies as head counts, and causes or risks of those
kinds as "（不公开）"; ID, phone and bank numbers are masked, a 残疾人证号 wholly. Internal forms
(登记表, 收入核算表, 台账, 村情统计表) print in full and say 内部资料 in the footer. Printing a public
form unmasked is an explicit, confirmed choice, and the footer then says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..errors import InvalidInput
from .masking import Masker

# Words that make a value a health, disability, medical-aid or minimum-living-allowance detail.
SENSITIVE_WORDS = ("病", "残", "医", "药", "疗", "低保", "最低生活", "特困", "救助", "救治", "健康", "透析",
                   "精神", "智力", "肢体", "失能", "住院", "康复", "聋", "哑")
_SENSITIVE = re.compile("|".join(SENSITIVE_WORDS))
_ITEM_SEP = re.compile(r"([、，,；;])")
HIDDEN = "（不公开）"
UNMASKED_REFUSED = "公开张贴的表不能不打码打印"
UNMASKED_HINT = "确需不打码（仅限内部使用）时，请同时加 --confirm-public-unmasked。"


class Audience(Enum):
    PUBLIC = "public"  # posted or handed out: names stay, private facts go
    INTERNAL = "internal"  # the office's own files: everything, marked 内部资料


def sensitive(*texts: Any) -> bool:
    return any(_SENSITIVE.search(str(t)) for t in texts if t)


@dataclass(frozen=True)
class Disclosure:
    audience: Audience
    masked: bool

    @classmethod
    def choose(cls, audience: Audience, mask: bool | None, confirmed: bool = False) -> Disclosure:
        """The form's default (public: masked), or the user's choice; an unmasked public form
        only when ``confirmed``."""
        masked = audience is Audience.PUBLIC if mask is None else mask
        if audience is Audience.PUBLIC and not masked and not confirmed:
            raise InvalidInput(UNMASKED_REFUSED, hint=UNMASKED_HINT)
        return cls(audience, masked)

    @property
    def public(self) -> bool:
        return self.audience is Audience.PUBLIC

    @property
    def private_detail(self) -> bool:
        """Whether health, disability, aid and 低保 facts may be printed next to names."""
        return not (self.public and self.masked)

    @property
    def masker(self) -> Masker:
        return Masker(self.masked)

    def footer_note(self) -> str:
        if not self.public:
            return "内部资料"
        return "公示用（已打码）" if self.masked else "未打码，仅限内部使用"

    def hidden_measure(self, fields: Mapping[str, Any]) -> bool:
        """A measure that a public form shows only in its category's count and sum."""
        return not self.private_detail and sensitive(*(fields.get(k) for k in ("category", "subcategory", "name")))

    def text(self, value: str) -> str:
        """A list of causes or risks with the sensitive items replaced by "（不公开）"."""
        if self.private_detail or not sensitive(value):
            return value
        parts = _ITEM_SEP.split(value)
        kept = [HIDDEN if i % 2 == 0 and sensitive(p) else p for i, p in enumerate(parts)]
        return "".join(kept)
