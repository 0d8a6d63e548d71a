"""Key slots: the store's random data key, wrapped once per password and once by a recovery code.

The database is encrypted with a random 256-bit data key in SQLCipher's raw-key mode. That key never
touches disk in clear: each slot holds it encrypted with AES-256-GCM under a key derived from a
password (or the recovery code) with Argon2id. Changing a password rewrites one small slot file, not
the database. Each slot file carries a checksum of its own bytes so that an edited or truncated file
is told apart from a wrong password (AES-GCM alone cannot tell the two apart).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ..errors import FupinError, KeySlotCorrupt, UnknownUser, WrongPassword
from ..fsutil import write_atomic

SLOT_FORMAT = "fupin-keyslot/1"
DATA_KEY_BYTES = 32
PRODUCT_MEMORY_KIB = 64 * 1024
TARGET_SECONDS = 1.0
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int = PRODUCT_MEMORY_KIB
    iterations: int = 3
    lanes: int = 4

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        kdf = Argon2id(
            salt=salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(secret)


def tuned_kdf_params(target_seconds: float = TARGET_SECONDS) -> KdfParams:
    """Argon2id parameters for new slots: 64 MiB, iterations tuned to about ``target_seconds``.

    ``FUPIN_KDF_MEMORY_KIB`` and ``FUPIN_KDF_ITERATIONS`` override the tuning; the test suite uses
    them to stay fast. The product default never goes below 64 MiB.
    """
    mem = os.environ.get("FUPIN_KDF_MEMORY_KIB")
    its = os.environ.get("FUPIN_KDF_ITERATIONS")
    if mem or its:
        return KdfParams(memory_kib=int(mem or PRODUCT_MEMORY_KIB), iterations=int(its or 3))
    probe = KdfParams(iterations=2)
    started = time.perf_counter()
    probe.derive(b"probe", b"\0" * 16)
    per_iteration = max((time.perf_counter() - started) / 2, 1e-3)
    return KdfParams(iterations=max(2, min(40, round(target_seconds / per_iteration))))


def new_recovery_code() -> str:
    """24 Crockford base32 characters (120 bits) in groups of four, easy to copy by hand."""
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(24))
    return "-".join(raw[i : i + 4] for i in range(0, 24, 4))


def normalize_recovery_code(code: str) -> str:
    cleaned = unicodedata.normalize("NFKC", code).upper()
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    return "".join(ch for ch in cleaned if ch in _CROCKFORD)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass
class Slot:
    slot_id: str
    kind: str  # "password" or "recovery"
    user_hash: str
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    wrapped_key: bytes
    created: str

    def body(self) -> dict[str, Any]:
        return {
            "format": SLOT_FORMAT,
            "slot_id": self.slot_id,
            "kind": self.kind,
            "user_hash": self.user_hash,
            "kdf": {"name": "argon2id", **asdict(self.kdf), "salt": _b64(self.salt)},
            "nonce": _b64(self.nonce),
            "wrapped_key": _b64(self.wrapped_key),
            "created": self.created,
        }

    @classmethod
    def parse(cls, raw: bytes, path: Path) -> "Slot":
        broken = KeySlotCorrupt(
            f"密钥文件已损坏：{path.name}",
            hint="该文件被截断或改动过。请用另一个用户的密码或恢复码解锁，或从备份恢复密钥文件。",
        )
        try:
            doc = json.loads(raw.decode("utf-8"))
            checksum = doc.pop("checksum")
            if doc.get("format") != SLOT_FORMAT or checksum != _checksum(doc):
                raise broken
            kdf = doc["kdf"]
            return cls(
                slot_id=doc["slot_id"],
                kind=doc["kind"],
                user_hash=doc["user_hash"],
                kdf=KdfParams(int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"])),
                salt=_unb64(kdf["salt"]),
                nonce=_unb64(doc["nonce"]),
                wrapped_key=_unb64(doc["wrapped_key"]),
                created=doc["created"],
            )
        except FupinError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise broken from exc


class KeyRing:
    """The slot files of one store, in ``<store>/keys/``.

    ``store_id`` is bound into every slot as associated data, so a slot copied from another store
    does not open this one.
    """

    def __init__(self, keys_dir: Path, store_id: str, unlock_delay_base: float | None = None) -> None:
        self.dir = keys_dir
        self.store_id = store_id
        if unlock_delay_base is None:
            unlock_delay_base = float(os.environ.get("FUPIN_UNLOCK_DELAY", "1.0"))
        self.unlock_delay_base = unlock_delay_base

    # ---- creating slots -------------------------------------------------------------------
    def user_hash(self, username: str) -> str:
        name = unicodedata.normalize("NFC", username.strip())
        return hashlib.sha256(f"{self.store_id}\0{name}".encode("utf-8")).hexdigest()

    def _aad(self, slot_id: str, kind: str) -> bytes:
        return f"{SLOT_FORMAT}|{self.store_id}|{kind}|{slot_id}".encode("ascii")

    def _write(self, kind: str, user_hash: str, secret: bytes, data_key: bytes, kdf: KdfParams) -> Slot:
        slot_id = uuid.uuid4().hex
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        wrapping = kdf.derive(secret, salt)
        wrapped = AESGCM(wrapping).encrypt(nonce, data_key, self._aad(slot_id, kind))
        slot = Slot(slot_id, kind, user_hash, kdf, salt, nonce, wrapped,
                    datetime.now(timezone.utc).isoformat(timespec="seconds"))
        body = slot.body()
        body["checksum"] = _checksum(body)
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.dir / f"{slot_id}.slot", json.dumps(body, indent=1).encode("utf-8"))
        return slot

    def add_password(self, username: str, password: str, data_key: bytes, kdf: KdfParams) -> Slot:
        return self._write("password", self.user_hash(username), password.encode("utf-8"), data_key, kdf)

    def add_recovery(self, code: str, data_key: bytes, kdf: KdfParams) -> Slot:
        secret = normalize_recovery_code(code).encode("ascii")
        return self._write("recovery", "", secret, data_key, kdf)

    def replace_password(self, username: str, new_password: str, data_key: bytes, kdf: KdfParams) -> None:
        """Write the new slot first, then drop the old ones: a crash in between leaves both."""
        old = [s for s in self._readable_slots() if s.kind == "password" and s.user_hash == self.user_hash(username)]
        self.add_password(username, new_password, data_key, kdf)
        for slot in old:
            self.remove(slot.slot_id)

    def replace_recovery(self, code: str, data_key: bytes, kdf: KdfParams) -> None:
        old = [s for s in self._readable_slots() if s.kind == "recovery"]
        self.add_recovery(code, data_key, kdf)
        for slot in old:
            self.remove(slot.slot_id)

    def remove(self, slot_id: str) -> None:
        (self.dir / f"{slot_id}.slot").unlink(missing_ok=True)

    # ---- reading slots ---------------------------------------------------------------------
    def slots(self) -> list[Slot]:
        if not self.dir.is_dir():
            return []
        return [Slot.parse(p.read_bytes(), p) for p in sorted(self.dir.glob("*.slot"))]

    def has_user(self, username: str) -> bool:
        wanted = self.user_hash(username)
        return any(s.kind == "password" and s.user_hash == wanted for s in self._readable_slots())

    def _readable_slots(self) -> list[Slot]:
        """Slots that parse; a broken slot of another user must not lock everybody out."""
        found = []
        for path in sorted(self.dir.glob("*.slot")) if self.dir.is_dir() else []:
            try:
                found.append(Slot.parse(path.read_bytes(), path))
            except KeySlotCorrupt:
                continue
        return found

    def _open(self, slot: Slot, secret: bytes) -> bytes | None:
        wrapping = slot.kdf.derive(secret, slot.salt)
        try:
            return AESGCM(wrapping).decrypt(slot.nonce, slot.wrapped_key, self._aad(slot.slot_id, slot.kind))
        except InvalidTag:
            return None

    def unlock_password(self, username: str, password: str) -> bytes:
        wanted = self.user_hash(username)
        paths = sorted(self.dir.glob("*.slot")) if self.dir.is_dir() else []
        candidates: list[Slot] = []
        broken: KeySlotCorrupt | None = None
        for path in paths:
            raw = path.read_bytes()
            try:
                slot = Slot.parse(raw, path)
            except KeySlotCorrupt as err:
                if wanted in raw.decode("utf-8", "replace"):
                    raise  # this user's own slot is the broken one: say so, not "wrong password"
                broken = err
                continue
            if slot.kind == "password" and slot.user_hash == wanted:
                candidates.append(slot)
        if not candidates and broken is not None:
            # Too damaged to tell whose it was; it may be this user's.
            raise KeySlotCorrupt(f"{broken.message}（可能是该用户的密钥文件）", hint=broken.hint)
        if not candidates:
            raise UnknownUser(f"没有名为“{username.strip()}”的用户。", hint="请检查用户名，或请管理员添加该用户。")
        self._wait_after_failures()
        for slot in candidates:
            key = self._open(slot, password.encode("utf-8"))
            if key is not None:
                self._record_success()
                return key
        self._record_failure()
        raise WrongPassword("密码不正确。", hint="请注意大小写和输入法状态；忘记密码可用恢复码重设。")

    def unlock_recovery(self, code: str) -> bytes:
        secret = normalize_recovery_code(code).encode("ascii")
        slots = [s for s in self._readable_slots() if s.kind == "recovery"]
        if not slots:
            raise KeySlotCorrupt("恢复码密钥文件缺失或已损坏。", hint="请用用户密码解锁，或从备份恢复密钥文件。")
        self._wait_after_failures()
        for slot in slots:
            key = self._open(slot, secret)
            if key is not None:
                self._record_success()
                return key
        self._record_failure()
        raise WrongPassword("恢复码不正确。", hint="请核对打印或抄写的恢复码（共24位字母和数字）。")

    # ---- growing delay after wrong passwords ----------------------------------------------
    @property
    def _state_path(self) -> Path:
        return self.dir / "unlock-state.json"

    def failures(self) -> int:
        try:
            return int(json.loads(self._state_path.read_text("ascii"))["failures"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def delay_seconds(self) -> float:
        n = self.failures()
        return 0.0 if n == 0 else min(self.unlock_delay_base * 2 ** (n - 1), 30.0)

    def _wait_after_failures(self) -> None:
        delay = self.delay_seconds()
        if delay > 0:
            time.sleep(delay)

    def _record_failure(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self._state_path, json.dumps({"failures": self.failures() + 1}).encode("ascii"))

    def _record_success(self) -> None:
        if self._state_path.exists():
            self._state_path.unlink()
