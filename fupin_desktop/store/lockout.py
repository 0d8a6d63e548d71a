"""The growing delay after wrong passwords, counted per user and per recovery code.

Each failure is one empty file ``keys/failures/<who>-<random>.fail``; the count is the number of
such files. Creating a uniquely named file is atomic on every file system, so parallel attempts are
counted exactly with no lock and no read-modify-write race, and a success removes only its own
user's files. The count is capped, so no number of failures can overflow the delay or lock anyone out
for longer than ``MAX_DELAY``; the recovery code has its own counter, so a user's failures never
delay the recovery path. Why deleting these files is not guarded: see docs/security.md, "Lockout".
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from ..fsutil import try_remove

MAX_DELAY = 30.0
FAILURE_CAP = 16  # past this the delay is long since at MAX_DELAY; more files would only fill the disk
RECOVERY = "recovery"


class Lockout:
    def __init__(self, keys_dir: Path, base_delay: float) -> None:
        self.dir = keys_dir / "failures"
        self.base_delay = base_delay

    def _files(self, who: str) -> list[Path]:
        return sorted(self.dir.glob(f"{who}-*.fail")) if self.dir.is_dir() else []

    def failures(self, who: str) -> int:
        return min(len(self._files(who)), FAILURE_CAP)

    def delay_seconds(self, who: str) -> float:
        n = self.failures(who)
        return 0.0 if n == 0 else min(self.base_delay * 2.0 ** (n - 1), MAX_DELAY)

    def wait(self, who: str) -> None:
        if (delay := self.delay_seconds(who)) > 0:
            time.sleep(delay)

    def record_failure(self, who: str) -> None:
        if len(self._files(who)) >= FAILURE_CAP:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / f"{who}-{uuid.uuid4().hex}.fail", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)

    def record_success(self, who: str) -> None:
        # Best-effort: a counter file held by a virus scan must not turn a correct password into a
        # refusal. It stays until the next success; meanwhile the delay it adds is capped.
        for path in self._files(who):
            try_remove(path)
