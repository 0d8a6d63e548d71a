"""Opening or creating the county database from the set-up wizard (on the worker thread)."""

from __future__ import annotations

from typing import Any

from fupin_desktop.county.keys import init_county

from .unlock import open_county


def open_or_create_county(*, url: str, passphrase: str, name: str | None) -> tuple[Any, Any]:
    """With a name: a new county (keys made once); without: an existing one, unlocked."""
    if name is None:
        return open_county(url, passphrase)
    from fupin_desktop.county.db import open_county_db  # noqa: PLC0415 (only when a county is set up)

    engine = open_county_db(url, passphrase)
    try:
        return engine, init_county(engine, name=name, passphrase=passphrase)
    except BaseException:
        engine.dispose()
        raise
