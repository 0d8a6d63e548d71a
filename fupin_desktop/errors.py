"""The core's error hierarchy.

Every error a person can cause carries a Chinese message that says what is wrong and what to do.
The CLI prints ``str(error)``; the UI has one presenter that does the same. Anything that is not a
``FupinError`` is a bug and is reported as one.
"""

from __future__ import annotations


class FupinError(Exception):
    """An error a user can understand and act on. ``exit_code`` is used by the CLI."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


# The names below predate the linter and lack the "Error" suffix (ruff N818). They are the error
# vocabulary of the whole program (InvalidInput alone is used in ~150 places, across ui/ and the tests),
# so they keep their names; new exception classes take the suffix.
class StoreNotFound(FupinError):  # noqa: N818
    exit_code = 3


class StoreExists(FupinError):  # noqa: N818
    exit_code = 3


class WrongPassword(FupinError):  # noqa: N818
    exit_code = 4


class UnknownUser(FupinError):  # noqa: N818
    exit_code = 4


class KeySlotCorrupt(FupinError):  # noqa: N818
    exit_code = 5


class StoreCorrupt(FupinError):  # noqa: N818
    exit_code = 6


class EncryptionUnavailable(FupinError):  # noqa: N818
    """The SQLite module in use has no SQLCipher: it would write clear text, so we refuse."""

    exit_code = 7


class InvalidInput(FupinError):  # noqa: N818
    """A value a person typed or a file supplied cannot be stored as it is."""

    exit_code = 2

    def __init__(self, message: str, *, field: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class NotFound(FupinError):  # noqa: N818
    exit_code = 2


class Cancelled(FupinError):  # noqa: N818
    """The person pressed Cancel; whatever the job had written is rolled back."""

    exit_code = 130

    def __init__(self, message: str = "已取消，没有做任何改动。") -> None:
        super().__init__(message)


class StoreRolledBack(StoreCorrupt):
    """The database is older than the commit counter kept beside it (store/rollback.py)."""


RESTORE_HINT = "请从最近的备份恢复（fupin restore 备份文件 --store 数据库文件夹 --replace），或联系县扶贫办技术人员。"
# What SQLite says when the file itself is damaged (as opposed to locked, full or a constraint).
_CORRUPTION_WORDS = ("malformed", "not a database", "corrupt", "file is encrypted", "disk i/o error")


def corrupt_error(exc: BaseException | None = None) -> StoreCorrupt:
    """The message for a database file that cannot be read; ``exc`` stays out of it (it may hold data)."""
    return StoreCorrupt("数据库文件已损坏，无法读取。", hint=f"数据没有被改动。{RESTORE_HINT}")


def missing_database_error() -> StoreCorrupt:
    return StoreCorrupt("数据库文件丢失或为空，请从备份恢复。", hint=f"没有做任何改动。{RESTORE_HINT}")


def is_corruption(exc: BaseException) -> bool:
    """Whether a database driver error means a damaged file (checked by its SQLite message)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return any(word in text for word in _CORRUPTION_WORDS)
