"""Family structures: who lives in a household, how they are related, how old they are.

Relations come from the 与户主关系 table and always agree with sex (SPEC §1.5); spouses are of
opposite sex; every child is 19–40 years younger than each parent living in the household.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from random import Random
from typing import Any

from ._data import Table

MALE, FEMALE = "男", "女"
MAX_MEMBERS = 8


class Person:
    """One member while the household is being made (turned into rows at the end)."""

    __slots__ = (
        "relation", "gender", "age", "surname", "origin", "born", "school_age", "name", "region", "id_no",
        "id_type", "ethnicity", "political", "phone", "health", "dis_cat", "dis_grade", "dis_year",
        "education", "school", "labour", "work", "post", "dibao", "tekun", "left", "yulu", "employee",
        "soldier", "id", "seq", "kin",
    )

    def __init__(self, relation: str, gender: str, age: int, surname: str, origin: str = "local",
                 kin: "Person | None" = None) -> None:
        self.relation, self.gender, self.age, self.surname, self.origin = relation, gender, age, surname, origin
        self.kin = kin  # the parent whose surname a child may take, the wife of 岳父 …
        self.born: date | None = None  # set first of all, by members.births
        self.school_age = age
        self.name: str | None = None
        self.region: str | None = None
        self.id_no: str | None = None
        self.phone: str | None = None
        self.education: str | None = None
        self.school: str | None = None
        self.id_type = "身份证"
        self.ethnicity = "汉族"
        self.political = "群众"
        self.health: list[str] = []
        self.dis_cat: str | None = None
        self.dis_grade: str | None = None
        self.dis_year: int | None = None
        self.labour: str | None = None
        self.work: dict[str, Any] | None = None  # the job of the year (members._job)
        self.post: dict[str, Any] | None = None  # a 公益性岗位: type, monthly, months, first
        self.dibao = self.tekun = False
        self.left: tuple[str, object] | None = None
        self.yulu = self.employee = self.soldier = False
        self.id = ""
        self.seq = 0

    @property
    def birthday(self) -> date:
        """``born`` for code that runs after members.births (all of it but the family builder)."""
        assert self.born is not None
        return self.born

    @property
    def job(self) -> dict[str, Any]:
        """``work`` for a person known to work."""
        assert self.work is not None
        return self.work

    @property
    def public_post(self) -> dict[str, Any]:
        """``post`` for a person known to hold one."""
        assert self.post is not None
        return self.post

    @property
    def male(self) -> bool:
        return self.gender == MALE

    @property
    def student(self) -> bool:
        return self.school is not None and self.school not in ("学龄前儿童", "非在校生")


def _gap_ok(parent: int, child: int) -> bool:
    return 19 <= parent - child <= 40


def child_ages(rng: Random, parents: list[int], count: int) -> list[int]:
    """Ages of up to ``count`` children, oldest first, 19–40 years younger than every parent."""
    if not parents or count <= 0:
        return []
    hi, lo = min(parents) - 19, max(max(parents) - 40, 0)
    if hi < lo:
        return []
    age = min(hi, max(lo, min(parents) - rng.randint(20, 28)))
    ages: list[int] = []
    while len(ages) < count and age >= lo:
        ages.append(age)
        age -= rng.randint(1, 5)
    return ages


CHILD_COUNT = Table([(1, 21), (2, 45), (3, 24), (4, 10)])


class Builder:
    """Makes the people of one household from a template."""

    def __init__(self, rng: Random, family_surname: str, other_surname) -> None:
        self.rng = rng
        self.fam = family_surname
        self.other = other_surname  # () -> a surname from outside the family
        self.people: list[Person] = []

    def add(self, relation: str, gender: str, age: int, surname: str, origin: str = "local",
            kin: Person | None = None) -> Person:
        p = Person(relation, gender, age, surname, origin, kin)
        self.people.append(p)
        return p

    def couple(self, age: int, male_head: bool, with_spouse: bool) -> tuple[Person, Person | None]:
        rng = self.rng
        if male_head:
            head = self.add("户主", MALE, age, self.fam)
            wife_age = age - max(-3, min(9, int(rng.gauss(2.5, 2.5))))
            spouse = None
            if with_spouse and wife_age >= 20:
                spouse = self.add("配偶", FEMALE, wife_age, self.other(), "married")
        else:
            head = self.add("户主", FEMALE, age, self.other(), "married")
            spouse = None
            if with_spouse:
                spouse = self.add("配偶", MALE, age + max(-2, min(8, int(rng.gauss(2.5, 2.5)))), self.fam)
        return head, spouse

    def children(self, head: Person, spouse: Person | None, count: int, *, max_age: int = 99,
                 via: str = "head") -> list[Person]:
        """Children of the couple (relations to the head: 之子/之女, or grandchildren)."""
        rng = self.rng
        parents = [p.age for p in (head, spouse) if p is not None]
        kids = []
        for age in child_ages(rng, parents, count):
            if age > max_age:
                continue
            male = rng.random() < 0.53
            relation = {"head": ("之子", "之女"), "son": ("之孙子", "之孙女"),
                        "daughter": ("之外孙子", "之外孙女")}[via][0 if male else 1]
            father = head if head.male else spouse
            surname = father.surname if father is not None else self.fam
            kids.append(self.add(relation, MALE if male else FEMALE, age, surname, kin=father))
        return kids

    def parents_of(self, head: Person, spouse: Person | None) -> None:
        """The head's own parents, or (sometimes) the spouse's."""
        rng = self.rng
        use_spouse = spouse is not None and rng.random() < 0.1
        child = spouse if use_spouse and spouse is not None else head
        if use_spouse:
            rel = ("之岳父", "之岳母") if head.male else ("之公公", "之婆婆")
        else:
            rel = ("之父", "之母")
        father_age = child.age + rng.randint(22, 36)
        mother_age = father_age - max(-2, min(7, int(rng.gauss(2.5, 2.5))))
        which = rng.random()
        if which < 0.55 or which >= 0.9:
            if father_age <= 96 and _gap_ok(father_age, child.age):
                self.add(rel[0], MALE, father_age, child.surname, child.origin)
        if which < 0.9 and mother_age <= 98 and _gap_ok(mother_age, child.age):
            self.add(rel[1], FEMALE, mother_age, self.other(), child.origin)


def single_elder(b: Builder) -> None:
    rng = b.rng
    b.couple(60 + int(rng.triangular(0, 33, 8)), rng.random() < 0.55, False)


def elder_couple(b: Builder) -> None:
    rng = b.rng
    head, spouse = b.couple(58 + int(rng.triangular(0, 28, 6)), rng.random() < 0.9, True)
    if rng.random() < 0.25:  # an unmarried son still at home
        b.children(head, spouse, 1, max_age=55)


def nuclear(b: Builder) -> None:
    rng = b.rng
    male_head = rng.random() < 0.88
    head, spouse = b.couple(rng.randint(26, 58), male_head, male_head and rng.random() < 0.94)
    kids = b.children(head, spouse, CHILD_COUNT.pick(rng))
    for kid in kids:  # most grown children have left; a few stay
        if kid.age > 28 and rng.random() < 0.7:
            b.people.remove(kid)


def with_parents(b: Builder) -> None:
    rng = b.rng
    male_head = rng.random() < 0.9
    head, spouse = b.couple(rng.randint(27, 50), male_head, rng.random() < 0.95)
    b.children(head, spouse, CHILD_COUNT.pick(rng))
    b.parents_of(head, spouse)


def three_generations(b: Builder) -> None:
    rng = b.rng
    head, spouse = b.couple(rng.randint(46, 74), rng.random() < 0.92, rng.random() < 0.85)
    daughter_line = rng.random() < 0.15  # 上门女婿: the daughter's husband joins her family
    parents = [p.age for p in (head, spouse) if p is not None]
    ages = child_ages(rng, parents, 1)
    if not ages or ages[0] < 21:
        b.children(head, spouse, CHILD_COUNT.pick(rng))
        return
    age = ages[0]
    father = head if head.male else spouse
    surname = father.surname if father is not None else b.fam
    if daughter_line:
        child = b.add("之女", FEMALE, age, surname)
        partner = b.add("之女婿", MALE, age + rng.randint(-1, 5), b.other(), "married")
        mother, dad, via = child, partner, "daughter"
    else:
        child = b.add("之子", MALE, age, surname)
        partner = b.add("之儿媳", FEMALE, age - rng.randint(-2, 5), b.other(), "married")
        mother, dad, via = partner, child, "son"
    for kid in b.children(dad, mother, CHILD_COUNT.pick(rng), via=via):
        if via == "daughter" and rng.random() < 0.4:
            kid.surname = child.surname  # uxorilocal families often give the mother's surname
    if rng.random() < 0.3:  # a younger unmarried child
        for kid in b.children(head, spouse, 2):
            if kid.age >= age:
                b.people.remove(kid)


def grandparents_and_grandchildren(b: Builder) -> None:
    """留守: grandparents with the grandchildren whose parents work away and live elsewhere."""
    rng = b.rng
    head, spouse = b.couple(rng.randint(54, 76), rng.random() < 0.8, rng.random() < 0.7)
    parent_age = head.age - rng.randint(22, 32)
    via = "son" if rng.random() < 0.8 else "daughter"
    for age in child_ages(rng, [parent_age], CHILD_COUNT.pick(rng)):
        if age > 16:
            continue
        male = rng.random() < 0.53
        relation = {"son": ("之孙子", "之孙女"), "daughter": ("之外孙子", "之外孙女")}[via][0 if male else 1]
        surname = (head if head.male else spouse or head).surname if via == "son" else b.other()
        b.add(relation, MALE if male else FEMALE, age, surname)


def single_adult(b: Builder, e4: bool) -> None:
    rng = b.rng
    head, _ = b.couple(rng.randint(30, 62), True, False)
    if rng.random() < 0.6:
        b.parents_of(head, None)
    if e4 and rng.random() < 0.08:
        male = rng.random() < 0.6
        b.add("之兄弟姐妹", MALE if male else FEMALE, head.age + rng.randint(-8, 8), head.surname)


TEMPLATES: dict[str, Callable[..., None]] = {  # single_adult also takes e4
    "single_elder": single_elder, "elder_couple": elder_couple, "nuclear": nuclear,
    "with_parents": with_parents, "three_generations": three_generations,
    "grandparents_and_grandchildren": grandparents_and_grandchildren, "single_adult": single_adult,
}
TEMPLATE_MIX = Table([
    ("single_elder", 6), ("elder_couple", 10), ("nuclear", 38), ("with_parents", 16),
    ("three_generations", 20), ("grandparents_and_grandchildren", 4), ("single_adult", 6),
])
# 因学 needs children of school age; 缺劳力 is mostly the old, the lone and the left-behind.
FOR_SCHOOL = Table([("nuclear", 55), ("with_parents", 20), ("three_generations", 20),
                    ("grandparents_and_grandchildren", 5)])
FOR_NO_LABOUR = Table([("single_elder", 35), ("elder_couple", 35), ("grandparents_and_grandchildren", 15),
                       ("single_adult", 15)])


def build(rng: Random, template: str, family_surname: str, other_surname, e4: bool) -> list[Person]:
    b = Builder(rng, family_surname, other_surname)
    if template == "single_adult":
        single_adult(b, e4)
    else:
        TEMPLATES[template](b)
    people = b.people
    # Order as on the forms: head, spouse, children (with their spouses and children), then elders.
    order = {"户主": 0, "配偶": 1, "之子": 2, "之女": 2, "之儿媳": 3, "之女婿": 3, "之孙子": 4, "之孙女": 4,
             "之外孙子": 4, "之外孙女": 4, "之兄弟姐妹": 5}
    people.sort(key=lambda p: (order.get(p.relation, 6), -p.age))
    return people[:MAX_MEMBERS]
