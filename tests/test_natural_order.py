"""Natural order and finding (issue 14 item 5), on a real store: groups by their number
(第二组 before 第十组, 3组 = 第三组), names by pinyin, full pinyin and initials both find."""

from __future__ import annotations

from sqlalchemy import select

from pypinyin import Style, lazy_pinyin

from fupin_desktop.derive import KEY_LENGTH, _syllables_of, group_sort_key, name_pinyin, name_sort_key
from fupin_desktop.model import Household
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services.households import create_households, unit_of_work

from . import factories

NUMBERED = ["第一组", "第二组", "第三组", "第四组", "第五组", "第六组", "第七组", "第八组", "第九组", "第十组",
            "第十一组", "第十二组"]


def _numbers(store, **query) -> list[str]:
    with store.engine.connect() as conn:
        ids = search_households(conn, SearchQuery(**query))
        by_id = dict(conn.execute(select(Household.id, Household.national_hh_no)).all())
    return [by_id[i] for i in ids]


def test_groups_sort_by_their_number_and_heads_by_pinyin(new_store):
    shuffled = [NUMBERED[i] for i in (6, 0, 11, 2, 9, 1, 4, 10, 3, 8, 5, 7)] + ["河西组"]
    heads = ["于丽", "何山", "丁一", "严明", "郭靖", "安然", "张三", "白云", "蔡文", "邓超", "曾力", "欧阳修", "吕方"]
    households = [factories.household(head, hh_no=f"52010200300400{n:02d}", group=group, extra_members=0)
                  for n, (head, group) in enumerate(zip(heads, shuffled))]
    with unit_of_work(new_store) as uow:
        create_households(uow, households)
    number_of = {h.fields["group_name"]: h.fields["national_hh_no"] for h in households}
    assert _numbers(new_store, sort="group_name") == [number_of[g] for g in [*NUMBERED, "河西组"]]
    head_of = {h.members[0].fields["name"]: h.fields["national_hh_no"] for h in households}
    by_pinyin = ["安然", "白云", "蔡文", "邓超", "丁一", "郭靖", "何山", "吕方", "欧阳修", "严明", "于丽", "曾力",
                 "张三"]
    assert _numbers(new_store, sort="head_name") == [head_of[h] for h in by_pinyin]
    assert _numbers(new_store, text="guojing") == [head_of["郭靖"]]
    assert _numbers(new_store, text="guo") == [head_of["郭靖"]]
    assert _numbers(new_store, text="gj") == [head_of["郭靖"]]
    assert _numbers(new_store, text="曾") == [head_of["曾力"]]  # 曾 as a surname reads zēng


def test_group_names_written_differently_sort_together_and_named_ones_after():
    assert group_sort_key("3组") < group_sort_key("第十组") < group_sort_key("河西组") < group_sort_key(None)
    assert group_sort_key("03组")[:7] == group_sort_key("第三组")[:7] == group_sort_key("三组")[:7]


def test_keys_of_the_longest_names_fit_their_columns(new_store):
    """A 64-character name or group (the fields' limit) is saved: its keys are cut, not refused."""
    long_name, long_group = "欧阳" * 32, "第十八村民小组（原新寨片区上坝自然村）" * 3
    assert len(name_sort_key(long_name)) == KEY_LENGTH and len(name_pinyin(long_name)) <= KEY_LENGTH
    assert len(group_sort_key("河西" * 32)) <= KEY_LENGTH
    with unit_of_work(new_store) as uow:
        create_households(uow, [factories.household(long_name, group=long_group[:64])])
    assert len(_numbers(new_store, text="ouyang")) == 1


def test_pinyin_word_by_word_reads_as_pypinyin_reads_the_whole_name():
    """The keys are made word by word, each word's reading kept (derive._syllables_of): the same syllables
    as pypinyin gives for the whole text, phrases (银行行长, 长江, 重庆) and non-Chinese runs included."""
    names = ["银行行长", "长江", "重庆人", "朝阳", "乐乐", "曾经", "abc张三", "张3", "LiMing", "𠮷野家",
             "阿卜杜拉·买买提", "䶮", "龘龘", "王建国", "欧阳秀英", "单于", "覃", "长孙无忌", "行行行"]
    for name in names:
        whole = [s.lower() for s in lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True, errors="default")]
        assert _syllables_of(name) == whole, name
