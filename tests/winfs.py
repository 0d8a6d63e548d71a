"""Windows file behaviour on Linux, for tests: a file "held open by another process" (an antivirus
scan, OneDrive, WPS showing it) cannot be renamed, replaced or deleted, nor can a folder holding it.

``WindowsFS.install(monkeypatch)`` wraps ``os.replace``, ``os.rename``, ``os.unlink``, ``os.remove``,
``os.rmdir`` and ``shutil.rmtree`` (``pathlib.Path.replace/rename/unlink/rmdir`` call these, so they
follow); a test marks files as held with ``hold(path)`` (as long as the ``with`` lasts) or
``hold(path, attempts=n)`` (the next n touches fail, then the file is free — a scan that ends). The
error is the one Windows gives: ``PermissionError`` (WinError 32, "另一个程序正在使用此文件").
The ``winfs`` fixture (conftest.py) installs it; ``FUPIN_WINDOWS_FS=1`` installs it for every test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

WINDOWS_TEXT = "另一个程序正在使用此文件，进程无法访问。"


class WindowsFS:
    def __init__(self) -> None:
        self.held: dict[str, int | None] = {}  # absolute path → failing touches left (None: until released)
        self.refused: list[str] = []  # every refused call, for tests that check a retry happened
        self._real: dict[str, Callable[..., Any]] = {}

    # ---- what a test controls ------------------------------------------------------------------
    @contextmanager
    def hold(self, path: Path | str, attempts: int | None = None) -> Iterator[Path]:
        key = os.path.abspath(path)
        self.held[key] = attempts
        try:
            yield Path(path)
        finally:
            self.held.pop(key, None)

    def hold_forever(self, path: Path | str, attempts: int | None = None) -> None:
        self.held[os.path.abspath(path)] = attempts

    def release(self, path: Path | str) -> None:
        self.held.pop(os.path.abspath(path), None)

    # ---- the check ---------------------------------------------------------------------------------
    def _blocking(self, path: Any) -> str | None:
        """The held file that stops touching ``path`` (itself, or inside the folder ``path``)."""
        if isinstance(path, int):
            return None
        target = os.path.abspath(os.fspath(path))
        for held in list(self.held):
            if held == target or held.startswith(target.rstrip(os.sep) + os.sep):
                return held
        return None

    def _check(self, *paths: Any) -> None:
        for path in paths:
            if (held := self._blocking(path)) is None:
                continue
            left = self.held.get(held)
            if left is not None:
                if left <= 0:
                    self.held.pop(held, None)
                    continue
                self.held[held] = left - 1
            self.refused.append(held)
            raise PermissionError(13, WINDOWS_TEXT, os.fspath(path))

    # ---- the wrapped calls ------------------------------------------------------------------------
    def install(self, monkeypatch: pytest.MonkeyPatch) -> WindowsFS:
        for name in ("replace", "rename"):
            self._real[name] = getattr(os, name)
            monkeypatch.setattr(os, name, self._two_paths(name))
        for name in ("unlink", "remove", "rmdir"):
            self._real[name] = getattr(os, name)
            monkeypatch.setattr(os, name, self._one_path(name))
        self._real["rmtree"] = shutil.rmtree
        monkeypatch.setattr(shutil, "rmtree", self._rmtree)
        return self

    def _two_paths(self, name: str) -> Callable[..., Any]:
        def call(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("src_dir_fd") is None and kwargs.get("dst_dir_fd") is None:
                self._check(src, dst)
            return self._real[name](src, dst, *args, **kwargs)
        return call

    def _one_path(self, name: str) -> Callable[..., Any]:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("dir_fd") is None:  # shutil.rmtree's own inner calls: checked in _rmtree
                self._check(path)
            return self._real[name](path, *args, **kwargs)
        return call

    def _rmtree(self, path: Any, ignore_errors: bool = False, onerror: Any = None, **kwargs: Any) -> None:
        """As on Windows: everything that is not held goes; a held file (and the folders around it) stays,
        and the call fails unless told to ignore errors."""
        try:
            self._check(path)  # a file held for n touches counts this call as one
        except PermissionError:
            self._delete_around_held(os.path.abspath(os.fspath(path)))
            if not ignore_errors:
                raise
            return
        self._real["rmtree"](path, ignore_errors=ignore_errors, onerror=onerror, **kwargs)

    def _delete_around_held(self, root: str) -> None:
        for folder, _dirs, files in os.walk(root, topdown=False):
            for name in files:
                if self._blocking(full := os.path.join(folder, name)) is None:
                    self._real["unlink"](full)
            if self._blocking(folder) is None:
                self._real["rmdir"](folder)
