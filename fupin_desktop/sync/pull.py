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
from .client import ServerRefused, ServerUnreachable, push, retrying, server_address
from .device import device_keys, get_meta
from .down import DownResult, apply_down, down_number, finish_run, release_held
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
         progress: Callable[[int], None] | None = None) -> PullResult:
    """Apply every down package the county has for this device; ``progress`` gets the count so far."""
    with store.engine.connect() as conn:
        keys, registered = device_keys(conn), get_meta(conn, "sync.registered") is not None
    if not registered:  # a new laptop: its first (possibly empty) package introduces it to the county
        push(store, url, attempts=attempts, backoff=backoff, timeout=timeout)
    base, ca_file = server_address(store, keys.county.server_url, url)
    result = PullResult()
    released = release_held(store)  # held packages whose turn has come (this program was upgraded)
    if released is not None:
        result.applied.append(released)
    complete = False
    try:
        complete = _download(store, base, ca_file, keys.sign.private, result, attempts, backoff, timeout, progress)
    finally:  # also after a cut: what was applied gets its validation marks (a first download goes on next time)
        finish_run(store, complete=complete)
    return result


def _download(store: Store, base: str, ca_file: str, sign_private: bytes, result: PullResult, attempts: int,
              backoff: float, timeout: float, progress: Callable[[int], None] | None) -> bool:
    """Whether the county said it has nothing more."""
    with httpx.Client(base_url=base, timeout=timeout, verify=tls_verify(ca_file)) as client, \
            tempfile.TemporaryDirectory() as tmp:  # sealed to this device: nothing clear on disk
        for _ in range(MAX_PACKAGES_PER_PULL):
            data = _ask(client, down_request(store.device_id, sign_private, down_number(store)), attempts, backoff)
            if data is None:
                return True
            path = Path(tmp) / "down.fupindown"
            path.write_bytes(data)
            applied = apply_down(store, path)
            if applied.already:  # the server sent what we have: stop rather than loop
                break
            result.applied.append(applied)
            if applied.held:  # from a newer county program: asking again would bring the same package
                break
            if progress is not None:
                progress(len(result.applied))
    return False


def _ask(client: httpx.Client, body: dict[str, str | int], attempts: int, backoff: float) -> bytes | None:
    """The next down package, or None when the county has nothing more."""
    try:
        response = retrying(partial(client.post, "/api/v1/down", json=body), attempts, backoff)
    except ServerUnreachable as err:  # a cut: every package applied so far stays, the next pull resumes
        raise ServerUnreachable("连不上县里的服务器，下载中断了。",
                                hint="已导入的下发包都保存在本机，下次同步会从中断处接着下载。") from err
    if response.status_code == 204:
        return None
    if response.status_code != 200:
        raise ServerRefused(f"县里的服务器没有给出下发包（HTTP {response.status_code}）。",
                            hint="请检查服务器地址和本机的入网状态；已导入的包都已保存，可以稍后再试。")
    return response.content


# The same download in three steps for the app, where the store is touched only on the database worker and
# the network only on the network thread (a server that does not answer never holds up the database).
@dataclass(frozen=True)
class DownAsk:
    """A signed request for the package after the last one applied, read from the store."""

    base: str
    ca_file: str
    body: dict[str, str | int]


def prepare_fetch(store: Store, url: str | None = None) -> DownAsk:
    with store.engine.connect() as conn:
        keys = device_keys(conn)
    base, ca_file = server_address(store, keys.county.server_url, url)
    return DownAsk(base, ca_file, down_request(store.device_id, keys.sign.private, down_number(store)))


def fetch_down(ask: DownAsk, *, attempts: int = 4, backoff: float = 0.5, timeout: float = 60.0) -> bytes | None:
    """Network only, touches no store: the next down package's sealed bytes, or None for "nothing more"."""
    with httpx.Client(base_url=ask.base, timeout=timeout, verify=tls_verify(ask.ca_file)) as client:
        return _ask(client, ask.body, attempts, backoff)


def apply_fetched(store: Store, data: bytes) -> DownResult:
    with tempfile.TemporaryDirectory() as tmp:  # sealed to this device: nothing clear on disk
        path = Path(tmp) / "down.fupindown"
        path.write_bytes(data)
        return apply_down(store, path)
