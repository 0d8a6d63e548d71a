"""Key slots: the store's random data key, wrapped once per password and once by a recovery code.

The database is encrypted with a random 256-bit data key in SQLCipher's raw-key mode. That key never
touches disk in clear: each slot holds it encrypted with AES-256-GCM under a key derived from a
password (or the recovery code) with Argon2id. Changing a password rewrites one small slot file, not
the database. Each slot file carries a checksum of its own bytes so that a truncated or carelessly
edited file is told apart from a wrong password, and (format 2) a MAC keyed from the slot's own
derived key over every field, so a deliberate edit (a slot moved to another user name, its
parameters changed) is caught once the key is derived. KDF parameters are bounded (kdf.py) before
any derivation runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import unicodedata
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import FupinError, KeySlotCorrupt, UnknownUser, WrongPassword
from ..fsutil import remove as remove_file, write_atomic
from .kdf import PRODUCT_MEMORY_KIB, KdfParams, check_bounds, tuned_kdf_params
from .kdf import unlock_delay_base as default_unlock_delay
from .lockout import RECOVERY, Lockout

SLOT_FORMAT = "fupin-keyslot/2"
LEGACY_FORMAT = "fupin-keyslot/1"  # no MAC; rewritten as format 2 at its first successful unlock
DATA_KEY_BYTES = 32
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

__all__ = ["DATA_KEY_BYTES", "PRODUCT_MEMORY_KIB", "KdfParams", "KeyRing", "Slot", "new_recovery_code",
           "tuned_kdf_params"]


def new_recovery_code() -> str:
    """24 Crockford base32 characters (120 bits) in groups of four, easy to copy by hand."""
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(24))
    return "-".join(raw[i : i + 4] for i in range(0, 24, 4))


def normalize_recovery_code(code: str) -> str:
    cleaned = unicodedata.normalize("NFKC", code).upper()
    cleaned = cleaned.translate({ord("O"): "0", ord("I"): "1", ord("L"): "1"})
    return "".join(ch for ch in cleaned if ch in _CROCKFORD)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _checksum(body: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(body)).hexdigest()


def _mac(wrapping: bytes, body: dict[str, Any]) -> str:
    # A key of its own, derived from the wrapping key: the MAC never reuses the AES-GCM key.
    mac_key = hmac.new(wrapping, b"fupin-keyslot-mac", hashlib.sha256).digest()
    return hmac.new(mac_key, _canonical(body), hashlib.sha256).hexdigest()


def _broken(path: Path) -> KeySlotCorrupt:
    return KeySlotCorrupt(f"密钥文件已损坏：{path.name}",
                          hint="该文件被截断或改动过。请用另一个用户的密码或恢复码解锁，或从备份恢复密钥文件。")


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
    mac: str | None = None  # None only in a legacy (format 1) slot

    def body(self) -> dict[str, Any]:
        return {
            "format": SLOT_FORMAT if self.mac is not None else LEGACY_FORMAT,
            "slot_id": self.slot_id, "kind": self.kind, "user_hash": self.user_hash,
            "kdf": {"name": "argon2id", **asdict(self.kdf), "salt": _b64(self.salt)},
            "nonce": _b64(self.nonce), "wrapped_key": _b64(self.wrapped_key), "created": self.created,
        }

    def signed(self, wrapping: bytes) -> Slot:
        unsigned = replace(self, mac="")
        return replace(self, mac=_mac(wrapping, unsigned.body()))

    def mac_ok(self, wrapping: bytes) -> bool:
        return self.mac is None or hmac.compare_digest(self.signed(wrapping).mac or "", self.mac)

    def file_bytes(self) -> bytes:
        body = self.body()
        if self.mac is not None:
            body["mac"] = self.mac
        body["checksum"] = _checksum(body)
        return json.dumps(body, indent=1).encode("utf-8")

    @classmethod
    def parse(cls, raw: bytes, path: Path) -> Slot:
        try:
            doc = json.loads(raw.decode("utf-8"))
            checksum = doc.pop("checksum")
            if doc.get("format") not in (SLOT_FORMAT, LEGACY_FORMAT) or checksum != _checksum(doc):
                raise _broken(path)
            return cls._from_doc(doc)
        except FupinError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _broken(path) from exc

    @classmethod
    def _from_doc(cls, doc: dict[str, Any]) -> Slot:
        kdf = doc["kdf"]
        params = KdfParams(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
        check_bounds(params)
        mac = doc["mac"] if doc["format"] == SLOT_FORMAT else None
        if mac is not None and not isinstance(mac, str):
            raise TypeError("mac")
        return cls(slot_id=str(doc["slot_id"]), kind=str(doc["kind"]), user_hash=str(doc["user_hash"]), kdf=params,
                   salt=_unb64(kdf["salt"]), nonce=_unb64(doc["nonce"]), wrapped_key=_unb64(doc["wrapped_key"]),
                   created=str(doc["created"]), mac=mac)


class KeyRing:
    """The slot files of one store, in ``<store>/keys/``.

    ``store_id`` is bound into every slot as associated data, so a slot copied from another store
    does not open this one.
    """

    def __init__(self, keys_dir: Path, store_id: str, unlock_delay_base: float | None = None) -> None:
        self.dir = keys_dir
        self.store_id = store_id
        base = default_unlock_delay() if unlock_delay_base is None else unlock_delay_base
        self.lockout = Lockout(keys_dir, base)
        self.legacy_opened: Slot | None = None

    # ---- creating slots -------------------------------------------------------------------
    def user_hash(self, username: str) -> str:
        name = unicodedata.normalize("NFC", username.strip())
        return hashlib.sha256(f"{self.store_id}\0{name}".encode()).hexdigest()

    def _aad(self, slot_id: str, kind: str) -> bytes:
        return f"fupin-keyslot/1|{self.store_id}|{kind}|{slot_id}".encode("ascii")  # unchanged since format 1

    def _save(self, slot: Slot) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.dir / f"{slot.slot_id}.slot", slot.file_bytes())

    def _write(self, kind: str, user_hash: str, secret: bytes, data_key: bytes, kdf: KdfParams) -> Slot:
        slot_id, salt, nonce = uuid.uuid4().hex, secrets.token_bytes(16), secrets.token_bytes(12)
        wrapping = kdf.derive(secret, salt)
        wrapped = AESGCM(wrapping).encrypt(nonce, data_key, self._aad(slot_id, kind))
        slot = Slot(slot_id, kind, user_hash, kdf, salt, nonce, wrapped,
                    datetime.now(UTC).isoformat(timespec="seconds"), mac="").signed(wrapping)
        self._save(slot)
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
        remove_file(self.dir / f"{slot_id}.slot")

    # ---- reading slots ---------------------------------------------------------------------
    def _paths(self) -> list[Path]:
        return sorted(self.dir.glob("*.slot")) if self.dir.is_dir() else []

    def slots(self) -> list[Slot]:
        return [Slot.parse(p.read_bytes(), p) for p in self._paths()]

    def has_user(self, username: str) -> bool:
        wanted = self.user_hash(username)
        return any(s.kind == "password" and s.user_hash == wanted for s in self._readable_slots())

    def _readable_slots(self) -> list[Slot]:
        """Slots that parse; a broken slot of another user must not lock everybody out."""
        found = []
        for path in self._paths():
            try:
                found.append(Slot.parse(path.read_bytes(), path))
            except KeySlotCorrupt:
                continue
        return found

    def _password_candidates(self, wanted: str) -> list[Slot]:
        candidates: list[Slot] = []
        broken: KeySlotCorrupt | None = None
        for path in self._paths():
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
        return candidates

    def _open(self, slot: Slot, secret: bytes) -> bytes | None:
        wrapping = slot.kdf.derive(secret, slot.salt)
        try:
            key = AESGCM(wrapping).decrypt(slot.nonce, slot.wrapped_key, self._aad(slot.slot_id, slot.kind))
        except InvalidTag:
            return None
        if not slot.mac_ok(wrapping):
            raise KeySlotCorrupt(f"密钥文件被改动过：{slot.slot_id}.slot",
                                 hint="密码正确，但密钥文件的内容（用户或参数）与写入时不同，已拒绝使用。"
                                      "请用恢复码解锁并重设密码，或从备份恢复密钥文件。")
        if slot.mac is None:  # rewritten by Store once the database has vouched for format 1 (downgrade check)
            self.legacy_opened = replace(slot, mac="").signed(wrapping)
        return key

    def save_upgraded(self) -> None:
        """Rewrite the format-1 slot just opened as format 2 (with its MAC)."""
        if self.legacy_opened is not None:
            self._save(self.legacy_opened)
            self.legacy_opened = None

    def all_signed(self) -> bool:
        return all(s.mac is not None for s in self._readable_slots())

    def _try(self, who: str, slots: list[Slot], secret: bytes) -> bytes | None:
        self.lockout.wait(who)
        for slot in slots:
            if (key := self._open(slot, secret)) is not None:
                self.lockout.record_success(who)
                return key
        self.lockout.record_failure(who)
        return None

    def unlock_password(self, username: str, password: str) -> bytes:
        wanted = self.user_hash(username)
        candidates = self._password_candidates(wanted)
        if not candidates:
            raise UnknownUser(f"没有名为“{username.strip()}”的用户。", hint="请检查用户名，或请管理员添加该用户。")
        if (key := self._try(wanted[:32], candidates, password.encode("utf-8"))) is None:
            raise WrongPassword("密码不正确。", hint="请注意大小写和输入法状态；忘记密码可用恢复码重设。"
                                                     "如确定密码无误，该用户的密钥文件可能被改动过。")
        return key

    def unlock_recovery(self, code: str) -> bytes:
        secret = normalize_recovery_code(code).encode("ascii")
        slots = [s for s in self._readable_slots() if s.kind == "recovery"]
        if not slots:
            raise KeySlotCorrupt("恢复码密钥文件缺失或已损坏。", hint="请用用户密码解锁，或从备份恢复密钥文件。")
        if (key := self._try(RECOVERY, slots, secret)) is None:
            raise WrongPassword("恢复码不正确。", hint="请核对打印或抄写的恢复码（共24位字母和数字）。")
        return key

    # ---- the delay after wrong passwords (lockout.py) --------------------------------------
    def failures(self, username: str | None = None) -> int:
        """Failed tries of one user, or of the recovery code when ``username`` is None."""
        return self.lockout.failures(self._who(username))

    def delay_seconds(self, username: str | None = None) -> float:
        return self.lockout.delay_seconds(self._who(username))

    def _who(self, username: str | None) -> str:
        return RECOVERY if username is None else self.user_hash(username)[:32]
