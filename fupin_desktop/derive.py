"""Values the core keeps for people: search keys and household summaries."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def name_initials(name: str | None) -> str | None:
    """Pinyin initials for search as you type: 张三 → "zs"."""
    if not name:
        return None
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letters).lower() or None
