"""Contract 1: no personal data reaches disk in clear — not in the database, WAL, SHM, backups,
key slots or anything else in the store folder, in UTF-8 or GBK."""

from __future__ import annotations

from sqlalchemy import select

from fupin_desktop.model import Member
from fupin_desktop.services.households import create_households, save_income
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household

SECRET_NAME = "欧阳秘密"
SECRET_ADDRESS = "幸福路九十九号"


def _needles(id_no: str) -> list[bytes]:
    out = []
    for text in (SECRET_NAME, SECRET_ADDRESS, id_no, "6217000010001234567"):
        out += [text.encode("utf-8"), text.encode("gbk")]
    return out


def _scan(path, needles):
    hits = []
    for f in path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            hits += [(str(f), n) for n in needles if n in data]
    return hits


def test_no_clear_text_in_any_file_while_open_and_after_close(new_store, tmp_path):
    bundle = household(head=SECRET_NAME)
    bundle.fields["address"] = SECRET_ADDRESS
    with unit_of_work(new_store) as uow:
        hh_id = create_households(uow, [bundle])[0]
    with unit_of_work(new_store) as uow:  # a second transaction so the WAL holds changes too
        save_income(uow, hh_id, 2024, [{"category": "工资性收入", "item": "务工收入", "amount": "30000"}])
    with new_store.engine.connect() as conn:
        id_no = conn.execute(select(Member.id_no).where(Member.name == SECRET_NAME)).scalar_one()
    needles = _needles(id_no)
    path = new_store.path
    assert (path / "fupin.db-wal").exists()
    assert _scan(path, needles) == []  # while open: db, WAL and SHM
    new_store.backup(path / "backups" / "manual")
    new_store.close()
    with Store.open(path, "admin", PASSWORD):
        pass  # reopening runs the migration check and may write
    assert _scan(path, needles) == []
    assert any((path / "backups").iterdir())
