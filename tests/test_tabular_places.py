"""``Places``: which rows of which sheets an import wrote, one byte a row (a set of tuples held ~20 MB)."""

from __future__ import annotations

from fupin_desktop.tabular.problem import Places


def test_places_say_exactly_the_rows_added() -> None:
    places = Places()
    places.update([("帮扶措施", 2), ("帮扶措施", 100_000), ("收入明细", 0), ("帮扶措施", 2)])
    assert ("帮扶措施", 2) in places and ("帮扶措施", 100_000) in places and ("收入明细", 0) in places
    assert ("帮扶措施", 3) not in places and ("帮扶措施", 100_001) not in places and ("收入明细", 2) not in places
    assert ("评估记录", 2) not in places and ("帮扶措施", -1) not in places and "帮扶措施" not in places
    assert len(places) == 3
    for row in range(1, 5000):
        places.add(("评估记录", row))
    assert len(places) == 3 + 4999 and ("评估记录", 4999) in places and ("评估记录", 0) not in places
