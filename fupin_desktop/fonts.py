"""Finding a Chinese font on this machine, for the UI and for PDFs (which need a TrueType file).

Order: the font file chosen in the settings, a configured file (``FUPIN_FONT``), then well-known CJK
fonts of Windows, macOS and Linux.
"""

from __future__ import annotations

import os
from pathlib import Path

from .paths import app_root

_CANDIDATES = (
    # Windows
    r"C:\Windows\Fonts\simsun.ttc", r"C:\Windows\Fonts\simhei.ttf", r"C:\Windows\Fonts\msyh.ttc",
    r"C:\Windows\Fonts\msyh.ttf",
    # macOS
    "/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf", "/System/Library/Fonts/Supplemental/Songti.ttc",
    # Linux
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


# Fonts for the characters the main font lacks (CJK Extension A–B and beyond), in order: HanaMin A
# (BMP incl. Extension A) before HanaMin B (Extension B–F), Windows' SimSun-ExtB, macOS's Songti.
_RARE_CANDIDATES = (
    "fonts/HanaMinA.ttf", "fonts/HanaMinB.ttf",  # bundled with the desktop build (build.spec)
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    r"C:\Windows\Fonts\simsunb.ttf", r"C:\Windows\Fonts\SimSun-ExtB.ttf", r"C:\Windows\Fonts\mingliub.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
)

_chosen_file: Path | None = None


def use_font_file(path: str | Path | None) -> None:
    """The font file from the settings (empty: none); put first. Printed forms pick it up at the
    next start (ReportLab registers its font once per process)."""
    global _chosen_file
    _chosen_file = Path(path) if path else None


def cjk_font_candidates() -> list[Path]:
    """Existing CJK font files, the configured one first."""
    found: list[Path] = [_chosen_file] if _chosen_file else []
    if configured := os.environ.get("FUPIN_FONT"):
        found.append(Path(configured))
    found += [Path(p) for p in _CANDIDATES]
    return [p for p in found if p.is_file()]


def find_cjk_font(truetype_only: bool = False) -> Path | None:
    """The first CJK font file found; with ``truetype_only``, a .ttf (ReportLab embeds those best)."""
    for path in cjk_font_candidates():
        if not truetype_only or path.suffix.lower() == ".ttf":
            return path
    return None


def rare_font_candidates() -> list[Path]:
    """Existing fallback font files for rare characters, then the configured one
    (``FUPIN_FONT_FALLBACK``, a TrueType file); bundled paths are relative to the app root."""
    found = [Path(p) if Path(p).is_absolute() or ":" in p else app_root() / p for p in _RARE_CANDIDATES]
    if configured := os.environ.get("FUPIN_FONT_FALLBACK"):
        found.append(Path(configured))
    return list(dict.fromkeys(p for p in found if p.is_file()))
