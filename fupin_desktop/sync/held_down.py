"""Down packages the device keeps for later: one that arrived before its predecessor (a USB folder
with a package missing, or one copied from a later stick), and one from a newer county program than
this one (kept until this program is upgraded). They are kept as received, still sealed to this
device, one file per number in ``<store>/held-down/`` (written atomically: a power cut leaves the
file whole or absent), and applied in order once the missing package arrives or the program knows
their schema. Nothing personal is in clear on disk: the files are the county's ciphertext.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..fsutil import remove, rename, try_remove, write_atomic

if TYPE_CHECKING:
    from ..store.store import Store

log = logging.getLogger(__name__)
FOLDER = "held-down"
SUFFIX = ".fupindown"
REFUSED_SUFFIX = ".refused"  # a held package that could not be applied when its turn came: kept, no longer tried


def folder(store: Store) -> Path:
    return Path(store.path) / FOLDER


def held_path(store: Store, number: int) -> Path:
    return folder(store) / f"{number:08d}{SUFFIX}"


def keep(store: Store, source: Path, number: int) -> Path:
    """Keep the sealed package ``source`` as number ``number``; a second copy of it replaces the first
    (the county rebuilds no number: both are the same bytes, checked again when it is applied)."""
    target = held_path(store, number)
    if Path(source).resolve() == target.resolve():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, Path(source).read_bytes())
    return target


def held_numbers(store: Store) -> list[int]:
    return sorted(number for number, _ in _files(store))


def _files(store: Store) -> Iterator[tuple[int, Path]]:
    where = folder(store)
    if not where.is_dir():
        return
    for path in where.iterdir():
        if path.suffix == SUFFIX and path.stem.isdigit():
            yield int(path.stem), path


def forget_through(store: Store, applied: int) -> None:
    """Held copies of packages already applied (the same package came another way, or a crash fell
    between the commit and the delete): not needed any more."""
    for number, path in _files(store):
        if number <= applied:
            try_remove(path, retry=True)


def set_aside(path: Path) -> Path:
    """A held package refused when its turn came: renamed so that it is not tried again, kept for a
    person (or the diagnostics) to look at."""
    target = path.with_name(path.name + REFUSED_SUFFIX)
    rename(path, target)
    return target


def done(path: Path) -> None:
    remove(path)


def missing_message(last: int, number: int) -> str:
    first, final = last + 1, number - 1
    missing = f"第 {first} 个" if first == final else f"第 {first}–{final} 个"
    return (f"缺少{missing}下发包，这个第 {number} 个包已暂存在本机，等缺少的包导入后自动按顺序导入"
            "（请从县里重新拷贝或联网下载缺少的包）")


def schema_message(revision: object, number: int) -> str:
    return (f"本机程序版本较旧，请升级：第 {number} 个下发包来自更新的县级程序（数据结构版本 {revision}），"
            "已暂存在本机，升级后会自动导入，内容不会丢失")
