"""What a draft left by a crash or a power cut holds, in a few Chinese lines, so that at the next
unlock the person can decide to take it up or drop it without opening every household."""

from __future__ import annotations

from .edit_state import EditState, changed, column_label

MAX_NAMED = 4  # fields or people named per line; the rest are counted


def _names(items: list[str]) -> str:
    shown = "、".join(items[:MAX_NAMED])
    return shown + (f" 等 {len(items)} 项" if len(items) > MAX_NAMED else "")


def describe(base: EditState | None, state: EditState) -> list[str]:
    """One line per part of the household the draft changes (compared with what is stored now)."""
    before = base or EditState({}, {})
    lines: list[str] = []
    fields = [column_label("household", k) for k in changed(before.household, state.household)]
    fields += [column_label("household_year", k) for k in changed(before.year, state.year)]
    if fields:
        lines.append(f"户信息：{_names(fields)}")
    old = {m.key: m for m in before.members}
    added = [m.fields.get("name") or "（未填姓名）" for m in state.members if m.key not in old and m.typed()]
    edited = [m.fields.get("name") or "（未填姓名）" for m in state.members
              if m.key in old and (m.fields != old[m.key].fields or m.year != old[m.key].year)]
    leaving = [m.fields.get("name") or "" for m in state.members if m.leave and not (m.key in old and old[m.key].leave)]
    people = [f"新增 {_names(added)}" if added else "", f"修改 {_names(edited)}" if edited else "",
              f"注销 {_names(leaving)}" if leaving else ""]
    if any(people):
        lines.append("家庭成员：" + "；".join(p for p in people if p))
    years = [f"{y}年" for y, inc in state.incomes.items() if inc != before.incomes.get(y) and not
             (y not in before.incomes and inc.empty())]
    if years:
        lines.append(f"收入核算：{_names(years)}")
    old_measures = {m.key: m for m in before.measures}
    new_m = sum(1 for m in state.measures if m.key not in old_measures)
    changed_m = sum(1 for m in state.measures if m.key in old_measures and m != old_measures[m.key])
    gone_m = len(old_measures.keys() - {m.key for m in state.measures})
    counts = [f"{w} {n} 条" for w, n in (("新增", new_m), ("修改", changed_m), ("删除", gone_m)) if n]
    if counts:
        lines.append("帮扶措施：" + "，".join(counts))
    counts = [f"{w} {n} 条" for w, n in (("新增", len(state.visits)), ("修改", len(state.visit_changes)),
                                         ("删除", len(state.removed_visits))) if n]
    if counts:
        lines.append("走访记录：" + "，".join(counts))
    if state.assign:
        lines.append("帮扶责任人：" + (state.assign.helper.get("name") or "更换责任人"))
    return lines or ["没有实际修改"]


def head_of(state: EditState) -> str:
    return next((m.fields.get("name") or "" for m in state.members if m.fields.get("relation") == "户主"), "")
