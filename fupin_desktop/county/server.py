"""The county server (FastAPI): upload a package (idempotent by package id), fetch the device's
acknowledgment and its next down package (signed requests), health. Runs TLS itself or behind a proxy
(docs/county-server.md); the network-facing limits are in uploads.py and serving.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from starlette.requests import ClientDisconnect

from .. import __version__
from ..fsutil import try_remove
from ..sync import crypto
from ..sync.client import ACK_REQUEST_CONTEXT
from ..sync.package import Limits
from ..sync.pull import DOWN_REQUEST_CONTEXT, down_message
from .acks import build_ack
from .ahead import BuildAhead
from .down import next_for
from .importer import import_file
from .keys import CountyKeys
from .model import Device
from .spool import new_upload_path, spool_dir
from .uploads import (
    DeviceSlot,
    TooSlowError,
    UploadPolicy,
    body_chunks,
    declared_too_large,
    sender_of,
)

_BINARY_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}
# One answer for "no such device" and "wrong signature": a different one would tell a stranger which ids exist.
_ACK_REFUSED = ("BAD_SIGNATURE", "请求签名无效，或这台设备没有登记。")
_UNKNOWN_DEVICE_KEY = crypto.new_signing_key().public  # checked against, so both refusals cost the same


class AckRequest(BaseModel):
    device_id: str = Field(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")
    nonce: str = Field(min_length=16, max_length=64)
    signature: str = Field(min_length=1, max_length=200)


class DownRequest(AckRequest):
    after: int = Field(ge=0, le=2**31 - 1)  # the last down package the device has applied


def _signed_by(engine: Engine, device_id: str, signature: str, context: bytes, message: bytes) -> Any:
    """The device when ``signature`` is its registered key's, else None (one answer for both failures)."""
    with engine.connect() as conn:
        device = conn.execute(select(Device).where(Device.id == device_id)).first()
    public = bytes.fromhex(device.sign_key) if device is not None else _UNKNOWN_DEVICE_KEY
    try:
        raw = crypto.unb64(signature)
    except ValueError:
        return None
    return device if crypto.verify(public, raw, context, message) and device is not None else None


def _error(status: int, code: str, message: str, *, close: bool = False) -> JSONResponse:
    # Connection: close when the body was not read to its end: the connection cannot carry another request.
    headers = {"Connection": "close"} if close else None
    return JSONResponse({"status": "rejected", "code": code, "message": message}, status_code=status, headers=headers)


def _too_large(limits: Limits) -> JSONResponse:
    return _error(413, "TOO_LARGE", f"变更包超过大小上限（{limits.package_bytes // 1024 // 1024} MB）。", close=True)


def _busy() -> JSONResponse:
    return _error(429, "DEVICE_BUSY", "这台设备已有上传正在进行，请等它完成后再试。", close=True)


async def _receive(request: Request, path: Path, policy: UploadPolicy, limits: Limits,
                   slot: DeviceSlot) -> JSONResponse | None:
    """Write the body to ``path``; an answer when the upload is refused on the way, else None."""
    size, head = 0, b""
    async with await anyio.open_file(path, "wb") as fh:  # a slow disk must not stall other connections
        async for chunk in body_chunks(request, policy):
            size += len(chunk)
            if size > limits.package_bytes:
                return _too_large(limits)
            if not slot.device and len(head) < 64:
                head += chunk[:64]
                device = sender_of(head)
                if device and not slot.enter(device):
                    return _busy()
            await fh.write(chunk)
    return None


def _report(reports: list[Any]) -> JSONResponse:
    first = reports[0].as_dict()
    first["released"] = [r.as_dict() for r in reports[1:]]
    if first["status"] == "rejected":
        message = first["messages"][0] if first["messages"] else {"code": "REJECTED", "message": "被拒绝"}
        return JSONResponse({**first, **message}, status_code=400)
    return JSONResponse(first)


def create_app(engine: Engine, keys: CountyKeys, limits: Limits | None = None,
               policy: UploadPolicy | None = None) -> FastAPI:
    limits = limits or Limits()
    policy = policy or UploadPolicy(spool_dir(None))
    ahead = BuildAhead(engine, keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # a package being built is committed or rolled back first: no thread outlives the app
        await run_in_threadpool(ahead.stop)

    app = FastAPI(title="Fupin 县级同步服务", version=__version__, lifespan=lifespan,
                  description="接收村里设备的加密变更包，返回签名回执。")

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "county": keys.county_name, "version": __version__}

    @app.post("/api/v1/packages", openapi_extra=_BINARY_BODY,
              responses={400: {}, 408: {}, 413: {}, 429: {}})
    async def upload(request: Request) -> Response:
        if declared_too_large(request, limits.package_bytes):
            return _too_large(limits)  # before a byte of the body is read
        path, slot = new_upload_path(policy.spool), DeviceSlot(policy)
        try:
            refused = await _receive(request, path, policy, limits, slot)
            if refused is not None:
                return refused
            return _report(await run_in_threadpool(import_file, engine, keys, path, limits))
        except TooSlowError:
            return _error(408, "TOO_SLOW", "上传太慢或中断，连接已断开；请稍后重试。", close=True)
        except ClientDisconnect:
            return _error(400, "DISCONNECTED", "上传中断。", close=True)
        finally:
            slot.leave()
            try_remove(path)  # a held upload is swept at the next start (spool.clean_stale_uploads)

    @app.post("/api/v1/acks", responses={200: {"content": {"application/octet-stream": {}}}, 403: {}})
    def acknowledgment(body: AckRequest) -> Response:
        device = _signed_by(engine, body.device_id, body.signature, ACK_REQUEST_CONTEXT,
                            f"{body.device_id}:{body.nonce}".encode())
        if device is None:
            return _error(403, *_ACK_REFUSED)
        return Response(build_ack(engine, keys, device.id), media_type="application/octet-stream")

    @app.post("/api/v1/down", responses={200: {"content": {"application/octet-stream": {}}}, 204: {}, 403: {}})
    def down(body: DownRequest) -> Response:
        device = _signed_by(engine, body.device_id, body.signature, DOWN_REQUEST_CONTEXT,
                            down_message(body.device_id, body.nonce, body.after))
        if device is None:
            return _error(403, *_ACK_REFUSED)
        built = next_for(engine, keys, device.id, body.after)
        if built is None:
            return Response(status_code=204)
        ahead.served(device.id)  # its next packages are built while it applies this one
        return Response(built.data, media_type="application/octet-stream",
                        headers={"X-Fupin-Number": str(built.number)})

    return app
