"""The self-test reports every step and fails loudly (its passing run is in test_build); the frozen
build's data folders come from _MEIPASS."""

from __future__ import annotations

import io
import sys

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from fupin_desktop import paths
from fupin_desktop.fonts import rare_font_candidates
from fupin_desktop.forms.fontcheck import pdf_fonts
from fupin_desktop.forms.fonts import form_font
from fupin_desktop.forms.job import FORMS
from fupin_desktop.selftest import Step, create_store, form_fonts, run, write_and_read


def test_a_failing_step_is_marked_and_the_exit_code_is_non_zero():
    seen = []

    def broken(_ctx):
        raise FileNotFoundError("resources/codes")

    out = io.StringIO()
    steps = [Step("第一步", lambda ctx: seen.append(ctx.folder.is_dir()) or "好"), Step("坏的一步", broken),
             Step("之后的一步", lambda ctx: seen.append(True))]
    assert run(steps, out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("√ 第一步") and lines[0].endswith("：好")
    assert lines[1].startswith("× 坏的一步") and "FileNotFoundError" in lines[1]
    assert lines[2].startswith("√ 之后的一步") and "1 项出错" in lines[3]
    assert seen == [True, True]  # later steps still run


def test_frozen_builds_find_their_data_under_meipass(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resources_dir() == tmp_path / "resources"
    assert paths.migrations_dir() == tmp_path / "migrations"
    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FUPIN_STORE", raising=False)
    assert paths.default_store_dir() == tmp_path / "data" / "store"
    assert paths.logs_dir() == tmp_path / "data" / "logs"


# ---- the fonts each printed form carries (issue 19) ---------------------------------------------
FONT_STEPS = [Step("建库", create_store), Step("写一户", write_and_read), Step("表格嵌入的字体", form_fonts)]


def test_the_self_test_names_the_embedded_font_of_every_form():
    out = io.StringIO()
    assert run(FONT_STEPS, out) == 0, out.getvalue()
    line = next(x for x in out.getvalue().splitlines() if "表格嵌入的字体" in x)
    # The name the font file gives itself, read by ReportLab, not by the reader under test.
    main = pdfmetrics.getFont(form_font().name).face.name.decode("ascii")
    for cls in FORMS.values():
        assert f"{cls.title} {main}" in line
    assert "全部嵌入" in line and "未嵌入" not in line
    # 刘䶮's 䶮 is printed with the rare-character font (HanaMin A here), and that is embedded too.
    if rare_font_candidates():
        assert "HanaMinA" in line and "没有字体可印" not in line


def test_a_form_font_that_is_not_embedded_fails_the_self_test(monkeypatch):
    from fupin_desktop.forms import fonts  # noqa: PLC0415

    monkeypatch.setattr(fonts, "_chosen", fonts._choose([]))  # a laptop with no TrueType Chinese font
    out = io.StringIO()
    assert run(FONT_STEPS, out) == 1
    line = next(x for x in out.getvalue().splitlines() if "表格嵌入的字体" in x)
    assert line.startswith("× ") and "贫困户登记表 STSong-Light" in line and "simsun.ttc" in line


def test_pdf_fonts_reads_what_the_file_carries(tmp_path):
    cid = UnicodeCIDFont("STSong-Light")
    pdfmetrics.registerFont(cid)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for font in ("Helvetica", form_font().name, "STSong-Light"):
        page.setFont(font, 12)
        page.drawString(72, 720, "户主 123")
    page.showPage()
    page.save()
    found = {f.name: (f.embedded, f.ok) for f in pdf_fonts(buffer.getvalue())}
    main = pdfmetrics.getFont(form_font().name).face.name.decode("ascii")
    assert found["Helvetica"] == (False, True) and found[main] == (True, True)
    assert found["STSong-Light"] == (False, False)
    assert {name for name, (_embedded, ok) in found.items() if not ok} == {"STSong-Light"}
