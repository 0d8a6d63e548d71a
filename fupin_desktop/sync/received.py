"""What the county sends back, however it arrives (a USB folder, files picked in the app): acknowledgments
and down packages, each recognised by its frame, down packages applied in their numbered order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from .down import DownResult, apply_down, finish_run
from .package import Kind, PackageReader
from .receipts import AckResult, apply_ack

if TYPE_CHECKING:
    from ..store.store import Store

SUFFIXES = (".fupinack", ".fupindown")


def _in_folder(folder: Path, device_id: str) -> list[Path]:
    """A folder's acknowledgments and down packages, in name order (which is number order). The county
    writes one stick for many devices, each in files named for it: a device takes its own ones."""
    found = sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and not p.name.startswith("."))
    mine = [p for p in found if device_id[:8] in p.relative_to(folder).as_posix()]
    return mine or found


def expand(paths: list[Path], device_id: str) -> list[Path]:
    """Files as given; a folder gives this device's acknowledgments and down packages."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_in_folder(path, device_id))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"找不到文件或文件夹：{path}")
    return files


def apply_files(store: Store, paths: list[Path]) -> Iterator[tuple[str, AckResult | DownResult]]:
    """Apply each file; yields (name, AckResult or DownResult). A refused file raises (nothing of it applied)."""
    try:
        for path in expand(paths, store.device_id):
            kind = PackageReader(path).frame.kind
            yield path.name, apply_down(store, path) if kind == Kind.DOWN else apply_ack(store, path)
    finally:  # also after a refused file: what was applied before it gets its validation marks
        finish_run(store)
