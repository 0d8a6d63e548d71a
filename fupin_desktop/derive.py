"""Values the core keeps for people: search keys, sort keys and household summaries.

Names sort by their pinyin (丁 ding, 何 he, 严 yan, 于 yu), not by code point; 村民小组 sort by the
number they stand for (第二组 before 第十组; 3组, 三组 and 第三组 are one group). The keys are kept
in derived columns, so the list sorts and searches in SQL with an index.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import seg

from .values import clean_text

_SPACES = re.compile(r"\s+")
# Surnames read otherwise than the character's everyday reading (pypinyin gives the latter).
SURNAMES = {"曾": "zeng1", "单": "shan4", "仇": "qiu2", "解": "xie4", "查": "zha1", "朴": "piao2", "区": "ou1",
            "盖": "ge3", "缪": "miao4", "翟": "zhai2", "覃": "qin2", "任": "ren2", "尉": "yu4", "乐": "yue4",
            "召": "shao4", "繁": "po2", "长": "chang2", "种": "chong2", "员": "yun4", "万俟": "mo4 qi2"}
_SURNAMES_LONGEST_FIRST = sorted(SURNAMES, key=len, reverse=True)
# Between a name's sort key and the name itself (below the space between syllables: 丁 before 丁一).
_TIE = "\t"
# The derived key columns' size: a long name's pinyin (6 letters a character) is cut, never refused
# — a key only orders and finds, and its first 255 characters do that.
KEY_LENGTH = 255


@lru_cache(maxsize=65536)
def name_initials(name: str | None) -> str | None:
    """Pinyin initials for search as you type: 张三 → "zs"."""
    if not name:
        return None
    letters = [s[0] for s in _syllables(name) if s]
    return "".join(letters) or None


@lru_cache(maxsize=65536)
def name_pinyin(name: str | None) -> str | None:
    """Full pinyin without tones or spaces, for search: 郭靖 → "guojing", 吕 → "lv"."""
    if not name:
        return None
    return "".join(s.rstrip("012345") for s in _syllables(name))[:KEY_LENGTH] or None


@lru_cache(maxsize=65536)
def name_sort_key(name: str | None) -> str | None:
    """Pinyin with tone numbers, then the name: 丁 < 何 < 严 < 于; one reading sorts by tone."""
    if not name:
        return None
    return (" ".join(_syllables(name)) + _TIE + name)[:KEY_LENGTH]


@lru_cache(maxsize=65536)
def _syllables(name: str) -> tuple[str, ...]:
    # Kept once for all three keys: pypinyin costs about 0.1 ms a name, and a township's first
    # download brings 77,000 of them.
    name = clean_text(name)
    for surname in _SURNAMES_LONGEST_FIRST:
        if name.startswith(surname) and len(name) > len(surname):
            return (*SURNAMES[surname].split(), *_syllables_of(name[len(surname):]))
    return tuple(_syllables_of(name))


def _syllables_of(text: str) -> list[str]:
    """``lazy_pinyin`` of the text, word by word as pypinyin itself cuts it (a phrase such as 行长 reads
    as one): the words repeat across names, and pypinyin's per-character work was most of a first
    download's summaries. Characters that are not Chinese (a Latin letter, a digit) stay as they are,
    one chunk per run."""
    return [s for word in seg(_SPACES.sub("", text)) for s in _word(word)]


@lru_cache(maxsize=65536)
def _word(word: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin([word], style=Style.TONE3, neutral_tone_with_five=True,
                                                  errors="default"))


# ---- 村民小组 ------------------------------------------------------------------------------
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_NUMBERED = re.compile(r"^第?([0-9零〇一二两三四五六七八九十百]+)(村民小组|小组|组|社|队)?$")


def chinese_number(text: str) -> int | None:
    """十二 → 12, 二十 → 20, 一百零五 → 105; digits as they are."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def group_number(name: str) -> int | None:
    """The number a group name stands for: 第三组, 三组, 3组, 03 → 3; None for 河西组."""
    found = _NUMBERED.match(_SPACES.sub("", clean_text(name)))
    return chinese_number(found[1]) if found else None


def group_key(name: str) -> str:
    """The number a group name stands for, else the name itself without spaces."""
    number = group_number(name)
    return f"#{number}" if number is not None else _SPACES.sub("", clean_text(name))


@lru_cache(maxsize=4096)
def group_sort_key(name: str | None) -> str:
    """Numbered groups first, by number (第二组 < 第十组 < 第十二组), then named ones by pinyin, then none."""
    if not name or not name.strip():
        return "2"
    number = group_number(name)
    if number is not None:
        return f"0{number:06d}{_TIE}{name}"[:KEY_LENGTH]
    return f"1{name_sort_key(name)}"[:KEY_LENGTH]


# ---- what the household list reads ---------------------------------------------------------------
def member_keys(name: Any) -> dict[str, str | None]:
    """A member's search keys (derived columns)."""
    text = str(name) if name else None
    return {"name_initials": name_initials(text), "name_pinyin": name_pinyin(text)}


def household_keys(head_name: Any, group_name: Any) -> dict[str, str | None]:
    """A household's sort keys (derived columns)."""
    return {"head_sort": name_sort_key(str(head_name) if head_name else None),
            "group_sort": group_sort_key(str(group_name) if group_name else None)}
