"""What an import did, for a person (printable Chinese text) and for scripts (JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .merge import Counts

STATUS_LABELS = {
    "imported": "已导入", "already_imported": "已导入过（跳过）", "held": "暂存",
    "already_held": "已在暂存中", "rejected": "被拒绝",
}


@dataclass
class ImportReport:
    file: str
    status: str = "pending"
    package_id: str | None = None
    device_id: str | None = None
    device_label: str | None = None
    village_code: str | None = None
    number: int | None = None
    counts: Counts = field(default_factory=Counts)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, code: str, message: str) -> "ImportReport":
        self.status = "rejected"
        self.counts.rejected += 1
        self.messages.append({"code": code, "message": message})
        return self

    def hold(self, code: str, message: str) -> "ImportReport":
        self.status = "held"
        self.counts.held += 1
        self.messages.append({"code": code, "message": message})
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summary(reports: list[ImportReport]) -> Counts:
    total = Counts()
    for r in reports:
        total.add(r.counts)
    return total


def render_text(reports: list[ImportReport]) -> str:
    lines: list[str] = []
    for r in reports:
        device = r.device_label or (r.device_id or "")[:8]
        where = f"{r.village_code or '?'} {device} 第 {r.number} 包" if r.number else ""
        lines.append(f"{r.file}：{STATUS_LABELS.get(r.status, r.status)} {where}".rstrip())
        c = r.counts
        if r.status == "imported":
            lines.append(f"  新建 {c.created}，更新 {c.updated}，未变 {c.unchanged}，冲突 {c.conflicts}，"
                         f"跳过 {c.rejected}")
        for m in r.messages[:50]:
            lines.append(f"  [{m['code']}] {m['message']}")
        if len(r.messages) > 50:
            lines.append(f"  ……另有 {len(r.messages) - 50} 条（用 --json 查看全部）")
    t = summary(reports)
    lines.append(f"\n共 {len(reports)} 个包：新建 {t.created}，更新 {t.updated}，未变 {t.unchanged}，"
                 f"冲突 {t.conflicts}，"
                 f"暂存 {t.held}，拒绝 {t.rejected}。")
    return "\n".join(lines)
