"""Drawing text with a chain of fonts, character by character (issue 15 item 2).

The main CJK font (WenQuanYi, SimSun…) lacks the rarer characters of names and places: 䶮 (CJK
Extension A), 𠀾 and 𡒄 (Extension B), 𪜀 (Extension C). Each character is drawn with the first font
of the chain that has it: the main font, then the fallback fonts (HanaMin A/B of
``fonts-hanazono``, SimSun-ExtB on Windows, a configured file). A character no font has is
reported ("李𠀾喆：第2个字无法打印") rather than silently dropped. Fallback fonts are loaded only
when a character needs them, so a batch of common names pays nothing for the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas

Loader = Callable[[], Sequence[tuple[str, Mapping[int, int]]]]


def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()  # a surrogate pair beyond the BMP


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """ReportLab's ToUnicode CMap with UTF-16 targets: its own writes U+21484 as the odd-length
    ``<21484>``, so text extraction and copy-paste lose every Extension B character."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) /Supplement 0 >> def",
             f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
             f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar"]
    lines += [f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)]
    lines += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # read by ReportLab at save time, by its module global


@dataclass
class FontChain:
    """The main font (``cmap`` None: a CID font, taken to have everything) and lazily loaded fallbacks."""

    main: str
    cmap: Mapping[int, int] | None
    load_fallbacks: Loader = lambda: ()
    _fallbacks: Sequence[tuple[str, Mapping[int, int]]] | None = None
    _seen: dict[str, str | None] = field(default_factory=dict)
    # The main font's characters as a set of one-character strings: asked of every cell of every
    # form, ``issuperset`` answers in C what a loop over ``ord`` answers in Python.
    _drawn: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self._drawn = frozenset(map(chr, self.cmap or ()))

    def plain(self, text: str) -> bool:
        """True when the main font draws all of ``text`` (the fast path: nearly every value)."""
        return self.cmap is None or text.isascii() or self._drawn.issuperset(text)

    def font_for(self, ch: str) -> str | None:
        if self.cmap is None or ord(ch) in self.cmap or ch in "\n\t ":
            return self.main
        if ch not in self._seen:
            if self._fallbacks is None:
                self._fallbacks = self.load_fallbacks()
            self._seen[ch] = next((name for name, cmap in self._fallbacks if ord(ch) in cmap), None)
        return self._seen[ch]

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` cut into (font, piece) runs; a character no font has stays with the main font."""
        out: list[tuple[str, str]] = []
        for ch in text:
            font = self.font_for(ch) or self.main
            if out and out[-1][0] == font:
                out[-1] = (font, out[-1][1] + ch)
            else:
                out.append((font, ch))
        return out

    def missing(self, text: str) -> list[int]:
        """1-based positions of the characters no font of the chain has."""
        if self.plain(text):
            return []
        return [i for i, ch in enumerate(text, 1) if self.font_for(ch) is None]

    def markup(self, text: str) -> str:
        """Paragraph markup: escaped, with ``<font>`` around the runs of fallback fonts."""
        if self.plain(text):
            return escape(text)
        return "".join(escape(piece) if font == self.main else f'<font name="{font}">{escape(piece)}</font>'
                       for font, piece in self.runs(text))

    def width(self, text: str, size: float) -> float:
        if self.plain(text):
            return pdfmetrics.stringWidth(text, self.main, size)
        return sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in self.runs(text))

    def draw(self, canvas: Canvas, x: float, y: float, text: str, size: float) -> None:
        """Draw ``text`` starting at ``x`` (page furniture drawn straight on the canvas)."""
        for font, piece in self.runs(text):
            canvas.setFont(font, size)
            canvas.drawString(x, y, piece)
            x += pdfmetrics.stringWidth(piece, font, size)

    def fit(self, text: str, size: float, room: float) -> str:
        """``text`` cut with "…" to fit ``room`` points (a long head or group name in a footer)."""
        if self.width(text, size) <= room:
            return text
        while text and self.width(text + "…", size) > room:
            text = text[:-1]
        return text + "…"


def problem_text(text: str, positions: Sequence[int]) -> str:
    """The report line for a value with unprintable characters: "李𠀾喆：第2个字无法打印"."""
    where = "、".join(f"第{p}个字" for p in positions)
    return f"{text}：{where}无法打印"
