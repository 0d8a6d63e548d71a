"""Text is stored as typed: only full-width digits and letters become ASCII and the ends are trimmed
(an ID or a phone typed with a Chinese input method). Punctuation in a note and the characters of a
name are a person's choice, on the way in by the editor, an import or a sync alike."""

from __future__ import annotations

from sqlalchemy import select

from fupin_desktop.model import Household, Member
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.values import clean_text, parse_text

from . import factories

NOTE = "收入回升，电话已换：见（附件）①"
COMPAT = "\uf900"  # 豈, a CJK compatibility ideograph NFKC would turn into U+8C48


def test_text_keeps_punctuation_and_characters_and_takes_full_width_digits_as_ascii():
    assert parse_text(f"\u3000{NOTE} ") == NOTE
    assert parse_text("１３８１２３４５６７８") == "13812345678"
    assert parse_text("ＡＢｃ") == "ABc"
    assert parse_text(f"王{COMPAT}") == f"王{COMPAT}"
    assert clean_text("２０１９－０３－０５") == "2019-03-05"  # parsing and matching still see through full width


def test_a_note_and_a_name_are_saved_as_typed(new_store):
    household = factories.household(f"王{COMPAT}")
    household.fields["address"] = NOTE
    household.fields["phone"] = "１３８１２３４５６７８"
    with unit_of_work(new_store) as uow:
        create_households(uow, [household])
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Household.address, Household.phone)).one() == (NOTE, "13812345678")
        assert f"王{COMPAT}" in conn.execute(select(Member.name)).scalars().all()
