"""Drafts: the editor's unsaved state, kept inside the encrypted store (``meta`` table, key
``draft:<household id>`` or ``draft:new-<uuid>``) so a crash or a power cut loses a few seconds at
most and no personal data is ever written to disk in clear. Drafts are not records: they are not
change-logged and not synced. Storing them is ``fupin_desktop.drafts``; here is their shape."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fupin_desktop.drafts import DRAFT_PREFIX, NEW_DRAFT_PREFIX

DRAFT_VERSION = 1


def key_for(household_id: str | None, new_key: str) -> str:
    return DRAFT_PREFIX + household_id if household_id else NEW_DRAFT_PREFIX + new_key


def encode(state: dict[str, Any]) -> str:
    return json.dumps({"version": DRAFT_VERSION, "saved_at": datetime.now().isoformat(timespec="seconds"),
                       "state": state}, ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> tuple[dict[str, Any] | None, str]:
    """The state in a draft and when it was written; (None, "") for anything unreadable."""
    try:
        doc = json.loads(text or "")
        if doc.get("version") != DRAFT_VERSION or not isinstance(doc.get("state"), dict):
            return None, ""
        return doc["state"], str(doc.get("saved_at", ""))
    except (ValueError, AttributeError):
        return None, ""
