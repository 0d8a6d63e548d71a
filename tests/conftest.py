"""Shared fixtures. Tests use a cheap KDF and no unlock delay; the product default stays ≥ 64 MiB."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The cheap KDF and zero delay are honoured only with this exact token (fupin_desktop/store/kdf.py);
# subprocesses the tests start inherit it.
os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")
os.environ.setdefault("FUPIN_UNLOCK_DELAY", "0")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Logs, settings and the default store go to a throwaway folder, never the developer's own.
if "FUPIN_DATA_DIR" not in os.environ:
    os.environ["FUPIN_DATA_DIR"] = tempfile.mkdtemp(prefix="fupin-test-data-")
    atexit.register(shutil.rmtree, os.environ["FUPIN_DATA_DIR"], True)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from fupin_desktop.county.db import open_county_db  # noqa: E402
from fupin_desktop.county.keys import init_county  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402

PASSWORD = "correct-horse-9"
VILLAGE = "520102003004"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def new_store(store_path: Path):
    """A fresh, empty, unlocked store and its recovery code."""
    store, code = Store.create(store_path, village_code=VILLAGE, village_name="测试村",
                               username="admin", password=PASSWORD)
    store.recovery_code = code
    yield store
    store.close()


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """Once a UI test has made the worker, the GUI thread alone collects cycles, on its event loop
    (ui/collector.py); tests that run no event loop get a collection after each test instead."""
    yield
    if not gc.isenabled():
        gc.collect()


@pytest.fixture(autouse=True)
def _close_message_boxes():
    """A message a test left open (its window still alive) must not be read by the next test."""
    yield
    messages = sys.modules.get("ui.messages")
    if messages is not None:
        for box in messages.open_boxes():
            box.close()
        messages._open_boxes.clear()


@pytest.fixture(scope="session", autouse=True)
def _stop_ui_worker():
    """Stop the UI's database worker thread (if a UI test started one) before Qt shuts down."""
    yield
    operations = sys.modules.get("ui.operations")
    if operations is not None and operations._hub is not None:
        operations._hub.tasks.shutdown()


# ---- the county database: a real PostgreSQL (test.sh starts one; see scripts/postgres.sh) ---------
def _pg_admin_url() -> str | None:
    return os.environ.get("FUPIN_TEST_PG_URL")


@contextmanager
def pg_database(prefix: str = "fupin_t") -> Iterator[str]:
    """A fresh, empty PostgreSQL database (its URL), dropped afterwards."""
    admin = _pg_admin_url()
    if not admin:
        if os.environ.get("CI"):
            pytest.fail("CI 中必须有 PostgreSQL：FUPIN_TEST_PG_URL 未设置（test.sh 通过 scripts/postgres.sh 启动它）。")
        pytest.skip("没有 PostgreSQL（FUPIN_TEST_PG_URL 未设置）：县级数据库测试跳过。用 ./test.sh 运行可自动启动。")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                              "AND usename = current_user"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


@pytest.fixture
def county_db_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with pg_database() as url:
        yield url


COUNTY_PASSPHRASE = "county-passphrase-1"


def county_at_revision(url: str, revision: str, records: list[dict]) -> None:
    """A county database migrated only up to ``revision`` (an older program's), holding ``records``
    (entity, id, hid, village, data, versions as JSON text, rev): what a later migration meets."""
    import json  # noqa: PLC0415

    from alembic import command  # noqa: PLC0415

    from fupin_desktop.county import db  # noqa: PLC0415

    engine = db.make_county_engine(url, COUNTY_PASSPHRASE)
    config = db._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.execute(text(
            "INSERT INTO record (entity, entity_id, household_id, village_code, data, versions, deleted, updated_at, "
            "rev) VALUES (:entity, :id, :hid, :village, :data, :versions, false, '2026-01-01', :rev)"),
            [{**r, "data": json.dumps(r["data"], ensure_ascii=False), "versions": json.dumps(r["versions"])}
             for r in records])
    engine.dispose()


@pytest.fixture
def county(county_db_url):
    """An initialised county database and its unlocked keys: (engine, keys)."""
    engine = open_county_db(county_db_url)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    yield engine, keys
    engine.dispose()


# ---- Windows behaviour (issue 19): files held by another process --------------------------------
@pytest.fixture
def winfs(monkeypatch):
    """Renames, replaces and deletes of files a test holds fail as on Windows (tests/winfs.py)."""
    from fupin_desktop import fsutil  # noqa: PLC0415
    from tests.winfs import WindowsFS  # noqa: PLC0415

    monkeypatch.setattr(fsutil, "DELAYS", (0.01, 0.02, 0.04))  # the same retries, shorter pauses
    return WindowsFS().install(monkeypatch)


@pytest.fixture(autouse=os.environ.get("FUPIN_WINDOWS_FS") == "1")
def _windows_fs_everywhere(request):
    """``FUPIN_WINDOWS_FS=1 ./test.sh``: every test runs with the Windows file layer installed."""
    yield request.getfixturevalue("winfs")


# ---- one copy of the app per store (issue 19) ------------------------------------------------
HOLD = """
import sys
from fupin_desktop.store.lock import StoreLock
lock = StoreLock.acquire(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def other_copy(store_path):
    """Another process that has the store open in the app (it holds the lock until stdin closes)."""
    store_path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(store_path)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=10)
