"""County data at rest (issue 12, item 4): the SQLite county is SQLCipher, its key unwrapped by the
county passphrase; a clear county.db of an earlier version is encrypted on the first open with the
right passphrase and left untouched with a wrong one; PostgreSQL's protection is reported on serve."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from fupin_desktop.county.atrest import postgres_findings
from fupin_desktop.county.cipherdb import CountyKeyFileMissingError, key_file
from fupin_desktop.county.db import open_county_db, upgrade
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.errors import WrongPassword

from .conftest import COUNTY_PASSPHRASE
from .sync_support import add_household, export, make_device

ROOT = Path(__file__).resolve().parent.parent
BANK_ACCOUNT = b"6217000010001234567"  # every test household's account (tests/factories.py)
NAME = "李秀英".encode()


def _folder_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name.startswith("county"))


def _one_household_into(engine, keys, tmp_path: Path) -> list[bytes]:
    """Imports one household; returns its members' ID numbers."""
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        add_household(store)
        assert [r.status for r in import_file(engine, keys, export(store, tmp_path / "out")[0])] == ["imported"]
        with store.engine.connect() as conn:
            return [row[0].encode() for row in conn.exec_driver_sql("SELECT id_no FROM member")]
    finally:
        store.close()


def _secrets_in(content: bytes, id_numbers: list[bytes]) -> list[bytes]:
    return [s for s in (BANK_ACCOUNT, NAME, *id_numbers) if s in content]


def _cli(db: Path, passphrase: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "main.py", "county", *args, "--db-url", f"sqlite:///{db}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "FUPIN_COUNTY_PASSWORD": passphrase})


def test_the_sqlite_county_is_unreadable_without_the_passphrase(tmp_path):
    db = tmp_path / "county" / "county.db"
    engine = open_county_db(f"sqlite:///{db}", COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    id_numbers = _one_household_into(engine, keys, tmp_path)
    assert len(id_numbers) == 3
    with engine.connect():  # the WAL is part of the file set too: look at it while it holds pages
        secrets_seen = _secrets_in(_folder_bytes(db.parent), id_numbers)
    engine.dispose()
    assert secrets_seen == [] and _secrets_in(_folder_bytes(db.parent), id_numbers) == []
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone()
    with pytest.raises(WrongPassword, match="口令不正确"):
        open_county_db(f"sqlite:///{db}", "not-the-passphrase")
    stats = _cli(db, COUNTY_PASSPHRASE, "stats", "--json")
    assert stats.returncode == 0 and json.loads(stats.stdout)["households"] == 1, stats.stderr
    key_file(db).unlink()
    with pytest.raises(CountyKeyFileMissingError, match="密钥文件"):
        open_county_db(f"sqlite:///{db}", COUNTY_PASSPHRASE)


def test_a_clear_county_db_is_encrypted_by_its_own_passphrase(tmp_path):
    db = tmp_path / "county.db"
    clear = create_engine(f"sqlite:///{db}")  # as versions before issue 12 made it
    upgrade(clear)
    keys = init_county(clear, name="测试县", passphrase=COUNTY_PASSPHRASE)
    id_numbers = _one_household_into(clear, keys, tmp_path)
    clear.dispose()
    before = db.read_bytes()
    assert len(_secrets_in(before, id_numbers)) == 5  # the premise: all of them readable in the clear file
    wrong = _cli(db, "not-the-passphrase", "stats")
    assert wrong.returncode != 0 and "口令不正确" in wrong.stderr and "Traceback" not in wrong.stderr
    assert db.read_bytes() == before and not key_file(db).exists()  # nothing changed by a wrong passphrase
    right = _cli(db, COUNTY_PASSPHRASE, "stats", "--json")
    assert right.returncode == 0, right.stderr
    assert "明文" in right.stderr and json.loads(right.stdout)["households"] == 1
    assert _secrets_in(_folder_bytes(tmp_path), id_numbers) == [] and key_file(db).exists()
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_a_new_sqlite_county_refuses_a_weak_passphrase_before_writing(tmp_path):
    db = tmp_path / "county.db"
    made = _cli(db, "short", "init", "--name", "测试县")
    assert made.returncode != 0 and "太短" in made.stderr and not key_file(db).exists()
    made = _cli(db, COUNTY_PASSPHRASE, "init", "--name", "测试县")
    assert made.returncode == 0, made.stderr
    assert _cli(db, COUNTY_PASSPHRASE, "devices").returncode == 0


def test_serve_reports_what_it_can_see_of_postgresql(county):
    engine, _ = county
    findings = postgres_findings(engine)
    assert findings and all(line.startswith(("提示：", "警告：")) for line in findings)
    assert any("加密" in line for line in findings)
