"""The one font every form uses: a CJK TrueType font embedded as a subset, else STSong-Light.

Registered once per process (ReportLab's font registry is global). A candidate must cover both
Chinese and the digits and Latin letters of ID numbers, amounts and dates: DroidSansFallbackFull,
for one, has no digits at all, so an ID number printed with it would vanish. The built-in
STSong-Light is the last resort: it is not embedded, so the PDF looks right only where the reader
has a Chinese font, and the report carries a warning saying so.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from ..fonts import cjk_font_candidates, rare_font_candidates
from .chain import FontChain

FALLBACK = "STSong-Light"
FALLBACK_WARNING = "未找到中文TrueType字体，使用内置STSong-Light（不嵌入，换一台电脑打开可能显示不正常）"
# Characters a form cannot do without: Chinese labels, digits of ID numbers, the X check digit.
_REQUIRED = "贫困户登记表姓名身份证号码年月日第页共0123456789Xx.-:/()（）"


@dataclass(frozen=True)
class FontChoice:
    name: str  # the name registered with ReportLab
    path: Path | None  # None for the built-in fallback
    embedded: bool
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # candidates that could not be embedded or lack glyphs

    @property
    def description(self) -> str:
        return str(self.path) if self.path else f"{FALLBACK}（内置，不嵌入）"


_lock = threading.Lock()
_chosen: FontChoice | None = None


def _load(path: Path) -> TTFont | None:
    """The font at ``path`` if ReportLab can embed it and it has every glyph a form needs."""
    name = f"FupinCJK-{path.stem}"
    try:
        # A .ttc holds several faces; the first is the regular one in every collection we list.
        font = TTFont(name, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc" else TTFont(name, str(path))
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        # CFF-based .otf/.ttc (e.g. Noto CJK) and damaged files cannot be embedded by ReportLab.
        return None
    glyphs = font.face.charToGlyph
    return font if all(ord(ch) in glyphs for ch in _REQUIRED) else None


def _choose(candidates: list[Path]) -> FontChoice:
    skipped: list[str] = []
    warnings: list[str] = []
    configured = os.environ.get("FUPIN_FONT")
    for path in candidates:
        font = _load(path)
        if font is None:
            skipped.append(path.name)
            if configured and path == Path(configured):
                # Someone chose this font on purpose: say why it is not used.
                warnings.append(f"设置的字体 {path.name} 无法嵌入或缺少数字、字母，已改用其他字体")
            continue
        if font.fontName not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(font)
        return FontChoice(font.fontName, path, True, tuple(warnings), tuple(skipped))
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FontChoice(FALLBACK, None, False, (*warnings, FALLBACK_WARNING), tuple(skipped))


def form_font(*, refresh: bool = False) -> FontChoice:
    """The font for forms, found and registered on first use. ``refresh`` looks again
    (after the configured font changed, and in tests)."""
    global _chosen
    with _lock:
        if _chosen is None or refresh:
            _chosen = _choose(cjk_font_candidates())
        return _chosen


def _fallbacks() -> list[tuple[str, dict[int, int]]]:
    """The rare-character fonts, registered on first need (HanaMin B alone is 30 MB)."""
    out = []
    for path in rare_font_candidates():
        name = f"FupinRare-{path.stem}"
        try:
            font = TTFont(name, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc" else TTFont(name, str(path))
        except (TTFError, OSError, ValueError, KeyError, IndexError):
            continue  # a font ReportLab cannot embed is no help
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(font)
        registered = pdfmetrics.getFont(name)
        if isinstance(registered, TTFont):
            out.append((name, registered.face.charToGlyph))
    return out


_chains: dict[str, FontChain] = {}


def form_chain(main: str) -> FontChain:
    """The chain of fonts behind the registered main font ``main`` (one per process)."""
    with _lock:
        if main not in _chains:
            font = pdfmetrics.getFont(main)
            cmap = font.face.charToGlyph if isinstance(font, TTFont) else None
            _chains[main] = FontChain(main, cmap, _fallbacks)
        return _chains[main]
