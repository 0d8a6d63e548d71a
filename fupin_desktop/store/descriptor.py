"""store.json, checked against its schema before anything else is read or written.

The descriptor says "this folder is a store" and names the store id that every key slot is bound
to. A hand-edited or damaged descriptor must end in a clear message, never in an AttributeError.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreCorrupt, StoreNotFound, missing_database_error
from .archive import DB_NAME

STORE_FORMAT = "fupin-store/1"
DESCRIPTOR_NAME = "store.json"
# Required fields, and what the Chinese message calls them; "created" is optional but must be text.
_REQUIRED = {"format": "格式", "store_id": "数据库编号"}


@dataclass(frozen=True)
class Descriptor:
    store_id: str
    created: str


def _refuse(path: Path, problem: str) -> StoreCorrupt:
    return StoreCorrupt(f"数据库描述文件 store.json 不正确：{problem}（{path}）",
                        hint="没有做任何改动。请从备份恢复 store.json，或联系县扶贫办技术人员。")


def _check(doc: Any, path: Path) -> Descriptor:
    if not isinstance(doc, dict):
        raise _refuse(path, "内容应为一个 JSON 对象")
    for field, label in _REQUIRED.items():
        if not isinstance(doc.get(field), str):
            raise _refuse(path, f"缺少“{field}”（{label}），或它不是文字")
    if not isinstance(doc.get("created", ""), str):
        raise _refuse(path, "“created”（建立时间）不是文字")
    if doc["format"] != STORE_FORMAT:
        raise _refuse(path, f"不认识的格式“{doc['format'][:40]}”")
    try:
        uuid.UUID(doc["store_id"])
    except ValueError:
        raise _refuse(path, "数据库编号（store_id）不是有效的编号") from None
    return Descriptor(store_id=doc["store_id"], created=doc.get("created", ""))


def read_descriptor(path: Path) -> Descriptor:
    descriptor = path / DESCRIPTOR_NAME
    if not descriptor.is_file():
        raise StoreNotFound(f"这里没有数据库：{path}", hint="请检查路径，或先用 fupin init 建立数据库。")
    try:
        doc = json.loads(descriptor.read_text("utf-8"))
    except (ValueError, OSError):
        raise _refuse(descriptor, "不是有效的 JSON 文件") from None
    return _check(doc, descriptor)


def check_database_file(path: Path) -> None:
    """A store folder whose database is missing or empty: refuse before any key is derived, so that
    nothing (not even a failure count) is written and SQLite never creates a new empty database."""
    db = path / DB_NAME
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        size = 0
    if size == 0:
        raise missing_database_error()


def descriptor_bytes(store_id: str, created: str) -> bytes:
    return json.dumps({"format": STORE_FORMAT, "store_id": store_id, "created": created}, indent=1).encode("utf-8")
