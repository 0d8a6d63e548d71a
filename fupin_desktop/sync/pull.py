"""Downloading the county's down packages over HTTP: ask for the next one after the last applied,
apply it (one transaction), repeat until the county has nothing more. A cut connection loses at most
the package on its way; the next pull resumes after the last one applied. The request is signed
with the device key; the package itself is sealed to the device, so nobody else can read it."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from . import crypto
from .client import ServerRefused, push, retrying, server_address
from .device import device_keys, get_meta
from .down import DownResult, apply_down, down_number, finish_run
from .transport import tls_verify

if TYPE_CHECKING:
    from ..store.store import Store

DOWN_REQUEST_CONTEXT = b"fupin-down-request/1\0"
MAX_PACKAGES_PER_PULL = 100_000  # a guard against a server that never says "nothing more"


@dataclass
class PullResult:
    applied: list[DownResult] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.applied)

    @property
    def conflicts(self) -> int:
        return sum(r.conflicts for r in self.applied)

    @property
    def households(self) -> set[str]:
        return set().union(*(r.households for r in self.applied)) if self.applied else set()


def down_message(device_id: str, nonce: str, after: int) -> bytes:
    return f"{device_id}:{nonce}:{after}".encode()


def down_request(device_id: str, sign_private: bytes, after: int) -> dict[str, str | int]:
    nonce = secrets.token_hex(16)
    signature = crypto.sign(sign_private, DOWN_REQUEST_CONTEXT, down_message(device_id, nonce, after))
    return {"device_id": device_id, "nonce": nonce, "after": after, "signature": crypto.b64(signature)}


def pull(store: Store, url: str | None = None, *, attempts: int = 4, backoff: float = 0.5, timeout: float = 60.0,
         progress: Callable[[int], None] | None = None, into: PullResult | None = None) -> PullResult:
    """Apply every down package the county has for this device; ``progress`` gets the count so far.
    ``into`` collects the applied packages as they land, for a caller whose run is cut or cancelled."""
    with store.engine.connect() as conn:
        keys, registered = device_keys(conn), get_meta(conn, "sync.registered") is not None
    if not registered:  # a new laptop: its first (possibly empty) package introduces it to the county
        push(store, url, attempts=attempts, backoff=backoff, timeout=timeout)
    base, ca_file = server_address(store, keys.county.server_url, url)
    result = into if into is not None else PullResult()
    with httpx.Client(base_url=base, timeout=timeout, verify=tls_verify(ca_file)) as client, \
            tempfile.TemporaryDirectory() as tmp:  # sealed to this device: nothing clear on disk
        for _ in range(MAX_PACKAGES_PER_PULL):
            body = down_request(store.device_id, keys.sign.private, down_number(store))
            response = retrying(partial(client.post, "/api/v1/down", json=body), attempts, backoff)
            if response.status_code == 204:
                break
            if response.status_code != 200:
                raise ServerRefused(f"县里的服务器没有给出下发包（HTTP {response.status_code}）。",
                                    hint="请检查服务器地址和本机的入网状态；已导入的包都已保存，可以稍后再试。")
            path = Path(tmp) / "down.fupindown"
            path.write_bytes(response.content)
            applied = apply_down(store, path)
            if applied.already:  # the server sent what we have: stop rather than loop
                break
            result.applied.append(applied)
            if progress is not None:
                progress(len(result.applied))
    finish_run(store)
    return result
