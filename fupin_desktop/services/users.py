"""Users: the ``app_user`` row (through a unit of work, so it is logged) and the user's key slot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..errors import InvalidInput, WrongPassword
from ..model import AppUser
from ..store.passwords import check_password_strength
from ..store.store import Store
from .uow import UnitOfWork

ADMIN = "管理员"
ROLES = ("采集员", ADMIN)


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    role: str
    active: bool
    can_unlock: bool  # has a key slot (a user added by a crash half-way has none)


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


def list_users(store: Store) -> list[UserInfo]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(AppUser).order_by(AppUser.username)).mappings().all()
    return [UserInfo(r["username"], r["display_name"] or "", r["role"], bool(r["active"]),
                     store.keyring.has_user(r["username"])) for r in rows]


def add_user_as_signed_in(store: Store, username: str, password: str, *, display_name: str = "",
                          role: str = "采集员") -> None:
    """From the 用户管理 screen: only a 管理员 adds users, and only with a role the screen offers."""
    if current_role(store) != ADMIN:
        raise InvalidInput("只有管理员可以添加用户。", hint="请用管理员账号解锁后再添加。")
    if role not in ROLES:
        raise InvalidInput(f"角色“{role}”不可用；请选择 {'、'.join(ROLES)}。", field="角色")
    add_user(store, username, password, display_name=display_name.strip(), role=role)


def current_role(store: Store) -> str:
    with store.engine.connect() as conn:
        role = conn.execute(select(AppUser.role).where(AppUser.username == store.username)).scalar_one_or_none()
    return role or ""


def change_own_password(store: Store, old: str, new: str) -> None:
    """The signed-in user's password, after proving the old one (wrong guesses count towards the unlock delay)."""
    if old == new:
        raise InvalidInput("新密码与原密码相同。", field="新密码")
    check_password_strength(new)
    try:
        store.keyring.unlock_password(store.username, old)
    except WrongPassword:
        raise InvalidInput("原密码不正确，密码没有修改。", field="原密码") from None
    store.change_password(store.username, new)
