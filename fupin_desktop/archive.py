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
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import drafts
from .queries.dashboard import Dashboard, dashboard
from .queries.editor import EditorSnapshot, all_helpers, editor_snapshot, photo_data
from .queries.history import HistoryEntry
from .queries.procedures import household_procedures, household_warnings
from .queries.search import SearchQuery, household_rows, search_households
from .queries.stats import groups
from .queries.years import current_year
from .services.edit_state import EditState, state_from_json, state_to_json, upgrade_v1
from .services import leaving
from .services import users as user_ops
from .services.users import ROLES, UserInfo
from .services import procedures
from .services.procedures import Photo
from .services.editing import Photos, Saved, save_edits
from .services.households import unit_of_work
from .opchanges import OpChanges
from .settings import Settings, for_store
from .store import backups
from .store.backups import BackupInfo
from .store.lock import StoreInUseError, StoreLock
from .store.store import Store
from .store.store import check_password_strength, password_strength_hint
from .sync.status import household_states, open_counts, sync_status
from .tabular.importer import ImportOptions, ImportReport, run_import
from .tabular.warnings import WarningImport, import_warnings

if TYPE_CHECKING:
    from .sync.client import Outgoing, PushResult, Sent
    from .sync.down import DownResult
    from .sync.enrollment import Enrollment
    from .sync.pull import DownAsk
    from .sync.receipts import AckResult
    from .sync.received import ReceivedSummary

__all__ = [
    "Archive", "BackupInfo", "Counted", "Downloaded", "OpChanges", "Packed", "WaitingDraft",
    "check_password_strength", "create_archive", "decode_draft", "draft_key", "encode_draft", "open_archive",
    "password_strength_hint", "reset_password", "StoreInUseError", "StoreLock", "lock_store", "restore_backup",
    "ROLES", "UserInfo",
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
class WaitingDraft:
    """A draft no editor has taken up (left by a crash or a power cut): what the unlock offers."""
    key: str
    household_id: str | None  # None: a household never saved
    label: str  # head's name and household number
    saved_at: str
    holds: list[str]


@dataclass(frozen=True)
class Downloaded:
    """What a download from the county (HTTP) or a folder of its files (USB) brought."""

    packages: int  # down packages applied
    households: int  # households they changed
    conflicts: int  # fields kept against the county's value
    reference: int  # thresholds and rule parameters taken over
    acks: int  # acknowledgments applied (a USB folder)
    changes: OpChanges
    lines: tuple[str, ...] = ()  # per file, for a folder
    cancelled: bool = False  # the person stopped it; the rest comes with the next download
    uploaded: int = 0  # this device's packages sent first (a download over the network is an exchange)
    confirmed: int = 0  # this device's changes the acknowledgments confirmed
    refused: int = 0  # ... held as conflicts at the county, or refused

    @classmethod
    def of(cls, downs: list[DownResult], acks: list[AckResult] | None = None, lines: tuple[str, ...] = (), *,
           cancelled: bool = False, uploaded: int = 0) -> "Downloaded":
        households = set().union(*(d.households for d in downs)) if downs else set()
        changes = OpChanges(households=frozenset(households), sync_states=bool(acks) or bool(uploaded))
        for ack in acks or []:
            changes |= ack.changes
        if any(d.reference for d in downs):  # new lines change every household's marks
            changes |= OpChanges(everything=True)
        applied = sum(int(d.own and not d.held) + len(d.released) for d in downs)
        lines = lines + tuple(d.held for d in downs if d.held and all(d.held not in line for line in lines))
        return cls(applied, len(households), sum(d.conflicts for d in downs), sum(d.reference for d in downs),
                   len(acks or []), changes, lines, cancelled, uploaded, sum(a.confirmed for a in acks or []),
                   sum(a.conflicts + a.refused for a in acks or []))


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
    def is_demo(self) -> bool:
        """Created as a demo store (the window title says so; only such a store takes demo data)."""
        return self.store.demo

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

    # ---- the monitoring procedure (issue 18) ------------------------------------------------------
    def procedures(self, household_id: str) -> list[dict[str, Any]]:
        """The household's procedures, newest first, each with its steps and its state as of today."""
        with self.store.engine.connect() as conn:
            return household_procedures(conn, household_id, date.today())

    def start_procedure(self, household_id: str, kind: str, discovered_on: date, channel: str | None,
                        note: str | None) -> OpChanges:
        with unit_of_work(self.store) as uow:
            procedures.start_procedure(uow, household_id, kind, discovered_on, channel=channel, note=note)
        return uow.changes

    def record_step(self, procedure_id: str, step: str, done_on: date, fields: dict[str, Any],
                    photos: tuple[Photo, ...] = ()) -> OpChanges:
        """Record a step (or change the one recorded) with photos of its signed forms; who records it is
        the logged-in user."""
        with unit_of_work(self.store) as uow:
            procedures.record_step(uow, procedure_id, step, done_on, photos=photos, **fields)
        return uow.changes

    def close_procedure(self, procedure_id: str, result: str, stopped: bool = False) -> OpChanges:
        """已办结 with the county's result, or 已终止 with the reason (withdrawn, a false clue)."""
        with unit_of_work(self.store) as uow:
            procedures.close_procedure(uow, procedure_id, result, stopped=stopped)
        return uow.changes

    def remove_step(self, step_id: str) -> OpChanges:
        """A step recorded by mistake, with its photos."""
        with unit_of_work(self.store) as uow:
            procedures.remove_step(uow, step_id)
        return uow.changes

    def household_warnings(self, household_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return household_warnings(conn, household_id)

    def dispose_warning(self, warning_id: str, disposition: str, on: date, reason: str | None) -> OpChanges:
        """核实后纳入 starts the household's identification (channel 部门筛查预警); the others only record."""
        with unit_of_work(self.store) as uow:
            if disposition == "核实后纳入":
                procedures.include_from_warning(uow, warning_id, on)
            else:
                procedures.dispose_warning(uow, warning_id, disposition, on, reason=reason)
        return uow.changes

    def import_warnings(self, path: Path, department: str | None) -> WarningImport:
        return import_warnings(self.store, path, department=department)

    # ---- the household editor ---------------------------------------------------------------------
    def editor_snapshot(self, household_id: str | None, year: int, in_use: frozenset[str],
                        draft_key: str | None = None) -> EditorSnapshot:
        with self.store.engine.connect() as conn:
            return editor_snapshot(conn, household_id, year, in_use, draft_key, self.store.username)

    def helpers(self) -> list[dict[str, Any]]:
        """Everyone who can be assigned as 帮扶责任人, by name."""
        with self.store.engine.connect() as conn:
            return all_helpers(conn)

    def photo(self, attachment_id: str) -> bytes | None:
        with self.store.engine.connect() as conn:
            return photo_data(conn, attachment_id)

    def save_edits(self, household_id: str | None, year: int, base: EditState, state: EditState,
                   photos: Photos) -> Saved:
        return save_edits(self.store, household_id, year, base, state, photos)

    # ---- a household leaving, coming back, or deleted before it was ever sent ------------------------
    def leave_reasons(self) -> list[str]:
        return leaving.leave_reasons()

    def leave_household(self, household_id: str, reason: str, on: str, note: str = "") -> OpChanges:
        return leaving.leave_household(self.store, household_id, reason, on, note)

    def restore_household(self, household_id: str) -> OpChanges:
        return leaving.restore_household(self.store, household_id)

    def why_not_deletable(self, household_id: str) -> str | None:
        with self.store.engine.connect() as conn:
            return leaving.why_not_deletable(conn, household_id, self.store.device_id)

    def delete_household(self, household_id: str) -> OpChanges:
        return leaving.delete_unsent_household(self.store, household_id)

    def put_back(self, household_id: str, entry: HistoryEntry) -> OpChanges:
        """The history's 恢复此原值: the entry's old value written again as a new change."""
        from .services.put_back import put_back  # noqa: PLC0415

        return put_back(self.store, household_id, entry.table, entry.entity_id, entry.column, entry.old_value)

    def write_draft(self, key: str, state: EditState) -> None:
        drafts.write_draft(self.store.engine, key, encode_draft(state))

    def delete_draft(self, key: str) -> None:
        drafts.delete_draft(self.store.engine, key)

    def waiting_drafts(self, year: int, in_use: frozenset[str] = frozenset()) -> list[WaitingDraft]:
        """Every readable draft not held by an open editor, with what it would change, oldest first."""
        from .queries.load import load_households  # noqa: PLC0415
        from .services.draft_review import describe, head_of  # noqa: PLC0415
        from .services.edit_state import initial_state  # noqa: PLC0415

        out: list[tuple[str, WaitingDraft]] = []
        with self.store.engine.connect() as conn:
            for key, text in drafts.all_drafts(conn):
                state, saved_at = decode_draft(text)
                if state is None or key in in_use:
                    continue
                hh_id = None if key.startswith(drafts.NEW_DRAFT_PREFIX) else key[len(drafts.DRAFT_PREFIX):]
                found = load_households(conn, [hh_id]) if hh_id else []
                if hh_id and not found:
                    continue  # its household is gone (deleted as a mistake, or the store was restored)
                base = initial_state(found[0], year) if found else None
                number = state.household.get("national_hh_no") or ""
                label = (head_of(state) or ("新户" if hh_id is None else "本户")) + (f"（{number}）" if number else "")
                out.append((saved_at, WaitingDraft(key, hh_id, label, saved_at, describe(base, state))))
        return [d for _s, d in sorted(out, key=lambda pair: pair[0])]

    # ---- users (用户管理) -----------------------------------------------------------------------------
    def users(self) -> tuple[str, list[UserInfo]]:
        """The signed-in user's role and every user of this store."""
        return user_ops.current_role(self.store), user_ops.list_users(self.store)

    def add_user(self, username: str, password: str, display_name: str, role: str) -> None:
        user_ops.add_user_as_signed_in(self.store, username, password, display_name=display_name, role=role)

    def change_own_password(self, old: str, new: str) -> None:
        user_ops.change_own_password(self.store, old, new)

    # ---- spreadsheets and sync (the store is handed whole to these jobs) -------------------------
    def export(self, query: SearchQuery, target: Path, what: str, progress: Report | None = None, *,
               income_layout: str = "lines", said: list[str] | None = None) -> int:
        """The households ``query`` finds, written to ``target``; returns the number of rows
        (``said``: what the person should know about the file, e.g. income years kept one line a row)."""
        from .tabular.exporter import export_xlsx  # noqa: PLC0415 (openpyxl: loaded only when used)

        return export_xlsx(self.store, self.search(query), target, what, progress=progress,
                           income_layout=income_layout, said=said)

    def preview_import(self, path: Path, mapping: dict[str, str],
                       values: dict[str, dict[str, str]] | None = None) -> ImportReport:
        """What importing ``path`` would leave: written, checked by the store's own rules, rolled back;
        ``values``: coded values the person mapped (header → {typed: label or 保留原值})."""
        return run_import(self.store, path, ImportOptions(mapping=mapping, dry_run=True, partial=True,
                                                          values=values))

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

    def prepare_down(self, url: str | None) -> DownAsk:
        """从县里下载, step by step (the network part runs elsewhere, `sync.pull.fetch_down`): the signed
        request for the package after the last one applied."""
        from .sync.pull import prepare_fetch  # noqa: PLC0415

        return prepare_fetch(self.store, url)

    def apply_fetched(self, data: bytes) -> DownResult:
        """One down package as it came from the server, in one transaction (kept even if the run stops)."""
        from .sync.pull import apply_fetched  # noqa: PLC0415

        return apply_fetched(self.store, data)

    def finish_download(self, *, complete: bool = True) -> bool:
        """After a run of down packages, ended or stopped: validation marks a big package left for the end.
        Returns whether every household's marks were refreshed. ``complete``: the county had nothing more."""
        from .sync.down import finish_run  # noqa: PLC0415

        return finish_run(self.store, complete=complete)

    def apply_received(self, paths: list[Path]) -> Downloaded:
        """A USB folder (or files) from the county: acknowledgments and down packages, in order."""
        from .sync.down import DownResult  # noqa: PLC0415
        from .sync.received import apply_files  # noqa: PLC0415

        results = list(apply_files(self.store, paths))
        downs = [r for _n, r in results if isinstance(r, DownResult) and not r.already]
        acks = [r for _n, r in results if not isinstance(r, DownResult)]
        return Downloaded.of(downs, acks, tuple(f"{name}：{_received_line(r)}" for name, r in results))

    def received(self) -> ReceivedSummary:
        """What came from the county: households changed, fields kept against the county's value."""
        from .sync.received import received_summary  # noqa: PLC0415

        return received_summary(self.store)

    def conflicts_waiting(self) -> int:
        """Conflicts the county has still to decide, seen from this device (for the 同步 menu)."""
        from .sync.received import conflicts_waiting  # noqa: PLC0415

        return conflicts_waiting(self.store)

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
        from .demo.guard import require_demo_store  # noqa: PLC0415
        from .services.checks import mark_store  # noqa: PLC0415

        require_demo_store(self.store)
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


def _received_line(result: Any) -> str:
    if result.already:
        return "以前已经导入过，没有改动。"
    if getattr(result, "held", ""):
        return f"{result.held}。"
    if hasattr(result, "households"):
        return f"下发包：{len(result.households)} 户有更新，{result.conflicts} 处冲突。"
    return f"回执：确认 {result.confirmed} 条，冲突 {result.conflicts} 处。"


# ---- opening -------------------------------------------------------------------------------------
def open_archive(path: Path, username: str, password: str) -> Archive:
    return Archive(Store.open(path, username, password))


def create_archive(path: Path, *, village_code: str, village_name: str, username: str,
                   password: str, demo: bool = False) -> tuple[Archive, str]:
    """A new encrypted store and its recovery code (shown once, never stored); ``demo``: for trying out."""
    store, code = Store.create(path, village_code=village_code, village_name=village_name, username=username,
                               password=password, demo=demo)
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


def lock_store(store_path: Path) -> StoreLock:
    """Hold the store for this copy of the app; raises ``StoreInUseError`` saying who has it."""
    return StoreLock.acquire(store_path)
