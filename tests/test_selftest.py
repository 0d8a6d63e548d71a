"""The self-test reports every step and fails loudly (its passing run is in test_build); the frozen
build's data folders come from _MEIPASS."""

from __future__ import annotations

import io
import sys

from fupin_desktop import paths
from fupin_desktop.selftest import Step, run


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
