"""The county's key pairs: X25519 (packages are encrypted to it) and Ed25519 (acknowledgments and
enrollment files are signed with it). The private halves are stored in the county database
wrapped by the county passphrase (Argon2id + AES-256-GCM), never in clear."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, insert, select

from ..errors import InvalidInput, WrongPassword
from ..store.keyslots import KdfParams, tuned_kdf_params
from ..store.store import check_password_strength
from ..sync import crypto
from .model import CountyMeta

_PRIVATE_KEYS_AAD = b"county"


class CountyNotInitialised(InvalidInput):
    exit_code = 10


@dataclass(frozen=True)
class CountyKeys:
    county_id: str
    county_name: str
    box: crypto.KeyPair
    sign: crypto.KeyPair


def wrap_secret(passphrase: str, secret: bytes, aad: bytes, kdf: KdfParams | None = None) -> dict[str, Any]:
    """``secret`` sealed by the passphrase (Argon2id, then AES-256-GCM bound to ``aad``), as a JSON-able doc."""
    kdf = kdf or tuned_kdf_params()
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    wrapped = AESGCM(kdf.derive(passphrase.encode("utf-8"), salt)).encrypt(nonce, secret, aad)
    return {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes,
            "salt": crypto.b64(salt), "nonce": crypto.b64(nonce), "wrapped": crypto.b64(wrapped)}


def unwrap_secret(doc: dict[str, Any], passphrase: str, aad: bytes) -> bytes:
    kdf = KdfParams(int(doc["memory_kib"]), int(doc["iterations"]), int(doc["lanes"]))
    try:
        return AESGCM(kdf.derive(passphrase.encode("utf-8"), crypto.unb64(doc["salt"]))).decrypt(
            crypto.unb64(doc["nonce"]), crypto.unb64(doc["wrapped"]), aad)
    except InvalidTag:
        raise WrongPassword("县级密钥口令不正确。",
                            hint="口令区分大小写；脚本中请设置 FUPIN_COUNTY_PASSWORD。") from None


def county_meta(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(CountyMeta.key, CountyMeta.value)).all())


def initialised_meta(conn: Connection) -> dict[str, str]:
    meta = county_meta(conn)
    if "private_keys" not in meta:
        raise CountyNotInitialised("县级数据库还没有初始化。", hint="请先运行 fupin county init --db-url …")
    return meta


def init_county(engine: Engine, *, name: str, passphrase: str, kdf: KdfParams | None = None) -> CountyKeys:
    check_password_strength(passphrase)
    if not name.strip():
        raise InvalidInput("县名称不能为空。", field="县名称")
    with engine.begin() as conn:
        if county_meta(conn):
            raise InvalidInput("这个县级数据库已经初始化过了。", hint="密钥只生成一次；如需重来，请换一个新的数据库。")
        box, sign = crypto.new_box_key(), crypto.new_signing_key()
        keys = CountyKeys(uuid.uuid4().hex, name.strip(), box, sign)
        doc = wrap_secret(passphrase, box.private + sign.private, _PRIVATE_KEYS_AAD, kdf)
        conn.execute(insert(CountyMeta), [
            {"key": "county_id", "value": keys.county_id}, {"key": "county_name", "value": keys.county_name},
            {"key": "box_public", "value": box.public.hex()}, {"key": "sign_public", "value": sign.public.hex()},
            {"key": "private_keys", "value": json.dumps(doc)}, {"key": "clock", "value": "0:0"},
        ])
    return keys


def load_county(engine: Engine, passphrase: str) -> CountyKeys:
    with engine.connect() as conn:
        meta = initialised_meta(conn)
    raw = unwrap_secret(json.loads(meta["private_keys"]), passphrase, _PRIVATE_KEYS_AAD)
    box = crypto.KeyPair(raw[:32], bytes.fromhex(meta["box_public"]))
    sign = crypto.KeyPair(raw[32:], bytes.fromhex(meta["sign_public"]))
    return CountyKeys(meta["county_id"], meta["county_name"], box, sign)
