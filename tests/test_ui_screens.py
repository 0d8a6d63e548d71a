"""Fits the laptops cadres have: every top-level window and dialog of ui/ opened on a 1366×768 screen
and on the same screen at 125 % (1093×614 logical), in a child process per screen (tests/screen_probe.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

ROOT = Path(__file__).resolve().parent.parent
LIMIT = (1093, 614)  # 1366×768 at 125 %
WINDOWS = {"setup wizard", "unlock", "recovery", "county unlock", "main window", "household editor",
           "member details", "member leaves", "measure", "visit", "photo viewer", "assign helper", "print",
           "import", "settings", "restore", "dashboard", "sync status", "enrollment", "message", "county window",
           "household leaves", "drafts", "carry over", "new procedure", "procedure step", "close procedure",
           "dispose warning", "users", "received"}
MAXIMISED = {"main window", "household editor", "county window"}
TOP_LEVEL = re.compile(r"^class (\w+)\([^)]*\b(QDialog|QMainWindow|QWizard)\)", re.MULTILINE)


def top_level_classes() -> set[str]:
    """Every class in ui/ that is a dialog, a main window or a wizard."""
    found = set()
    for path in (ROOT / "ui").rglob("*.py"):
        # A private base (ui/procedures.py's _Form) is opened only as its subclasses, probed by name.
        found |= {m.group(1) for m in TOP_LEVEL.finditer(path.read_text("utf-8")) if not m.group(1).startswith("_")}
    return found


def probe(tmp_path: Path, width: int, height: int) -> list[dict]:
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    out = tmp_path / "windows.json"
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-m", "tests.screen_probe", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text("utf-8"))


@pytest.mark.parametrize("screen", [(1366, 768), (1093, 614)], ids=["1366x768", "1366x768-at-125"])
def test_every_window_and_dialog_fits_a_laptop_screen(tmp_path, screen):
    windows = probe(tmp_path, *screen)
    assert {w["name"] for w in windows} == WINDOWS
    assert top_level_classes() <= {w["class"] for w in windows}, "a window class of ui/ is not probed"
    for w in windows:
        x, y, width, height = w["frame"]
        ax, ay, aw, ah = w["area"]
        assert (ax, ay, aw, ah) == (0, 0, *screen)
        for size in (w["min_hint"], w["min_size"]):
            assert size[0] <= LIMIT[0] and size[1] <= LIMIT[1], (w["name"], size)
        assert ax <= x and ay <= y and x + width <= ax + aw and y + height <= ay + ah, (w["name"], w["frame"])
        assert w["maximised"] == (w["name"] in MAXIMISED), w["name"]
