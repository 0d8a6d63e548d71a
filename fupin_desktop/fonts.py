"""Finding a Chinese font on this machine, for the UI and for PDFs (which need a TrueType file).

Order: the font file chosen in the settings, a configured file (``FUPIN_FONT``), then well-known CJK
fonts of Windows, macOS and Linux. Windows fonts are looked for in the system's folder (``%WINDIR%``,
which is not always C:\\Windows) and in the per-user folder where Windows 10 (1809 on) puts a font
installed without administrator rights (``%LOCALAPPDATA%\\Microsoft\\Windows\\Fonts``). Printed forms
take SimSun (宋体, the face of printed government forms) first; the UI takes Microsoft YaHei (微软雅黑,
Chinese Windows' own UI font) first.
"""

from __future__ import annotations

import os
from pathlib import Path

from .paths import app_root

# File names in the Windows font folders.
_WINDOWS_FORM = ("simsun.ttc", "simhei.ttf", "msyh.ttc", "msyh.ttf", "Deng.ttf")
_WINDOWS_UI = ("msyh.ttc", "msyh.ttf", "Deng.ttf", "simsun.ttc", "simhei.ttf")
_WINDOWS_RARE = ("simsunb.ttf", "SimSun-ExtB.ttf", "mingliub.ttc")

_CANDIDATES = (
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
    "/System/Library/Fonts/Supplemental/Songti.ttc",
)

_chosen_file: Path | None = None


def use_font_file(path: str | Path | None) -> None:
    """The font file from the settings (empty: none); put first. Printed forms pick it up at the
    next start (ReportLab registers its font once per process)."""
    global _chosen_file
    _chosen_file = Path(path) if path else None


def windows_font_dirs() -> list[Path]:
    """The system's font folder and the per-user one, where there are such (read from the environment,
    so elsewhere there are none)."""
    dirs: list[Path] = []
    windir = os.environ.get("WINDIR") or os.environ.get("SystemRoot") or ("C:\\Windows" if os.name == "nt" else "")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    if local := os.environ.get("LOCALAPPDATA"):
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    return dirs


def _in_windows_dirs(names: tuple[str, ...]) -> list[Path]:
    # A font's name decides the order; the system's copy comes before a per-user one of the same name.
    return [folder / name for name in names for folder in windows_font_dirs()]


def _existing(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(p for p in paths if p.is_file()))


def _chosen_first() -> list[Path]:
    found: list[Path] = [_chosen_file] if _chosen_file else []
    if configured := os.environ.get("FUPIN_FONT"):
        found.append(Path(configured))
    return found


def cjk_font_candidates() -> list[Path]:
    """Existing CJK font files for printed forms, the configured one first."""
    return _existing([*_chosen_first(), *_in_windows_dirs(_WINDOWS_FORM), *map(Path, _CANDIDATES)])


def ui_font_candidates() -> list[Path]:
    """Existing CJK font files for the UI, the configured one first."""
    return _existing([*_chosen_first(), *_in_windows_dirs(_WINDOWS_UI), *map(Path, _CANDIDATES)])


def find_cjk_font(truetype_only: bool = False) -> Path | None:
    """The first CJK font file found; with ``truetype_only``, a .ttf (ReportLab embeds those best)."""
    for path in cjk_font_candidates():
        if not truetype_only or path.suffix.lower() == ".ttf":
            return path
    return None


def rare_font_candidates() -> list[Path]:
    """Existing fallback font files for rare characters, then the configured one
    (``FUPIN_FONT_FALLBACK``, a TrueType file); bundled paths are relative to the app root."""
    found = [Path(p) if Path(p).is_absolute() else app_root() / p for p in _RARE_CANDIDATES]
    found[2:2] = _in_windows_dirs(_WINDOWS_RARE)  # after the bundled HanaMin, before the other systems'
    if configured := os.environ.get("FUPIN_FONT_FALLBACK"):
        found.append(Path(configured))
    return _existing(found)
