"""Logs never hold personal data: the scrubbing filter, and a scripted session (create, enter,
search, print, export, an unexpected error) after which no name, ID number, phone or bank number
is found in any log file or in the diagnostics zip."""

from __future__ import annotations

import logging
import zipfile

import pytest

from fupin_desktop import cli
from fupin_desktop.diagnostics import write_diagnostics
from fupin_desktop.forms import Scope, render_bytes
from fupin_desktop.logs import ScrubFilter, exception_summary, log_files, scrub_text, setup_logging
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household


def record(msg: str, *args, exc: BaseException | None = None) -> logging.LogRecord:
    rec = logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args,
                            (type(exc), exc, exc.__traceback__) if exc else None)
    ScrubFilter().filter(rec)
    return rec


def test_the_filter_scrubs_numbers_and_chinese_arguments_and_exception_messages():
    assert record("looked up %s", "52010219700506123X").getMessage() == "looked up #"
    assert record("phone %s bank %s", "138-1234-5678", "6217 0000 1000 1234 567").getMessage() == "phone # bank #"
    assert record("household of %s in %s", "张三", "第一组").getMessage() == "household of … in …"
    assert record("%d households in %.1f s", 300, 2.5).getMessage() == "300 households in 2.5 s"
    assert scrub_text("2026-12-03 07:15:00,123 saved") == "2026-12-03 07:15:00,123 saved"
    try:
        raise ValueError("张三 52010219700506123X")
    except ValueError as err:
        rec = record("save failed", exc=err)
        summary = exception_summary(err)
    assert rec.exc_info is None and "ValueError at test_logs.py:" in rec.getMessage()
    assert "张三" not in rec.getMessage() and "5201" not in rec.getMessage() and "张三" not in summary


@pytest.fixture
def session(tmp_path, monkeypatch, capsys):
    """Everything a person does in a day, through the CLI and the core; returns what they typed."""
    setup_logging()
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    path = str(tmp_path / "store")
    assert cli.main(["init", "--store", path, "--village-code", "520102003004", "--village-name", "示范村"]) == 0
    hh = household("赵铁柱", hh_no="5201020030040777")
    with Store.open(path, "admin", PASSWORD) as store:
        with unit_of_work(store) as uow:
            (hh_id,) = create_households(uow, [hh])
        with store.engine.connect() as conn:
            assert search_households(conn, SearchQuery(text="赵铁柱")) == [hh_id]
        pdf, _report = render_bytes("registration", store, scope=Scope.households([hh_id]), mask=False)
        assert pdf.startswith(b"%PDF")
    id_numbers = [m.fields["id_no"] for m in hh.members]
    names = [m.fields["name"] for m in hh.members]
    for text in (names[0], id_numbers[1][-6:], "zhtz"):
        assert cli.main(["search", "--store", path, text]) == 0
    assert cli.main(["print", "registration", "--store", path, "--household", "5201020030040777",
                     "-o", str(tmp_path / "form.pdf"), "--no-mask"]) == 0
    assert cli.main(["backup", "--store", path, "-o", str(tmp_path / "export")]) == 0
    assert cli.main(["check", "--store", path]) == 0
    assert cli.main(["search", "--store", path, "不存在的人"]) == 0

    # A bug whose message quotes the data, in the CLI and in code that logs it carelessly.
    def broken(_args):
        raise ValueError(f"cannot index {names[0]} {id_numbers[0]} {hh.fields['phone']}")

    monkeypatch.setattr(cli, "cmd_search", broken)
    assert cli.main(["search", "--store", path, "x"]) == 70
    careless = logging.getLogger("fupin_desktop.careless")
    careless.warning("member %s with %s, bank %s", names[1], id_numbers[1], hh.fields["bank_account"])
    try:
        raise KeyError(id_numbers[2])
    except KeyError:
        careless.exception("lookup failed for %s", names[2])
    capsys.readouterr()
    secrets = [*names, *id_numbers, *(i[:17] for i in id_numbers), hh.fields["phone"], hh.fields["bank_account"],
               hh.fields["address"]]
    return tmp_path, secrets


def test_no_personal_data_in_the_logs_or_the_diagnostics_after_a_session(session):
    tmp_path, secrets = session
    files = log_files()
    text = "".join(p.read_text("utf-8") for p in files)
    assert "backup written" in text and "ValueError at" in text, "the session logged nothing: the test proves nothing"
    zipped = write_diagnostics(tmp_path / "diag")
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
        bundle = "".join(zf.read(n).decode("utf-8") for n in names)
    assert "versions.json" in names and any(n.startswith("logs/") for n in names)
    assert "sqlcipher" in bundle
    for secret in secrets:
        assert secret not in text, f"personal data in the log: {secret[:2]}…"
        assert secret not in bundle, f"personal data in the diagnostics: {secret[:2]}…"


def test_diagnostics_command(tmp_path, capsys):
    assert cli.main(["diagnostics", "-o", str(tmp_path / "d.zip")]) == 0
    assert "不含个人信息" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        assert "fupin_desktop" in zf.read("versions.json").decode("utf-8")
