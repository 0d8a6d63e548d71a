"""The primitives packages are built from: X25519 + HKDF-SHA256 to make a fresh AES-256-GCM key
per package, a chunked AEAD stream (so packages up to the size limit are never held whole), and
Ed25519 signatures over a SHA-256 digest of the file (so a signature is checked in one streaming
pass, before any byte of the content is parsed)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SIGNATURE_BYTES = 64
KEY_BYTES = 32
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
_RAW_PRIVATE = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KeyPair:
    """Raw 32-byte keys; private halves live only inside an encrypted store or a wrapped key file."""

    private: bytes
    public: bytes


def new_signing_key() -> KeyPair:
    key = Ed25519PrivateKey.generate()
    return KeyPair(key.private_bytes(*_RAW_PRIVATE), key.public_key().public_bytes(*_RAW))


def new_box_key() -> KeyPair:
    key = X25519PrivateKey.generate()
    return KeyPair(key.private_bytes(*_RAW_PRIVATE), key.public_key().public_bytes(*_RAW))


def sign(private: bytes, context: bytes, digest: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).sign(context + digest)


def verify(public: bytes, signature: bytes, context: bytes, digest: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, context + digest)
        return True
    except (InvalidSignature, ValueError):
        return False


def _stream_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    # Both public keys go into the KDF so the key is bound to this sender-recipient exchange.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=b"fupin-package/1 " + ephemeral_public + recipient_public).derive(shared)


def seal_key(recipient_public: bytes) -> tuple[bytes, bytes]:
    """A fresh stream key for ``recipient_public``: returns (key, ephemeral public key to send)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(*_RAW)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    return _stream_key(shared, ephemeral_public, recipient_public), ephemeral_public


def open_key(recipient_private: bytes, ephemeral_public: bytes) -> bytes:
    private = X25519PrivateKey.from_private_bytes(recipient_private)
    recipient_public = private.public_key().public_bytes(*_RAW)
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    return _stream_key(shared, ephemeral_public, recipient_public)


class StreamCipher:
    """STREAM-style chunked AES-GCM: nonce = prefix ‖ chunk counter ‖ last-chunk flag, so chunks
    cannot be reordered, dropped or the stream cut short without a failed tag."""

    def __init__(self, key: bytes, prefix: bytes) -> None:
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._counter = 0

    @staticmethod
    def new_prefix() -> bytes:
        return secrets.token_bytes(NONCE_PREFIX_BYTES)

    def _nonce(self, last: bool) -> bytes:
        nonce = self._prefix + struct.pack(">IB", self._counter, 1 if last else 0)
        self._counter += 1
        return nonce

    def seal(self, chunk: bytes, last: bool, aad: bytes) -> bytes:
        return self._aead.encrypt(self._nonce(last), chunk, aad)

    def open(self, chunk: bytes, last: bool, aad: bytes) -> bytes | None:
        try:
            return self._aead.decrypt(self._nonce(last), chunk, aad)
        except InvalidTag:
            return None


def sha256() -> "hashlib._Hash":
    return hashlib.sha256()


def sha256_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
