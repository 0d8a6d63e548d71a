"""Bad input refused before work (issue 15 item 5): a malformed or unknown village code, an output
path that is a folder, not a .pdf or not writable, and usage errors: a Chinese message, a non-zero
exit, no file and no page laid out."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin_desktop import cli
from fupin_desktop.errors import InvalidInput, NotFound
from fupin_desktop.forms import Scope, render
from fupin_desktop.arguments import chinese
from fupin_desktop.forms.job import _Job
from fupin_desktop.store.store import Store
from tests.conftest import PASSWORD, VILLAGE
from tests.factories import household
from tests.test_forms import write


@pytest.fixture
def no_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        pytest.fail("the job started before the input was checked")

    monkeypatch.setattr(_Job, "run", refuse)


@pytest.mark.parametrize(("code", "error", "message"), [
    ("12345", InvalidInput, "行政村代码应为12位数字"),
    ("52010200300A", InvalidInput, "行政村代码应为12位数字"),
    ("999999999999", NotFound, "没有这个行政村"),
])
@pytest.mark.parametrize("form", ["roster", "ledger", "village", "card"])
def test_a_bad_village_code_is_refused(new_store: Store, tmp_path: Path, no_rendering: None, form: str, code: str,
                                       error: type[Exception], message: str):
    with pytest.raises(error, match=message):
        render(form, new_store, scope=Scope.village(code), out=tmp_path / "x.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # nothing written beside the store


def test_a_known_village_is_accepted(new_store: Store, tmp_path: Path):
    write(new_store, [household("张三", hh_no="5201020030049401")])
    report = render("roster", new_store, scope=Scope.village(VILLAGE), out=tmp_path / "r.pdf")
    assert report.households == 1 and (tmp_path / "r.pdf").exists()


def test_bad_output_paths_are_refused(new_store: Store, tmp_path: Path, no_rendering: None):
    (tmp_path / "a-file").write_text("x")
    for out, message in ((tmp_path, "是一个文件夹"), (tmp_path / "x.txt", "应以 .pdf 结尾"),
                         (tmp_path / "x", "应以 .pdf 结尾"),
                         (tmp_path / "a-file" / "x.pdf", "不能在这个文件夹里写文件")):
        with pytest.raises(InvalidInput, match=message):
            render("roster", new_store, scope=Scope.village(VILLAGE), out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "store"]  # nothing written


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as done:
        code = int(done.code or 0)
    return code, capsys.readouterr().err


def test_the_print_command_refuses_at_once_in_chinese(new_store: Store, tmp_path: Path, capsys,
                                                     monkeypatch: pytest.MonkeyPatch, no_rendering: None):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    store = str(new_store.path)
    code, err = run_cli(capsys, "print", "roster", "--store", store, "--village", "12345",
    "-o", str(tmp_path / "r.pdf"))
    assert code != 0 and "行政村代码应为12位数字" in err
    code, err = run_cli(capsys, "print", "card", "--store", store, "--all", "-o", str(tmp_path / "r.txt"))
    assert code != 0 and "应以 .pdf 结尾" in err
    code, err = run_cli(capsys, "print", "card", "--store", store, "--all", "--no-mask", "-o", str(tmp_path / "c.pdf"))
    assert code != 0 and "--confirm-public-unmasked" in err
    code, err = run_cli(capsys, "print", "card", "--store", store)
    assert code == 2 and "用法：" in err and "缺少必须给出的参数：-o/--output" in err
    code, err = run_cli(capsys, "print", "cards", "-o", "x.pdf")
    assert code == 2 and "参数 FORM 不能是 'cards'" in err
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("*.txt"))


def test_argparse_messages_in_chinese():
    assert chinese("argument --year: invalid int value: 'x'") == "参数 --year 应为整数，而不是 'x'"
    assert chinese("argument --all: not allowed with argument --village") == "参数 --all 不能与 --village 同时使用"
    assert chinese("something new") == "something new"
