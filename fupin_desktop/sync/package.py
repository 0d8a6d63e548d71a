"""The sealed package: one binary file, versioned, with a cipher-suite id (see docs/package-format.md).

    magic "FUPINPKG" | u16 format | u16 suite | u8 kind | u8 0 | sender id (16) | sender Ed25519 key (32)
    | u32 header length | header (canonical JSON)
    | chunks: u8 last | u32 length | AES-256-GCM(chunk of the zlib-compressed NDJSON payload)
    | Ed25519 signature (64) over SHA-256 of everything before it

Reading is three steps, each refusing before the next starts: the frame and size limits; the
signature, in one streaming pass, before the header is parsed; then the payload, decrypted and
decompressed chunk by chunk with hard limits, so a package is never held whole in memory.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..errors import FupinError
from . import crypto

MAGIC = b"FUPINPKG"
FORMAT_VERSION = 1
SUITE_X25519_AES256GCM_ED25519_ZLIB = 1
SUPPORTED_SUITES = {SUITE_X25519_AES256GCM_ED25519_ZLIB}
_FRAME = struct.Struct(">8sHHBx16s32sI")
_CHUNK_HEAD = struct.Struct(">BI")
SIGNATURE_CONTEXT = b"fupin-package/1 signature\0"
CHUNK_BYTES = 256 * 1024


class Kind(IntEnum):
    CHANGES = 1  # a device's change-log entries, to the county
    ACK = 2  # the county's acknowledgment, to one device
    DOWN = 3  # record states of a device's scope, from the county to one device


@dataclass(frozen=True)
class Limits:
    """Hard limits checked while reading; a package over any of them is refused, not truncated."""

    package_bytes: int = int(os.environ.get("FUPIN_MAX_PACKAGE_BYTES", 64 * 1024 * 1024))
    header_bytes: int = 64 * 1024
    payload_bytes: int = 512 * 1024 * 1024  # decompressed
    record_bytes: int = 48 * 1024 * 1024  # one NDJSON line (an attachment travels in one)


class PackageError(FupinError):
    """A package that cannot be accepted. ``code`` is stable for reports and scripts."""

    exit_code = 8

    def __init__(self, code: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code


@dataclass
class Written:
    package_id: str
    sha256: str
    size: int
    records: int


@dataclass
class Frame:
    kind: Kind
    sender_id: str
    sender_public: bytes
    header_bytes: bytes
    header: dict[str, Any] = field(default_factory=dict)


def canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Sink:
    """Writes through a SHA-256 so the signature covers exactly the bytes on disk."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.hash, self.size = out, crypto.sha256(), 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.hash.update(data)
        self.size += len(data)


def write_package(out: BinaryIO, *, kind: Kind, sender_id: str, signing_private: bytes, signing_public: bytes,
                  recipient_public: bytes, header: dict[str, Any], records: Iterable[bytes],
                  level: int = 6) -> Written:
    """``records`` are JSON objects already encoded (one line each, no newline). ``level``: zlib's; the
    reader does not care, the county's down packages take a faster one (compressing was a third of a
    township's build)."""
    key, ephemeral = crypto.seal_key(recipient_public)
    prefix = crypto.StreamCipher.new_prefix()
    package_id = header.get("package_id") or uuid.uuid4().hex
    doc = {**header, "format": f"fupin-package/{FORMAT_VERSION}", "package_id": package_id,
           "ephemeral_key": crypto.b64(ephemeral), "nonce_prefix": crypto.b64(prefix), "payload": "ndjson+zlib"}
    header_bytes = canonical(doc)
    sink = _Sink(out)
    sink.write(_FRAME.pack(MAGIC, FORMAT_VERSION, SUITE_X25519_AES256GCM_ED25519_ZLIB, int(kind),
                           uuid.UUID(sender_id).bytes, signing_public, len(header_bytes)))
    sink.write(header_bytes)
    aad = sink.hash.copy().digest()  # chunks are bound to this frame and header
    stream = crypto.StreamCipher(key, prefix)
    compressor = zlib.compressobj(level)
    pending = bytearray()
    count = 0

    def emit(last: bool) -> None:
        sealed = stream.seal(bytes(pending), last, aad)
        sink.write(_CHUNK_HEAD.pack(1 if last else 0, len(sealed)))
        sink.write(sealed)
        pending.clear()

    def emit_full(keep_last: bool) -> None:
        # Full chunks go out as they fill; the final flush can overflow one too, so it is split the same way.
        while len(pending) > CHUNK_BYTES or (len(pending) == CHUNK_BYTES and not keep_last):
            rest = bytes(pending[CHUNK_BYTES:])
            del pending[CHUNK_BYTES:]
            emit(False)
            pending.extend(rest)

    batch: list[bytes] = []
    for record in records:  # a few hundred records per call: zlib's per-call cost is not small
        batch.append(record)
        count += 1
        if len(batch) == 256:
            pending += compressor.compress(b"\n".join(batch) + b"\n")
            batch.clear()
            emit_full(False)
    if batch:
        pending += compressor.compress(b"\n".join(batch) + b"\n")
    pending += compressor.flush()
    emit_full(True)
    emit(True)
    digest = sink.hash.digest()
    signature = crypto.sign(signing_private, SIGNATURE_CONTEXT, digest)
    out.write(signature)
    return Written(package_id, digest.hex(), sink.size + len(signature), count)


def seal_to_file(path: Path, **kwargs: Any) -> Written:
    """Write a package crash-safely: temp file, fsync, rename (a power cut leaves no half package)."""
    from ..fsutil import commit_temp  # noqa: PLC0415

    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        written = write_package(fh, **kwargs)
        fh.flush()
        os.fsync(fh.fileno())
    commit_temp(tmp, path)
    return written


class PackageReader:
    """Reads one package file. Nothing of the content is trusted before ``verify`` has passed."""

    def __init__(self, path: Path, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        self.size = self._size()
        self.frame = self._read_frame()
        self.digest = b""

    def _size(self) -> int:
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise PackageError("UNREADABLE", f"无法读取文件：{self.path.name}", hint=str(exc.strerror)) from None
        if size > self.limits.package_bytes:
            raise PackageError("TOO_LARGE", f"文件太大（{size // 1024 // 1024} MB），超过变更包上限 "
                               f"{self.limits.package_bytes // 1024 // 1024} MB：{self.path.name}")
        return size

    def _read_frame(self) -> Frame:
        with open(self.path, "rb") as fh:
            head = fh.read(_FRAME.size)
            if not head or not (head.startswith(MAGIC) or MAGIC.startswith(head)):
                raise PackageError("NOT_A_PACKAGE", f"这不是变更包文件：{self.path.name}")
            if len(head) < _FRAME.size:
                raise PackageError("TRUNCATED", f"变更包不完整（文件被截断）：{self.path.name}")
            _, version, suite, kind, sender, public, header_len = _FRAME.unpack(head)
            if version != FORMAT_VERSION:
                raise PackageError("UNSUPPORTED_VERSION", f"变更包格式版本 {version} 不受支持：{self.path.name}",
                                   hint="请升级程序后再导入。")
            if suite not in SUPPORTED_SUITES:
                raise PackageError("UNSUPPORTED_SUITE", f"变更包使用了不支持的加密套件 {suite}：{self.path.name}")
            if kind not in tuple(Kind):
                raise PackageError("NOT_A_PACKAGE", f"变更包类型无效：{self.path.name}")
            if header_len > self.limits.header_bytes:
                raise PackageError("TOO_LARGE", f"变更包头部超过上限：{self.path.name}")
            if _FRAME.size + header_len + _CHUNK_HEAD.size + crypto.SIGNATURE_BYTES > self.size:
                raise PackageError("TRUNCATED", f"变更包不完整（文件被截断）：{self.path.name}")
            return Frame(Kind(kind), uuid.UUID(bytes=sender).hex, public, fh.read(header_len))

    def _hash_body(self) -> bytes:
        digest = crypto.sha256()
        remaining = self.size - crypto.SIGNATURE_BYTES
        with open(self.path, "rb") as fh:
            while remaining > 0:
                block = fh.read(min(1 << 20, remaining))
                if not block:
                    break
                digest.update(block)
                remaining -= len(block)
        return digest.digest()

    def _check_chunks(self) -> None:
        """Walk the chunk lengths (framing only, nothing decrypted) so that a cut-off file is reported
        as truncated rather than as a bad signature."""
        end = self.size - crypto.SIGNATURE_BYTES
        pos = _FRAME.size + len(self.frame.header_bytes)
        with open(self.path, "rb") as fh:
            while True:
                fh.seek(pos)
                raw = fh.read(_CHUNK_HEAD.size)
                if len(raw) < _CHUNK_HEAD.size or pos + _CHUNK_HEAD.size > end:
                    raise PackageError("TRUNCATED", f"变更包不完整（文件被截断）：{self.path.name}")
                flag, length = _CHUNK_HEAD.unpack(raw)
                # Every chunk but the last is full, so the walk takes at most size / CHUNK_BYTES steps.
                if length > CHUNK_BYTES + crypto.TAG_BYTES or (flag != 1 and length != CHUNK_BYTES + crypto.TAG_BYTES):
                    raise PackageError("TRUNCATED", f"变更包的数据块长度无效：{self.path.name}")
                pos += _CHUNK_HEAD.size + length
                if pos > end:
                    raise PackageError("TRUNCATED", f"变更包不完整（文件被截断）：{self.path.name}")
                if flag == 1:
                    return  # anything after the last chunk fails the signature below

    def verify(self, public: bytes) -> dict[str, Any]:
        """Check the signature with ``public`` (the sender's registered key), then parse the header."""
        self._check_chunks()
        with open(self.path, "rb") as fh:
            fh.seek(self.size - crypto.SIGNATURE_BYTES)
            signature = fh.read()
        self.digest = self._hash_body()
        if not crypto.verify(public, signature, SIGNATURE_CONTEXT, self.digest):
            raise PackageError("BAD_SIGNATURE", f"变更包签名校验失败（文件被改动或损坏）：{self.path.name}",
                               hint="请重新从村里导出这个变更包。")
        try:
            header = json.loads(self.frame.header_bytes.decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != f"fupin-package/{FORMAT_VERSION}":
                raise ValueError("format")
        except (ValueError, UnicodeDecodeError):
            raise PackageError("BAD_HEADER", f"变更包头部无法识别：{self.path.name}") from None
        self.frame.header = header
        return header

    def records(self, recipient_private: bytes) -> Iterator[dict[str, Any]]:
        """Decrypt and decompress chunk by chunk; yields one record per NDJSON line."""
        if not self.digest:
            raise RuntimeError("verify() first")
        header = self.frame.header
        try:
            key = crypto.open_key(recipient_private, crypto.unb64(header["ephemeral_key"]))
            stream = crypto.StreamCipher(key, crypto.unb64(header["nonce_prefix"]))
        except (KeyError, ValueError, TypeError):
            raise PackageError("BAD_HEADER", f"变更包头部缺少密钥信息：{self.path.name}") from None
        yield from self._lines(self._plain_chunks(stream))

    def _plain_chunks(self, stream: crypto.StreamCipher) -> Iterator[bytes]:
        end = self.size - crypto.SIGNATURE_BYTES
        check = crypto.sha256()
        with open(self.path, "rb") as fh:
            head = fh.read(_FRAME.size + len(self.frame.header_bytes))
            check.update(head)
            aad = check.copy().digest()
            last = False
            while not last:
                raw = fh.read(_CHUNK_HEAD.size)
                if len(raw) < _CHUNK_HEAD.size or fh.tell() > end:
                    raise PackageError("TRUNCATED", f"变更包不完整：{self.path.name}")
                flag, length = _CHUNK_HEAD.unpack(raw)
                if length > CHUNK_BYTES + crypto.TAG_BYTES or fh.tell() + length > end:
                    raise PackageError("TRUNCATED", f"变更包的数据块长度无效：{self.path.name}")
                sealed = fh.read(length)
                check.update(raw + sealed)
                last = flag == 1
                plain = stream.open(sealed, last, aad)
                if plain is None:
                    raise PackageError("DECRYPT_FAILED", f"变更包无法解密：{self.path.name}",
                                       hint="它不是发给本县的，或已损坏。")
                yield plain
            if fh.tell() != end or check.digest() != self.digest:
                raise PackageError("BAD_SIGNATURE", f"变更包在读取时被改动：{self.path.name}")

    def _lines(self, chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
        inflater = zlib.decompressobj()
        total = 0
        buffer = bytearray()
        for chunk in chunks:
            data = chunk
            while data:
                try:
                    # max_length keeps a decompression bomb from ever expanding past one slice
                    out = inflater.decompress(data, 1 << 20)
                except zlib.error:
                    raise PackageError("BAD_PAYLOAD", f"变更包内容无法解压：{self.path.name}") from None
                data = inflater.unconsumed_tail
                total += len(out)
                if total > self.limits.payload_bytes:
                    raise PackageError("PAYLOAD_TOO_LARGE", f"变更包解压后超过上限（可能是恶意文件）：{self.path.name}")
                buffer += out
                yield from self._split(buffer)
        if buffer.strip():
            raise PackageError("BAD_PAYLOAD", f"变更包内容不完整：{self.path.name}")

    def _split(self, buffer: bytearray) -> Iterator[dict[str, Any]]:
        end = buffer.rfind(b"\n")
        if end >= 0:
            # the whole lines of the slice at once (one split in C, not a find and a copy per line)
            for line in bytes(buffer[:end]).split(b"\n"):
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise PackageError("BAD_PAYLOAD", f"变更包内容格式错误：{self.path.name}") from None
                if not isinstance(record, dict):
                    raise PackageError("BAD_PAYLOAD", f"变更包内容格式错误：{self.path.name}")
                yield record
            del buffer[:end + 1]
        if len(buffer) > self.limits.record_bytes:
            raise PackageError("RECORD_TOO_LARGE", f"变更包中单条记录超过上限：{self.path.name}")


def round_trip_check(folder: Path) -> int:
    """Seal a package with throw-away keys and open it again (the build's self-test); returns records read."""
    from .crypto import new_box_key, new_signing_key  # noqa: PLC0415

    sign, box = new_signing_key(), new_box_key()
    lines = [canonical({"seq": i, "text": "自检 " * 20}) for i in range(500)]
    path = Path(folder) / "selftest.fupinpkg"
    seal_to_file(path, kind=Kind.CHANGES, sender_id=uuid.uuid4().hex, signing_private=sign.private,
                 signing_public=sign.public, recipient_public=box.public, header={"kind": "changes"}, records=lines)
    reader = PackageReader(path)
    reader.verify(sign.public)
    got = [canonical(r) for r in reader.records(box.private)]
    if got != lines:
        raise PackageError("SELFTEST", "变更包自检失败：读回的内容与写入的不一致。")
    return len(got)
