"""Automatic encrypted backups: daily on open, before every schema upgrade, before every import
(and before a restore), the last N of each kind kept.

Every backup is a ``.fupinbak`` (``Store.backup``): the SQLCipher copy and the key slots, so it opens
with the same passwords and recovery code and reveals nothing without them. The folder is the
``backup_dir`` setting (a USB stick, a second disk) or the store's own ``backups/``. File names carry
the first characters of the store id, so several stores can share one folder and pruning touches
only this store's files::

    1f3a9c2e-daily-20261203-071500.fupinbak
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from .. import fsutil
from ..errors import FupinError, InvalidInput, StoreExists
from ..settings import Settings, for_store, load_settings
from .archive import restore_backup, write_backup
from .keyslots import KeyRing
from .lock import holder, in_use_error

log = logging.getLogger(__name__)
KINDS = {"daily": "每日自动", "migration": "升级前", "import": "导入前", "restore": "恢复前", "manual": "手动"}
DAILY_EVERY = timedelta(days=1)
_NAME = re.compile(r"^(?P<store>[0-9a-f]{8})-(?P<kind>[a-z]+)-(?P<stamp>\d{8}-\d{6})(?:-\d+)?\.fupinbak$")


class OpenStore(Protocol):
    """What this module needs of an open store (store.Store); store.py builds on this module, not the reverse."""

    engine: Engine
    path: Path
    keyring: KeyRing
    store_id: str
    username: str


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str
    made: datetime

    @property
    def label(self) -> str:
        return f"{self.made:%Y-%m-%d %H:%M} {KINDS.get(self.kind, self.kind)}"


def backup_folder(store_path: Path, settings: Settings) -> Path:
    return Path(settings.backup_dir).expanduser() if settings.backup_dir else Path(store_path) / "backups"


def _target(folder: Path, store_id: str, kind: str, now: datetime) -> Path:
    base = f"{store_id[:8]}-{kind}-{now:%Y%m%d-%H%M%S}"
    out, n = folder / f"{base}.fupinbak", 1
    while out.exists():  # two imports in one second
        n += 1
        out = folder / f"{base}-{n}.fupinbak"
    return out


def list_backups(folder: Path, store_id: str) -> list[BackupInfo]:
    """This store's automatic backups in ``folder``, newest first."""
    found = []
    for path in folder.glob(f"{store_id[:8]}-*.fupinbak") if folder.is_dir() else []:
        match = _NAME.match(path.name)
        if match and match["store"] == store_id[:8]:
            found.append(BackupInfo(path, match["kind"], datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")))
    return sorted(found, key=lambda b: (b.made, b.path.name), reverse=True)


def prune(folder: Path, store_id: str, kind: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of one kind; returns what went.

    Housekeeping, so it never raises: a backup held by a virus scan or a sync client (or a folder
    that went away) stays until a later prune, and the command that made the new backup carries on."""
    try:
        old = [b.path for b in list_backups(folder, store_id) if b.kind == kind][max(keep, 1):]
    except OSError as exc:
        log.warning("backups not pruned: %s", type(exc).__name__)
        return []
    return [path for path in old if fsutil.try_remove(path)]


def _write(engine: Engine, store_path: Path, keyring: KeyRing, settings: Settings, kind: str,
           now: datetime | None) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown backup kind {kind!r}")
    folder = backup_folder(store_path, settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        out = write_backup(engine, store_path, keyring, _target(folder, keyring.store_id, kind, now or datetime.now()))
    except OSError as exc:
        raise InvalidInput(f"无法写入备份文件夹：{folder}",
                           hint="请检查U盘或磁盘是否插好、是否有空间，或在“设置”里换一个备份文件夹。") from exc
    prune(folder, keyring.store_id, kind, settings.backup_keep)
    log.info("backup written (%s), %d bytes", kind, out.stat().st_size)
    return out


def auto_backup(store: OpenStore, reason: str, *, settings: Settings | None = None,
                now: datetime | None = None) -> Path:
    """An automatic backup of an open store. ``reason``: "import" (call it before every import),
    "daily", "restore" or "manual". Raises ``InvalidInput`` in Chinese when the folder is unusable."""
    return _write(store.engine, store.path, store.keyring, settings or for_store(store), reason, now)


def backup_before_migration(engine: Engine, store_path: Path, keyring: KeyRing, username: str,
                            revision: str) -> Path:
    """Called by ``Store.open`` before a schema upgrade; the upgrade does not run if this fails."""
    log.info("backing up before upgrading the schema from %s", revision)
    return _write(engine, store_path, keyring, load_settings(keyring.store_id, username), "migration", None)


def last_backup(store: OpenStore, settings: Settings | None = None) -> BackupInfo | None:
    found = list_backups(backup_folder(store.path, settings or for_store(store)), store.store_id)
    return found[0] if found else None


def daily_backup_if_due(store: OpenStore, *, settings: Settings | None = None,
                        now: datetime | None = None) -> Path | None:
    """Back up when this store's newest backup is more than a day old (or there is none).

    Called only after a store has passed its open checks (``Store.open``): after unlocking (GUI, on
    the worker thread) and by the CLI commands that open a store, ``verify`` only once it found the
    store sound. A copy that fails (a corrupt page) raises ``StoreCorrupt`` in Chinese; callers
    report it and carry on, and no older backup is pruned.
    """
    settings = settings or for_store(store)
    now = now or datetime.now()
    newest = last_backup(store, settings)
    if newest is not None and now - newest.made < DAILY_EVERY:
        return None
    return _write(store.engine, store.path, store.keyring, settings, "daily", now)


def backup_warning(store: OpenStore, *, settings: Settings | None = None, now: datetime | None = None) -> str | None:
    """A Chinese warning when the newest backup is older than ``backup_warn_days`` (or missing)."""
    settings = settings or for_store(store)
    newest = last_backup(store, settings)
    if newest is None:
        return f"还没有备份（备份文件夹：{backup_folder(store.path, settings)}）。请立即备份。"
    age = (now or datetime.now()) - newest.made
    if age.days >= settings.backup_warn_days:
        return f"最近一次备份是 {age.days} 天前（{newest.made:%Y-%m-%d}）。请立即备份，或检查备份文件夹是否可用。"
    return None


def replace_with_backup(store_path: Path, backup: Path, *, now: datetime | None = None) -> Path:
    """Put the store at ``store_path`` back to ``backup``; the store must be closed.

    The backup is unpacked beside the store first (a damaged file changes nothing), then the current
    folder is renamed to ``<name>.恢复前-<time>`` — a complete safety copy, drafts included — and the
    unpacked one takes its place. The backups folder inside the store moves into the new one so the
    list of backups stays where it was. Returns the safety copy's folder.

    All or nothing: if any rename fails (a file held by another program, after the retries), every
    step done is undone and the store is where it was, as it was.
    """
    store_path, stamp = Path(store_path), f"{now or datetime.now():%Y%m%d-%H%M%S}"
    staging = store_path.with_name(f".{store_path.name}.restoring-{stamp}")
    safety = store_path.with_name(f"{store_path.name}.恢复前-{stamp}")
    if staging.exists() or safety.exists():
        raise StoreExists(f"文件夹已存在：{safety}", hint="请稍等一秒再试。")
    if (who := holder(store_path)) is not None:  # the app has it open (it lets go before its own restore)
        raise in_use_error(who)
    try:
        restore_backup(backup, staging)
        fsutil.rename(store_path, safety)
    except BaseException:
        fsutil.try_rmtree(staging)
        raise
    try:
        fsutil.rename(staging, store_path)
        if (safety / "backups").is_dir():
            fsutil.rename(safety / "backups", store_path / "backups")
    except BaseException:
        _put_back(store_path, staging, safety)
        raise
    log.info("store replaced by a backup; the previous store was kept beside it")
    return safety


def _put_back(store_path: Path, staging: Path, safety: Path) -> None:
    """Undo a half-done replacement: the unpacked backup out of the way, the old folder back in place."""
    try:
        if store_path.exists():
            fsutil.rename(store_path, staging)
        fsutil.rename(safety, store_path)
    except FupinError as err:
        log.error("restore could not be undone; the previous store is kept whole beside it")
        raise FupinError(f"恢复没有完成，原来的数据库完整保留在：{safety}",
                         hint="请关闭占用文件的程序（杀毒软件、WPS/Excel 或同步盘），把这个文件夹改回原来的名字"
                              f"“{store_path.name}”后再打开。") from err
    fsutil.try_rmtree(staging)
