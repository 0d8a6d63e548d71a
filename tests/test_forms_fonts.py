"""Every character prints (issue 15 item 2): rare characters of names and places are drawn by a
fallback font with a real glyph, found in the PDF's text, and a character no font has is reported."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFontFace

from fupin_desktop.bundle import MeasureData
from fupin_desktop.forms import FORM_NAMES, Scope, job, render, unprintable_characters
from fupin_desktop.forms.command import add_print_arguments, run_print
from fupin_desktop.forms.chain import problem_text
from fupin_desktop.forms.fonts import form_chain, form_font
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.procedures import record_step, start_procedure
from fupin_desktop.store.store import Store
from tests.conftest import PASSWORD, VILLAGE
from tests.factories import household
from tests.test_forms import YEAR, write

# Extension A, B, B, then three in the main font's range, and 𪜀 (U+2A700) of Extension C.
RARE = {"䶮": "A", "𠀾": "B", "𡒄": "B", "堃": "URO", "犇": "URO", "昇": "URO", "𪜀": "C"}
VILLAGE_NAME = "䶮𠀾𪜀家湾村"  # A, B and C in the one name the village figures print
NOBODY_HAS = "\U00030000"  # CJK Extension G: in none of the fonts of the chain


def rare_household(head: str, number: str, address: str, group: str):
    hh = household(head, hh_no=number, group=group, extra_members=2)
    hh.members[1].fields["name"] = "犇昇"
    hh.members[2].fields["name"] = "李𠀾喆"
    hh.fields["address"] = address
    hh.measures = [MeasureData({"year": YEAR, "category": "产业帮扶", "name": "𡒄子坡养殖", "amount": Decimal(100),
                                "status": "完成"})]
    return hh


@pytest.fixture(scope="module")
def rare_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("rare") / "store"
    store, _ = Store.create(path, village_code=VILLAGE, village_name=VILLAGE_NAME, username="admin",
                            password=PASSWORD)
    # Heads and groups, printed by every per-household form and list, hold all seven between them.
    ids = write(store, [rare_household("王䶮𠀾", "5201020030049101", "䶮家湾𡒄子坡3号", "堃昇组"),
                        rare_household("赵𪜀犇", "5201020030049102", "犇村昇路8号", "𡒄子组")])
    with unit_of_work(store) as uow:  # on the year's 公示名单, which names heads and groups
        for hid in ids:
            pid = start_procedure(uow, hid, "识别纳入", date(YEAR, 5, 6), channel="干部排查", note="𡒄子坡滑坡")
            record_step(uow, pid, "民主评议", date(YEAR, 5, 9), result="同意")
    yield store
    store.close()


def drawn(path: Path) -> dict[str, set[str]]:
    """Each character of the PDF's text with the fonts it was drawn in (subset prefix removed)."""
    fonts: dict[str, set[str]] = defaultdict(set)

    def visit(text: str, _cm: object, _tm: object, font: dict | None, _size: float) -> None:
        name = str(font.get("/BaseFont", "")).split("+", 1)[-1] if font else ""
        for ch in text:
            fonts[ch].add(name)

    for page in PdfReader(str(path)).pages:
        page.extract_text(visitor_text=visit)
    return fonts


def has_glyph(base_font: str, ch: str) -> bool:
    """Whether the registered TrueType font with this PostScript name maps ``ch`` to a real glyph
    (not 0, .notdef)."""
    faces = [pdfmetrics.getFont(n).face for n in pdfmetrics.getRegisteredFontNames()]
    wanted = {base_font, re.sub(r"-\d+$", "", base_font)}  # ReportLab numbers a font's 256-glyph subsets
    face = next(f for f in faces if isinstance(f, TTFontFace) and _name(f.name) in wanted)
    return face.charToGlyph.get(ord(ch), 0) != 0


def _name(name: bytes | str) -> str:
    return name.decode("latin-1") if isinstance(name, bytes) else name


@pytest.mark.parametrize("form", FORM_NAMES)
def test_rare_characters_are_in_the_text_and_drawn_with_a_real_glyph(rare_store: Store, tmp_path: Path, form: str):
    out = tmp_path / f"{form}.pdf"
    scope = Scope.households(["5201020030049101", "5201020030049102"])
    report = render(form, rare_store, scope=scope, out=out, year=YEAR)
    fonts = drawn(out)
    # The village form names no person; it shows the village's name. Every other form shows names and groups.
    wanted = "䶮𠀾𪜀" if form == "village" else "".join(RARE)
    for ch in wanted:
        assert ch in fonts, f"{ch} ({RARE[ch]}) missing from the {form} PDF's text"
        for font in fonts[ch]:
            assert has_glyph(font, ch), f"{ch} drawn with {font}, which has no glyph for it"
    assert not [p for p in report.problems if "无法打印" in p[1]]


def test_each_font_used_is_embedded_as_a_subset(rare_store: Store, tmp_path: Path):
    out = tmp_path / "card.pdf"
    render("card", rare_store, scope=Scope.households(["5201020030049101"]), out=out, year=YEAR)
    names = set()
    for page in PdfReader(str(out)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            names.add(str(font["/BaseFont"]))
    assert all("+" in n for n in names)  # subset-tagged: only the glyphs used travel
    assert any("HanaMinA" in n for n in names) and any("HanaMinB" in n for n in names)


def test_a_character_no_font_has_is_reported(new_store: Store, tmp_path: Path):
    hh = household("张三", hh_no="5201020030049201")
    hh.members[1].fields["name"] = f"李{NOBODY_HAS}喆"
    write(new_store, [hh])
    report = render("registration", new_store, scope=Scope.households(["5201020030049201"]),
                    out=tmp_path / "r.pdf", year=YEAR)
    assert any(message == f"李{NOBODY_HAS}喆：第2个字无法打印" for _who, message in report.problems)
    chain = form_chain(form_font().name)
    assert chain.missing(f"李{NOBODY_HAS}喆") == [2] and chain.missing("王䶮𡒄𪜀") == []
    assert problem_text("李x喆", [2]) == "李x喆：第2个字无法打印"


def test_the_print_command_says_so_before_it_renders(new_store: Store, tmp_path: Path, monkeypatch):
    hh = household("张三", hh_no="5201020030049202")
    hh.members[1].fields["name"] = f"李{NOBODY_HAS}喆"
    write(new_store, [hh])
    parser = argparse.ArgumentParser()
    add_print_arguments(parser)
    said: list[str] = []
    rendered = job.render

    def render_after_the_warning(*args, **kwargs):
        said.append("<rendering>")
        return rendered(*args, **kwargs)

    monkeypatch.setattr(job, "render", render_after_the_warning)
    args = parser.parse_args(["registration", "--household", "5201020030049202", "-o", str(tmp_path / "r.pdf")])
    assert run_print(args, lambda: Store.open(new_store.path, "admin", PASSWORD), said.append) == 0
    warned = next(n for n, line in enumerate(said) if line.endswith(f"李{NOBODY_HAS}喆：第2个字无法打印"))
    assert warned < said.index("<rendering>") and (tmp_path / "r.pdf").exists()
    assert "本机字体都没有的字" in said[warned - 1]
    # Listed once, before; not again among the households with missing data afterwards.
    assert sum("无法打印" in line for line in said) == 1
    assert unprintable_characters(new_store, scope=Scope.households(["5201020030049202"])) == [
        ("张三户 · 户编号 5201020030049202 · 第一组", f"李{NOBODY_HAS}喆：第2个字无法打印")]


def test_the_scan_looks_in_every_printed_part_and_lists_in_print_order(new_store: Store):
    first = household("张三", hh_no="5201020030049211", group="第一组")
    first.fields["address"] = f"{NOBODY_HAS}家湾"
    first.measures = [MeasureData({"year": YEAR, "category": "产业帮扶", "name": f"{NOBODY_HAS}养殖",
                                   "amount": Decimal(100), "status": "完成"})]
    second = household("李四", hh_no="5201020030049212", group="第一组")
    second.members[1].fields["name"] = f"王{NOBODY_HAS}"
    write(new_store, [second, first])
    found = unprintable_characters(new_store, scope=Scope.village(VILLAGE))
    assert found == [
        ("张三户 · 户编号 5201020030049211 · 第一组", f"{NOBODY_HAS}家湾：第1个字无法打印"),
        ("张三户 · 户编号 5201020030049211 · 第一组", f"{NOBODY_HAS}养殖：第1个字无法打印"),
        ("李四户 · 户编号 5201020030049212 · 第一组", f"王{NOBODY_HAS}：第2个字无法打印"),
    ]
