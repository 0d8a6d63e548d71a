"""Enrollment files: the county's signed invitation for one device of one village or township.

The file carries the county's public keys, the village, the server address, a one-time token and
an expiry. A device that imports it makes its own keys; the county registers the device's key
when the first package carrying the token arrives (by USB or over the network).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from . import crypto
from .package import canonical

ENROLLMENT_FORMAT = "fupin-enrollment/1"
_CONTEXT = b"fupin-enrollment/1 signature\0"


@dataclass(frozen=True)
class Enrollment:
    county_id: str
    county_name: str
    box_key: str  # county X25519 public key, base64: packages are encrypted to it
    sign_key: str  # county Ed25519 public key, base64: acknowledgments are signed with it
    village_code: str
    label: str
    server_url: str
    token: str
    expires: str
    issued: str
    scope: str = ""  # a code prefix: the village, or a township (9 digits); "" in files from before scopes

    def body(self) -> dict[str, Any]:
        body = {"format": ENROLLMENT_FORMAT, **asdict(self)}
        if not self.scope:  # files signed before scopes existed do not carry the key
            del body["scope"]
        return body

    @property
    def prefix(self) -> str:
        return self.scope or self.village_code

    def signed(self, sign_private: bytes) -> bytes:
        body = self.body()
        signature = crypto.sign(sign_private, _CONTEXT, crypto.sha256_of(canonical(body)))
        return json.dumps({**body, "signature": crypto.b64(signature)}, ensure_ascii=False, indent=1).encode()


def token_ref(token: str) -> str:
    """How the county finds an enrollment without keeping (or anyone seeing) the token itself."""
    return hashlib.sha256(b"fupin-enrollment/1 ref\0" + token.encode()).hexdigest()


def token_key(token: str) -> str:
    return hashlib.sha256(b"fupin-enrollment/1 key\0" + token.encode()).hexdigest()


def proof(key_hex: str, device_id: str, sign_public: bytes, box_public: bytes) -> str:
    return hmac.new(bytes.fromhex(key_hex), device_id.encode() + sign_public + box_public, hashlib.sha256).hexdigest()


def proof_header(token: str, device_id: str, sign_public: bytes, box_public: bytes) -> dict[str, str]:
    """What a device's first packages carry instead of the token: the token never travels on the
    USB stick, and a proof made for this device's keys is useless for anyone else's."""
    return {"enrollment_ref": token_ref(token),
            "enrollment_proof": proof(token_key(token), device_id, sign_public, box_public)}


def read_enrollment(path: Path) -> Enrollment:
    bad = InvalidInput(f"这不是有效的入网文件：{path}", hint="请向县扶贫办重新索取入网文件（.fupinenroll）。")
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
        signature = crypto.unb64(doc.pop("signature"))
        if doc.pop("format") != ENROLLMENT_FORMAT:
            raise bad
        enrollment = Enrollment(**doc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise bad from None
    digest = crypto.sha256_of(canonical(enrollment.body()))
    if not crypto.verify(crypto.unb64(enrollment.sign_key), signature, _CONTEXT, digest):
        raise InvalidInput(f"入网文件的签名校验失败（文件被改动过）：{path}", hint="请向县扶贫办重新索取入网文件。")
    return enrollment
