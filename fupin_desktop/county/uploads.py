"""Receiving one upload on the open network: a declared length over the limit is refused before the
body is read, a body that stalls or trickles is dropped, and one device gets a few uploads at a time.

The device is read from the package's clear frame (its first bytes) before the signature can be
checked, so a sender could claim another device's id; the cost of that lie is bounded by the same
timeouts, and the package itself is still refused unless the real device signed it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import ClientDisconnect, Request

from ..sync.package import MAGIC

# The frame starts MAGIC(8) version(2) suite(2) kind(1) pad(1), then the sender's 16-byte id.
_SENDER = slice(14, 30)


@dataclass
class UploadPolicy:
    spool: Path
    body_timeout: float = 30.0  # seconds without a byte of body before the upload is dropped
    min_rate: float = 2048.0  # bytes/s on average once body_timeout has passed (a 3G village link does far more)
    per_device: int = 2  # uploads of one device at the same time
    active: Counter[str] = field(default_factory=Counter)


class TooSlowError(Exception):
    """The body stalled or trickled below the minimum rate."""


def declared_too_large(request: Request, limit: int) -> bool:
    value = request.headers.get("content-length", "")
    return value.isdigit() and int(value) > limit


def sender_of(head: bytes) -> str | None:
    """The device id in a package's frame, or None when the bytes are not (yet) a package frame."""
    if len(head) < _SENDER.stop or not head.startswith(MAGIC):
        return None
    return uuid.UUID(bytes=head[_SENDER]).hex


async def _next_message(request: Request, timeout: float) -> tuple[bytes, bool]:
    try:
        message = await asyncio.wait_for(request.receive(), timeout)
    except TimeoutError:
        raise TooSlowError from None
    if message["type"] == "http.disconnect":
        raise ClientDisconnect
    return message.get("body", b""), bool(message.get("more_body", False))


async def body_chunks(request: Request, policy: UploadPolicy) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    start, received, more = loop.time(), 0, True
    while more:
        chunk, more = await _next_message(request, policy.body_timeout)
        received += len(chunk)
        elapsed = loop.time() - start
        if elapsed > policy.body_timeout and received < policy.min_rate * elapsed:
            raise TooSlowError
        if chunk:
            yield chunk


class DeviceSlot:
    """One of a device's concurrent upload slots; entered once the device is known, always left."""

    def __init__(self, policy: UploadPolicy) -> None:
        self.policy, self.device = policy, ""

    def enter(self, device: str) -> bool:
        if self.policy.active[device] >= self.policy.per_device:
            return False
        self.policy.active[device] += 1
        self.device = device
        return True

    def leave(self) -> None:
        if self.device:
            self.policy.active[self.device] -= 1
            if self.policy.active[self.device] <= 0:
                del self.policy.active[self.device]
            self.device = ""
