"""What `county serve` can find out about a PostgreSQL county database's protection, reported as
warnings (never refusals): the county decides about its own database server, we only say what we see.
The at-rest requirement itself (disk encryption) is in docs/county-server.md."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

_LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


def _setting(conn: Connection, sql: str) -> str | None:
    try:
        with conn.begin_nested():
            value = conn.execute(text(sql)).scalar()
    except DBAPIError:  # e.g. data_directory needs pg_read_all_settings
        return None
    return None if value is None else str(value)


def _mount_source(path: Path) -> str | None:
    """The device a path is mounted from (Linux /proc/self/mountinfo), or None when unknown."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    best, source = "", None
    for line in lines:
        left, _, right = line.partition(" - ")
        mount = left.split()[4]
        if (str(path) + "/").startswith(mount.rstrip("/") + "/") and len(mount) >= len(best):
            best, source = mount, right.split()[1]
    return source


def volume_encrypted(path: Path) -> bool | None:
    """True on a dm-crypt (LUKS) volume, False on a plain block device, None when it cannot be told."""
    source = _mount_source(path)
    if not source or not source.startswith("/dev/"):
        return None
    name = Path(os.path.realpath(source)).name
    uuid_file = Path("/sys/block") / name / "dm" / "uuid"
    if uuid_file.is_file():
        return uuid_file.read_text().startswith("CRYPT-")
    return False if (Path("/sys/block") / name).exists() or Path(f"/sys/class/block/{name}").exists() else None


def _directory_finding(data_dir: str | None, local: bool) -> str:
    if not local or not data_dir or not Path(data_dir).exists():
        return ("提示：无法从这里确认数据库服务器的数据目录是否在加密磁盘上；"
                "按要求，数据库服务器必须使用全盘加密（见 docs/county-server.md）。")
    encrypted = volume_encrypted(Path(data_dir))
    if encrypted:
        return f"提示：数据目录 {data_dir} 在加密卷（dm-crypt）上。"
    if encrypted is False:
        return f"警告：数据目录 {data_dir} 不在加密卷上；全县的户档案以明文存放在磁盘上，请启用全盘加密。"
    return f"提示：无法判断数据目录 {data_dir} 所在磁盘是否加密；请确认已启用全盘加密（LUKS/BitLocker）。"


def postgres_findings(engine: Engine) -> list[str]:
    local = engine.url.host in _LOCAL_HOSTS
    with engine.connect() as conn:
        server_ssl = _setting(conn, "SHOW ssl")
        link_ssl = _setting(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        data_dir = _setting(conn, "SHOW data_directory")
    findings = []
    if link_ssl not in ("true", "True") and not local:
        findings.append(f"警告：到数据库服务器 {engine.url.host} 的连接没有加密（服务器 ssl={server_ssl or '未知'}）；"
                        "请在数据库地址里加上 ?sslmode=verify-full 并在服务器上启用 ssl。")
    findings.append(_directory_finding(data_dir, local))
    return findings


def report_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    for line in postgres_findings(engine):
        print(line, file=sys.stderr, flush=True)
