"""Which fonts a finished PDF carries, read back from the file (not from what the renderer meant to do).

A form printed on a township's computer and opened on the county's must look the same: every Chinese
font in it has to be embedded. ReportLab embeds a TrueType font as subsets (``AAAAAA+SimSun-0``,
``AAAAAB+SimSun-1``…) with the glyphs in a ``/FontFile2``; the built-in STSong-Light fallback is a
CID font with no font file at all. The self-test and the tests read the font resources of every page
with pypdf and report each font once, by its PostScript name.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

# The PDF standard 14: every reader has them, so they need no embedding.
STANDARD = frozenset({
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Helvetica", "Helvetica-Bold",
    "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic",
    "Symbol", "ZapfDingbats",
})
_SUBSET = re.compile(r"^[A-Z]{6}\+(?P<name>.+?)(?:-\d+)?$")


@dataclass(frozen=True)
class PdfFont:
    name: str  # PostScript name, without the subset tag and ReportLab's subset number
    embedded: bool

    @property
    def ok(self) -> bool:
        """Shows the same on any computer: embedded, or one of the standard 14."""
        return self.embedded or self.name in STANDARD


def _name(font: DictionaryObject) -> str:
    base = str(font.get("/BaseFont", "?")).lstrip("/")
    match = _SUBSET.match(base)
    return match["name"] if match else base


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # its glyphs are drawings inside the font dictionary
    if font.get("/Subtype") == "/Type0":
        descendants: Any = font["/DescendantFonts"].get_object()
        font = descendants[0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    return any(key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _walk(resources: Any, found: dict[str, bool], seen: set[int]) -> None:
    if resources is None:
        return
    resources = resources.get_object()
    if id(resources) in seen:
        return
    seen.add(id(resources))
    for ref in (resources.get("/Font") or {}).values():
        font = ref.get_object()
        name = _name(font)
        found[name] = found.get(name, True) and _embedded(font)  # one unembedded subset is enough to fail
    for ref in (resources.get("/XObject") or {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            _walk(xobject.get("/Resources"), found, seen)


def pdf_fonts(data: bytes) -> list[PdfFont]:
    """Every font the PDF's pages use, once each, in the order first met."""
    found: dict[str, bool] = {}
    seen: set[int] = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        _walk(page.get("/Resources"), found, seen)
    return [PdfFont(name, embedded) for name, embedded in found.items()]
