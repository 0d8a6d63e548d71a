"""Running the county server with uvicorn: TLS from a certificate and key, a deadline for request
headers (uvicorn has none: a client dribbling header bytes would hold a connection forever), a cap
on open connections, and a loud warning when plain http listens beyond this machine."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
from sqlalchemy import Engine
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import InvalidInput
from ..sync.transport import is_loopback
from .keys import CountyKeys
from .spool import clean_stale_uploads, spool_dir
from .uploads import UploadPolicy


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    certfile: Path | None = None
    keyfile: Path | None = None
    header_timeout: float = 10.0  # seconds from connecting (or the previous answer) to complete headers
    body_timeout: float = 30.0
    per_device: int = 2
    max_connections: int = 200  # beyond this uvicorn answers 503 at once
    spool_base: Path | None = None

    @property
    def tls(self) -> bool:
        return self.certfile is not None


class TimedH11Protocol(H11Protocol):
    """h11 with a header deadline; the deadline is re-armed after every answer on a kept-alive connection."""

    header_timeout = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def check_tls_files(options: ServeOptions) -> None:
    if (options.certfile is None) != (options.keyfile is None):
        raise InvalidInput("启用 HTTPS 需要同时提供 --certfile 和 --keyfile。")
    for path in (options.certfile, options.keyfile):
        if path is not None and not path.is_file():
            raise InvalidInput(f"找不到证书或私钥文件：{path}")


def plain_http_warning(options: ServeOptions) -> str | None:
    if options.tls or is_loopback(options.host):
        return None
    return (f"警告：县级同步服务以明文 http 在 {options.host} 上对外提供服务，网络上的人可以看到和篡改通信。"
            "请用 --certfile/--keyfile 启用 HTTPS，或只监听 127.0.0.1 并在前面放 HTTPS 反向代理。")


def uvicorn_config(app: Any, options: ServeOptions) -> Any:
    import uvicorn  # noqa: PLC0415

    protocol = type("CountyH11Protocol", (TimedH11Protocol,), {"header_timeout": options.header_timeout})
    return uvicorn.Config(
        app, host=options.host, port=options.port, http=protocol, ssl_certfile=options.certfile,
        ssl_keyfile=options.keyfile, timeout_keep_alive=5, limit_concurrency=options.max_connections,
        h11_max_incomplete_event_size=16 * 1024, access_log=False,
        log_level=os.environ.get("FUPIN_LOG_LEVEL", "warning"))


def serve(engine: Engine, keys: CountyKeys, options: ServeOptions) -> None:
    import uvicorn  # noqa: PLC0415

    from .server import create_app  # noqa: PLC0415

    check_tls_files(options)
    if warning := plain_http_warning(options):
        print(warning, file=sys.stderr, flush=True)
    spool = spool_dir(options.port, options.spool_base)
    clean_stale_uploads(spool)
    policy = UploadPolicy(spool, body_timeout=options.body_timeout, per_device=options.per_device)
    uvicorn.Server(uvicorn_config(create_app(engine, keys, policy=policy), options)).run()
