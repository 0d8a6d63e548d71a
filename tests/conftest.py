"""Shared fixtures. Tests use a cheap KDF and no unlock delay; the product default stays ≥ 64 MiB."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session", autouse=True)
def _stop_ui_worker():
    """Stop the UI's database worker thread (if a UI test started one) before Qt shuts down."""
    yield
    operations = sys.modules.get("ui.operations")
    if operations is not None and operations._hub is not None:
        operations._hub.tasks.shutdown()
