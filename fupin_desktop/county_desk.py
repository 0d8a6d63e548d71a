"""What the county workspace's UI needs from the core beyond the county functions it calls with
the county database's engine: the reads that would otherwise open a connection in ``ui/``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from .county.held import held_packages


def held(engine: Engine) -> list[Any]:
    """Packages held back: an earlier one from the same device is missing, or a cap was passed."""
    with engine.connect() as conn:
        return held_packages(conn)


def display_url(url: str) -> str:
    """The database address without its password, for the status bar."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display; an odd address is shown as it is
        return url
