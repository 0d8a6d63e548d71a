"""Rotating log files in the user's data folder that never hold personal data.

Set up once per process (CLI and GUI alike) by ``setup_logging``. Every record passes through
``ScrubFilter`` before any handler sees it:

* runs of digits that could be an ID number, a phone or a bank account become ``#``;
* Chinese text in a record's *arguments* (a name, an address) becomes ``…`` — the message
  templates are the program's own words, the arguments are data;
* the home folder becomes ``~`` (the Windows user name is often a person's name);
* an exception keeps its type and code position only: its message can quote the data
  (``ui/errors.py`` does the same for the dialog's log line).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import time
import traceback
from pathlib import Path

from .paths import logs_dir, move_roaming_data

LOG_NAME = "fupin.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5  # six files of 1 MB: weeks of normal use, small enough to mail
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

# Six or more digits (with the ID number's check letter X), or groups of 3–6 digits split by spaces
# or dashes (bank cards are typed 6217 0000 1000 ..., phones 138-1234-5678): covers ID numbers,
# phones and bank accounts, and leaves dates and times (2026-12-03 07:15) alone.
_DIGITS = re.compile(r"\d{3,6}(?:[ -]\d{3,6}){2,}|\d{6,}[Xx]?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_installed: logging.Handler | None = None


def scrub_text(text: str) -> str:
    home = str(Path.home())
    if len(home) > 1:
        text = text.replace(home, "~")
    return _DIGITS.sub("#", text)


def scrub_arg(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # counts, sizes and seconds: numbers in the data model (ID, phone, bank) are text
    if isinstance(value, bool) or value is None:
        return value
    return _CJK.sub("…", scrub_text(str(value)))


def exception_summary(exc: BaseException) -> str:
    """Type and code position only (file:line, innermost first)."""
    frames = traceback.extract_tb(exc.__traceback__)[-8:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
    return f"{type(exc).__name__} at {where or '?'}"


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            if isinstance(record.args, dict):
                record.args = {k: scrub_arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(scrub_arg(a) for a in args)
        record.msg = scrub_text(str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.msg} [{exception_summary(record.exc_info[1])}]"
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """One log file shared by every process (the app, CLI commands beside it), rotated by size.

    On Windows the file cannot be renamed while another process has it open (the app always has),
    and an antivirus scan can hold any of the files for a moment. A rotation that fails then keeps
    writing to the current file and tries again a minute later: no line is lost and no logging
    traceback reaches the console. The file grows past ``maxBytes`` meanwhile; that is all.
    """

    RETRY_AFTER = 60.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._next_try = 0.0

    def shouldRollover(self, record: logging.LogRecord) -> int:  # noqa: N802 (logging's name)
        if time.monotonic() < self._next_try:
            return 0
        return super().shouldRollover(record)

    def doRollover(self) -> None:  # noqa: N802 (logging's name)
        try:
            super().doRollover()
        except OSError:
            self._next_try = time.monotonic() + self.RETRY_AFTER
            if self.stream is None or self.stream.closed:
                self.stream = self._open()


def setup_logging(*, level: int = logging.INFO, console: bool = False) -> Path | None:
    """Attach the rotating file handler to the root logger (once); returns the log file.

    A folder that cannot be written (read-only profile) leaves logging to stderr only: the program
    must still start.
    """
    global _installed
    root = logging.getLogger()
    # Every start (app and CLI) comes here first: the one-time move to Local happens before the log
    # folder is made, so the log goes where the store is.
    moved = move_roaming_data() if _installed is None else None
    path = logs_dir() / LOG_NAME
    if _installed is None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = SharedRotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True)
        except OSError:
            handler = logging.StreamHandler(sys.stderr)  # the return below then says: no log file
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(ScrubFilter())
        root.addHandler(handler)
        _installed = handler
        if console:
            stream = logging.StreamHandler(sys.stderr)
            stream.setLevel(logging.WARNING)
            stream.addFilter(ScrubFilter())
            root.addHandler(stream)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # Alembic says "Context impl SQLiteImpl" on every open; the upgrade itself is logged by migrate.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if moved:
        logging.getLogger(__name__).info("%s", moved)
    return path if isinstance(_installed, logging.handlers.RotatingFileHandler) else None


def log_files() -> list[Path]:
    folder = logs_dir()
    return sorted(folder.glob(LOG_NAME + "*")) if folder.is_dir() else []
