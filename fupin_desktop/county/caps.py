"""Import caps: how much one package may do before a person looks at it.

A device inside its scope can still do damage by volume: a package of a million valid entries, a
million new households in one village, records of tens of MiB each. None of these is refused (a
village may really register many households at once); past a cap the package is held, with the
reason, until staff release it (``fupin county release``), which lifts the caps for that package.

The defaults are reference data (resources/county_caps.json); the county overrides them in its own
database (county_meta rows ``cap.<name>``) with ``fupin county caps --set name=value``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from ..errors import InvalidInput
from ..paths import resources_dir
from .model import CountyMeta

_PREFIX = "cap."
LABELS = {"entries_per_package": "每个包的变更条数", "new_households_per_package": "每个包新建的户数",
          "new_households_per_village": "每个村的户数", "record_bytes": "单条记录的字节数"}


@dataclass(frozen=True)
class Caps:
    entries_per_package: int
    new_households_per_package: int
    new_households_per_village: int
    record_bytes: int


class CapExceededError(Exception):
    """Raised inside an import: the transaction is rolled back and the package held instead."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name)
        self.name, self.limit = name, limit

    @property
    def reason(self) -> str:
        return f"超过县里设定的上限：{LABELS[self.name]}不超过 {self.limit}。请核实后放行或联系该村。"


def default_caps() -> Caps:
    doc: dict[str, Any] = json.loads((resources_dir() / "county_caps.json").read_text("utf-8"))
    return Caps(**{f.name: int(doc[f.name]) for f in fields(Caps)})


def load_caps(conn: Connection) -> Caps:
    rows = conn.execute(select(CountyMeta.key, CountyMeta.value).where(CountyMeta.key.startswith(_PREFIX))).all()
    overrides = {key[len(_PREFIX):]: int(value) for key, value in rows if key[len(_PREFIX):] in LABELS}
    return replace(default_caps(), **overrides)


def set_cap(conn: Connection, name: str, value: int) -> None:
    if name not in LABELS:
        raise InvalidInput(f"没有名为“{name}”的上限。", hint="可用的名称：" + "、".join(LABELS))
    if not 1 <= value <= 2**31 - 1:
        raise InvalidInput(f"上限“{LABELS[name]}”应为正整数，而不是 {value}。")
    conn.execute(delete(CountyMeta).where(CountyMeta.key == _PREFIX + name))
    conn.execute(insert(CountyMeta), {"key": _PREFIX + name, "value": str(value)})


def describe(caps: Caps) -> list[tuple[str, str, int]]:
    """(name, Chinese label, value) for each cap, for ``county caps``."""
    return [(f.name, LABELS[f.name], getattr(caps, f.name)) for f in fields(Caps)]
