"""The one door from the UI into the core (calibre's ``Cache``, Anki's ``Collection``).

An ``Archive`` wraps an open store. Each method is one job the UI does — read what a screen
shows, save an editor, keep a draft — and delegates to the queries and services, which own the
connections and transactions. The UI calls these methods inside ops on the worker thread; it
never opens a connection nor imports the model or the store (import-linter contract).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import drafts
from .queries.dashboard import Dashboard, dashboard
from .queries.editor import EditorSnapshot, editor_snapshot, photo_data
from .queries.search import SearchQuery, household_rows, search_households
from .queries.stats import groups
from .queries.years import current_year
from .services.edit_state import EditState, state_from_json, state_to_json, upgrade_v1
from .services.editing import Photos, Saved, save_edits
from .opchanges import OpChanges
from .settings import Settings, for_store
from .store import backups
from .store.backups import BackupInfo
from .store.store import Store
from .store.store import check_password_strength, password_strength_hint
from .sync.status import household_states, open_counts, sync_status
from .tabular.importer import ImportOptions, ImportReport, run_import

if TYPE_CHECKING:
    from .sync.client import Outgoing, PushResult, Sent
    from .sync.enrollment import Enrollment
    from .sync.receipts import AckResult

__all__ = [
    "Archive", "BackupInfo", "Counted", "OpChanges", "Packed", "check_password_strength", "create_archive",
    "decode_draft", "draft_key", "encode_draft", "open_archive", "password_strength_hint", "reset_password",
    "restore_backup",
]

DRAFT_VERSION = 2  # 1: members {m, y, y_id} and measures {m, d}, converted on reading
Report = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Packed:
    packages: int
    counts: dict[str, int]
    server_url: str | None
    revoked: bool


@dataclass(frozen=True)
class Counted:
    count: int
    changes: OpChanges


class Archive:
    def __init__(self, store: Store) -> None:
        # Public for the form renderers, which take the store whole (the print dialog hands it on).
        self.store = store

    @property
    def village_code(self) -> str:
        return self.store.village_code

    @property
    def village_name(self) -> str:
        return self.store.village_name

    @property
    def username(self) -> str:
        return self.store.username

    @property
    def path(self) -> Path:
        return self.store.path

    # ---- the household list and the village tree ---------------------------------------------
    def current_year(self) -> int:
        with self.store.engine.connect() as conn:
            return current_year(conn)

    def search(self, query: SearchQuery) -> list[str]:
        with self.store.engine.connect() as conn:
            return search_households(conn, query)

    def list_rows(self, ids: list[str], year: int | None) -> dict[str, dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return household_rows(conn, ids, year)

    def sync_states(self, ids: list[str]) -> dict[str, str]:
        with self.store.engine.connect() as conn:
            return household_states(conn, ids, self.store.device_id)

    def groups_and_counts(self) -> tuple[list[tuple[str, int]], dict[str, int]]:
        """The village's groups (for the tree) and the sync counts (for the status bar)."""
        with self.store.engine.connect() as conn:
            return groups(conn), open_counts(conn)

    def sync_counts(self) -> dict[str, int]:
        with self.store.engine.connect() as conn:
            return open_counts(conn)

    def dashboard(self, year: int) -> Dashboard:
        with self.store.engine.connect() as conn:
            return dashboard(conn, year)

    # ---- the household editor ---------------------------------------------------------------------
    def editor_snapshot(self, household_id: str | None, year: int, in_use: frozenset[str]) -> EditorSnapshot:
        with self.store.engine.connect() as conn:
            return editor_snapshot(conn, household_id, year, in_use)

    def photo(self, attachment_id: str) -> bytes | None:
        with self.store.engine.connect() as conn:
            return photo_data(conn, attachment_id)

    def save_edits(self, household_id: str | None, year: int, base: EditState, state: EditState,
                   photos: Photos) -> Saved:
        return save_edits(self.store, household_id, year, base, state, photos)

    def write_draft(self, key: str, state: EditState) -> None:
        drafts.write_draft(self.store.engine, key, encode_draft(state))

    def delete_draft(self, key: str) -> None:
        drafts.delete_draft(self.store.engine, key)

    # ---- spreadsheets and sync (the store is handed whole to these jobs) -------------------------
    def export(self, query: SearchQuery, target: Path, what: str, progress: Report | None = None) -> int:
        """The households ``query`` finds, written to ``target``; returns the number of rows."""
        from .tabular.exporter import export_xlsx  # noqa: PLC0415 (openpyxl: loaded only when used)

        return export_xlsx(self.store, self.search(query), target, what, progress=progress)

    def preview_import(self, path: Path, mapping: dict[str, str]) -> ImportReport:
        """What importing ``path`` would leave: written, checked by the store's own rules, rolled back."""
        return run_import(self.store, path, ImportOptions(mapping=mapping, dry_run=True, partial=True))

    def import_table(self, path: Path, options: ImportOptions, progress: Report | None = None,
                     cancel: Cancel | None = None) -> ImportReport:
        """Import in one unit of work; the report's ``changes`` say what was written."""
        return run_import(self.store, path, options, progress=progress, cancel=cancel)

    def settings(self) -> Settings:
        return for_store(self.store)

    def sync_status(self) -> dict[str, Any]:
        return sync_status(self.store)

    def enroll(self, path: Path) -> Enrollment:
        from .sync.device import enroll  # noqa: PLC0415 (the crypto stack: loaded only when used)

        return enroll(self.store, path)

    def export_packages(self, folder: Path) -> list[Path]:
        from .sync.device import export_to_folder  # noqa: PLC0415

        return export_to_folder(self.store, folder)

    def apply_acks(self, paths: list[Path]) -> list[tuple[str, AckResult]]:
        """Each acknowledgment file applied in turn, by file name."""
        from .sync.receipts import apply_ack  # noqa: PLC0415

        return [(Path(p).name, apply_ack(self.store, Path(p))) for p in paths]

    def prepare_push(self, url: str | None) -> Outgoing:
        from .sync.client import prepare_push  # noqa: PLC0415

        return prepare_push(self.store, url)

    def record_push(self, sent: Sent) -> PushResult:
        from .sync.client import record_push  # noqa: PLC0415

        return record_push(self.store, sent)

    def pack_pending(self) -> Packed | None:
        """Pack what the last saves changed (None when the device is not enrolled)."""
        from .sync import device  # noqa: PLC0415 (the crypto stack: loaded only when used)

        if not device.is_enrolled(self.store):
            return None
        made = device.pack_pending(self.store)
        with self.store.engine.connect() as conn:
            return Packed(len(made), open_counts(conn), device.device_keys(conn).county.server_url,
                          device.get_meta(conn, "sync.self_revoked") == "1")

    # ---- whole-store work -----------------------------------------------------------------------
    def check_all(self, progress: Report | None = None, cancel: Cancel | None = None) -> Counted:
        """Every rule over every household — or, when that gives the same answer, over what was written
        since the last check (``validation.incremental``); ``count`` is the number of findings."""
        from .services.checks import mark_store  # noqa: PLC0415 (process pools: loaded only when used)

        found = mark_store(self.store, progress=progress, cancel=cancel)
        return Counted(found, OpChanges(everything=True))

    def fill_demo(self, households: int, seed: int, progress: Report | None = None,
                  cancel: Cancel | None = None) -> Counted:
        from .demo import fill_store  # noqa: PLC0415 (demo data is rarely wanted)
        from .services.checks import mark_store  # noqa: PLC0415

        written = fill_store(self.store, households, seed=seed, progress=progress, cancel=cancel)
        mark_store(self.store)
        return Counted(written, OpChanges(everything=True))

    # ---- backups ---------------------------------------------------------------------------------
    def backup_now(self, prefs: Settings) -> Path:
        return backups.auto_backup(self.store, "manual", settings=prefs)

    def daily_backup(self, prefs: Settings) -> Path | None:
        return backups.daily_backup_if_due(self.store, settings=prefs)

    def backup_state(self, prefs: Settings) -> tuple[BackupInfo | None, str | None]:
        """The newest backup and the warning the status bar shows when it is too old."""
        return backups.last_backup(self.store, prefs), backups.backup_warning(self.store, settings=prefs)

    def backup_folder(self, prefs: Settings) -> Path:
        return backups.backup_folder(self.store.path, prefs)

    def backups(self, prefs: Settings) -> list[BackupInfo]:
        return backups.list_backups(self.backup_folder(prefs), self.store.store_id)

    def close(self) -> None:
        self.store.close()


# ---- opening -------------------------------------------------------------------------------------
def open_archive(path: Path, username: str, password: str) -> Archive:
    return Archive(Store.open(path, username, password))


def create_archive(path: Path, *, village_code: str, village_name: str, username: str,
                   password: str) -> tuple[Archive, str]:
    """A new encrypted store and its recovery code (shown once, never stored)."""
    store, code = Store.create(path, village_code=village_code, village_name=village_name, username=username,
                               password=password)
    return Archive(store), code


def reset_password(path: Path, recovery_code: str, username: str, password: str) -> str:
    """Set a new password with the recovery code; returns the new recovery code (the old one is void)."""
    with Store.open_with_recovery_code(path, recovery_code) as store:
        store.change_password(username, password)
        return store.new_recovery_code()


def restore_backup(store_path: Path, backup: Path) -> Path:
    """Put the closed store back to ``backup``; returns where the replaced store was kept."""
    return backups.replace_with_backup(store_path, backup)


def draft_key(household_id: str | None, new_key: str) -> str:
    return drafts.DRAFT_PREFIX + household_id if household_id else drafts.NEW_DRAFT_PREFIX + new_key


def encode_draft(state: EditState) -> str:
    return json.dumps({"version": DRAFT_VERSION, "saved_at": datetime.now().isoformat(timespec="seconds"),
                       "state": state_to_json(state)}, ensure_ascii=False, separators=(",", ":"))


def decode_draft(text: str | None) -> tuple[EditState | None, str]:
    """The state in a draft and when it was written; (None, "") for anything unreadable."""
    try:
        doc = json.loads(text or "")
        state = doc["state"]
        if doc.get("version") == 1:
            state = upgrade_v1(state)
        elif doc.get("version") != DRAFT_VERSION:
            return None, ""
        return state_from_json(state), str(doc.get("saved_at", ""))
    except (ValueError, LookupError, TypeError, AttributeError):
        return None, ""
