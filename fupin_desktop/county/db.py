"""Opening the county database from a URL and keeping its schema at the Alembic head."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from ..errors import FupinError, InvalidInput
from ..paths import migrations_dir


class CountyDatabaseError(FupinError):
    exit_code = 10


def default_db_url() -> str:
    if url := os.environ.get("FUPIN_COUNTY_DB"):
        return url
    from ..paths import default_store_dir  # noqa: PLC0415

    return f"sqlite:///{default_store_dir().parent / 'county.db'}"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite county database URL; None for PostgreSQL or an in-memory database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_county_engine(url: str, passphrase: str | None = None) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":  # psycopg 3 is the driver we ship
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.get_backend_name() not in ("postgresql", "sqlite"):
            raise InvalidInput(f"县级数据库只支持 PostgreSQL 或 SQLite，而不是“{parsed.get_backend_name()}”。")
        if (db := sqlite_file(url)) is not None:
            return _cipher_engine(db, passphrase)
        # hide_parameters: a database error's text never quotes the records (names, ID numbers) into a log
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise InvalidInput(f"数据库地址无效：{url}", hint="例如 postgresql://用户:密码@主机/数据库") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _cipher_engine(db: Path, passphrase: str | None) -> Engine:
    from .cipherdb import database_key, make_cipher_engine  # noqa: PLC0415

    if passphrase is None:  # a programming error: every caller of a SQLite county has the passphrase
        raise CountyDatabaseError("打开 SQLite 县级数据库需要县级密钥口令。")
    db.parent.mkdir(parents=True, exist_ok=True)
    return make_cipher_engine(db, database_key(db, passphrase))


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir() / "county"))
    return config


def upgrade(engine: Engine) -> None:
    config = _config()
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.begin() as connection:
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:
        raise CountyDatabaseError(
            "无法连接或升级县级数据库。",
            hint=f"请检查数据库地址、用户名和密码，以及数据库服务器是否在运行（{type(exc.orig).__name__}）。") from None


def open_county_db(url: str, passphrase: str | None = None) -> Engine:
    """The county database at its schema head. A SQLite one is SQLCipher and needs the county passphrase
    (cipherdb.py); for PostgreSQL the passphrase is not used (its at-rest protection is the server's disk)."""
    engine = make_county_engine(url, passphrase)
    upgrade(engine)
    return engine
