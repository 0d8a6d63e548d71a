"""Users: the ``app_user`` row (through a unit of work, so it is logged) and the user's key slot."""

from __future__ import annotations

from ..errors import InvalidInput
from ..model import AppUser
from ..store.passwords import check_password_strength
from ..store.store import Store
from .uow import UnitOfWork


def add_user(store: Store, username: str, password: str, *, display_name: str = "", role: str = "采集员") -> None:
    """A new user who can unlock the store with ``password``."""
    name = username.strip()
    if not name:
        raise InvalidInput("用户名不能为空。", field="用户名")
    if store.keyring.has_user(name):
        raise InvalidInput(f"用户“{name}”已存在。", field="用户名")
    check_password_strength(password)
    with UnitOfWork(store) as uow:
        uow.insert(AppUser, {"username": name, "display_name": display_name or None, "role": role, "active": True})
    # After the commit: a crash in between leaves a user who cannot log in yet, never a
    # slot that opens the store for a user the store does not know.
    store.add_password_slot(name, password)
