"""The county server (FastAPI): upload a package (idempotent by package id), fetch the device's
acknowledgment (signed request), health. Deployed behind TLS (see docs/county-server.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from .. import __version__
from ..sync import crypto
from ..sync.client import ACK_REQUEST_CONTEXT
from ..sync.package import Limits
from .acks import build_ack
from .importer import import_file
from .keys import CountyKeys
from .model import Device

_BINARY_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


class AckRequest(BaseModel):
    device_id: str = Field(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")
    nonce: str = Field(min_length=16, max_length=64)
    signature: str = Field(min_length=1, max_length=200)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"status": "rejected", "code": code, "message": message}, status_code=status)


def create_app(engine: Engine, keys: CountyKeys, limits: Limits | None = None) -> FastAPI:
    limits = limits or Limits()
    app = FastAPI(title="Fupin 县级同步服务", version=__version__,
                  description="接收村里设备的加密变更包，返回签名回执。")

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "county": keys.county_name, "version": __version__}

    @app.post("/api/v1/packages", openapi_extra=_BINARY_BODY, responses={400: {}, 413: {}})
    async def upload(request: Request) -> Response:
        with tempfile.TemporaryDirectory() as tmp:  # sealed bytes only; they reveal nothing
            path = Path(tmp) / "upload.fupinpkg"
            size = 0
            with open(path, "wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limits.package_bytes:
                        return _error(413, "TOO_LARGE", "变更包超过大小上限。")
                    fh.write(chunk)
            reports = await run_in_threadpool(import_file, engine, keys, path, limits)
        first = reports[0].as_dict()
        first["released"] = [r.as_dict() for r in reports[1:]]
        if first["status"] == "rejected":
            message = first["messages"][0] if first["messages"] else {"code": "REJECTED", "message": "被拒绝"}
            return JSONResponse({**first, **message}, status_code=400)
        return JSONResponse(first)

    @app.post("/api/v1/acks", responses={200: {"content": {"application/octet-stream": {}}}, 403: {}, 404: {}})
    def acknowledgment(body: AckRequest) -> Response:
        with engine.connect() as conn:
            device = conn.execute(select(Device).where(Device.id == body.device_id)).first()
        if device is None:
            return _error(404, "UNKNOWN_DEVICE", "没有登记这台设备。")
        try:
            signature = crypto.unb64(body.signature)
        except ValueError:
            return _error(403, "BAD_SIGNATURE", "请求签名无效。")
        message = f"{body.device_id}:{body.nonce}".encode()
        if not crypto.verify(bytes.fromhex(device.sign_key), signature, ACK_REQUEST_CONTEXT, message):
            return _error(403, "BAD_SIGNATURE", "请求签名无效。")
        return Response(build_ack(engine, keys, device.id), media_type="application/octet-stream")

    return app


def serve(engine: Engine, keys: CountyKeys, host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415

    uvicorn.run(create_app(engine, keys), host=host, port=port, log_level=os.environ.get("FUPIN_LOG_LEVEL", "warning"),
                access_log=False)
