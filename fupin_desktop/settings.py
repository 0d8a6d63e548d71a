"""The program's settings in one place: a typed dataclass with sane defaults, stored per store and
user as a small JSON file in the user's data folder (``settings/<hash>.json``).

Nothing personal goes in it: the file name is a hash of the store id and user name, and the values
are minutes, counts, folders and an address. Unknown keys (from a newer version) are kept; a value of
the wrong type falls back to its default, so a hand-edited file never stops the program starting.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from .fsutil import write_atomic
from .paths import settings_dir

log = logging.getLogger(__name__)
FORMAT = "fupin-settings/1"


@dataclass
class Settings:
    autolock_minutes: float = 5.0          # lock the screen after this much idle time
    backup_dir: str = ""                  # "" = the store's own backups/ folder
    backup_keep: int = 10                 # automatic backups kept per kind (daily, before migration, ...)
    backup_warn_days: int = 7             # warn when the newest backup is older than this
    font_path: str = ""                   # "" = the first CJK font found on the system
    ui_font_points: int = 0               # 0 = the system's UI text size (Windows: 显示 → 文本大小)
    county_server_url: str = ""           # the county's sync server (issue 5); "" = USB stick only
    county_server_allow_http: bool = False  # plain http beyond this machine (issue 12); off = refused
    county_server_ca_file: str = ""       # the county CA (PEM) trusted for https; "" = the system's CAs
    mask_public_forms: bool = True        # card, roster, ledger: mask ID, bank and phone by default
    mask_internal_forms: bool = False     # registration, income, village: shown in full by default
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    def validate(self) -> list[str]:
        """Problems in Chinese, one per bad value (the dialog shows them; nothing is saved)."""
        problems = []
        if not 1 <= self.autolock_minutes <= 240:
            problems.append("自动锁定时间应在 1 到 240 分钟之间。")
        if not 1 <= self.backup_keep <= 365:
            problems.append("保留备份份数应在 1 到 365 之间。")
        if not 1 <= self.backup_warn_days <= 365:
            problems.append("备份提醒天数应在 1 到 365 之间。")
        if self.ui_font_points and not 7 <= self.ui_font_points <= 24:
            problems.append("界面字号应在 7 到 24 磅之间（0 = 跟随系统）。")
        if self.font_path and not Path(self.font_path).is_file():
            problems.append(f"找不到字体文件：{self.font_path}")
        if self.county_server_url and not self.county_server_url.startswith(("http://", "https://")):
            problems.append("县级服务器地址应以 http:// 或 https:// 开头。")
        if self.county_server_ca_file and not Path(self.county_server_ca_file).is_file():
            problems.append(f"找不到县级 CA 证书文件：{self.county_server_ca_file}")
        return problems

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        extra = doc.pop("extra")
        return {**extra, **doc}


def _known() -> dict[str, Any]:
    return {f.name: f for f in fields(Settings) if f.name != "extra"}


def from_dict(doc: dict[str, Any]) -> Settings:
    defaults = Settings()
    values: dict[str, Any] = {}
    for name, f in _known().items():
        if name not in doc:
            continue
        default = getattr(defaults, name)
        value = doc[name]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = type(default)(value) if ok else value
        else:
            ok = isinstance(value, type(default))
        if ok:
            values[name] = value
        else:
            log.warning("setting %s has the wrong type; using the default", name)
    extra = {k: v for k, v in doc.items() if k not in _known() and k != "format"}
    return Settings(**values, extra=extra)


def settings_path(store_id: str, username: str) -> Path:
    digest = hashlib.sha256(f"{store_id}\0{username.strip()}".encode("utf-8")).hexdigest()[:24]
    return settings_dir() / f"{digest}.json"


def load_settings(store_id: str | None = None, username: str = "") -> Settings:
    """The settings of this store and user; defaults when there are none (or no store yet)."""
    if not store_id:
        return Settings()
    path = settings_path(store_id, username)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError):
        log.warning("settings file unreadable; using defaults")
        return Settings()
    return from_dict(doc) if isinstance(doc, dict) else Settings()


def save_settings(settings: Settings, store_id: str, username: str) -> Path:
    path = settings_path(store_id, username)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, **settings.as_dict()}
    write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


class StoreUser(Protocol):
    """Whose settings: an open store (store.Store, or store.backups.OpenStore) and its signed-in user."""

    @property
    def store_id(self) -> str: ...

    @property
    def username(self) -> str: ...


def for_store(store: StoreUser) -> Settings:
    """Settings of an open store's user (``store.store_id``, ``store.username``)."""
    return load_settings(store.store_id, store.username)
