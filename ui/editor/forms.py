"""The form tabs (基本情况, 生产生活条件, 两不愁三保障), in the order of the paper form."""

from __future__ import annotations

from collections.abc import Callable

from fupin_desktop.services.edit_state import column_label

from ..qt import QApplication, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget
from .fields import grid, make_field, on_change

HH, HY = "household", "household_year"


def _cols(table: str, names: str) -> list[tuple[str, str]]:
    return [(table, n) for n in names.split()]


BASIC = [
    ("户基本情况", _cols(HH, "group_name national_hh_no address phone bank_name bank_account identify_standard "
                        "household_type attribute poverty_status identified_year plan_exit_year pre_exit_this_year "
                        "exit_year return_year return_reason military_family only_child two_daughters")),
    ("{year}年度情况", _cols(HY, "population population_start population_end main_cause other_causes "
                            "development_measures")),
    ("防返贫监测", _cols(HH, "monitoring_category monitoring_since no_labour_fallback")
     + _cols(HY, "risks disaster_subtype risk_note")
     + _cols(HH, "risk_removed risk_removal_method risk_removed_at monitoring_contact monitoring_contact_phone "
                 "in_relocation_site relocation_site_address")),
    ("填表信息", _cols(HH, "collector_name collector_phone filled_on change_note")),
]
CONDITIONS = [
    ("土地（{year}年）", _cols(HY, "arable_mu irrigated_mu forest_mu returned_forest_mu orchard_mu pasture_mu "
                               "water_surface_mu")),
    ("水、电、路、广播电视", _cols(HY, "production_power household_power drinking_difficult drinking_safe "
                              "safe_water_solved broadcast_tv road_distance_km road_type road_hardened")),
    ("住房", _cols(HY, "housing_area_m2 dilapidated dilapidation_grade house_structure house_built_year "
                     "renovation_year sanitary_toilet toilet_usable fuel_type")),
    ("产业带动", _cols(HY, "in_cooperative led_by_enterprise led_by_entrepreneur livestock")),
    ("易地扶贫搬迁", _cols(HY, "relocated relocation_mode resettlement_mode resettlement_place relocation_difficulties "
                            "relocation_address moved_in_on relocated_people")),
]
GUARANTEES = [
    ("两不愁三保障（{year}年）", _cols(HY, "food_secure clothing_secure education_secure medical_secure housing_secure "
                                     "water_secure guarantee_evidence")),
]


class FormTab(QScrollArea):
    """Group boxes of fields; scrolls so that the field with the cursor is always in view."""

    def __init__(self, groups: list, year: int, changed: Callable[[], None]) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.fields: dict[tuple[str, str], QWidget] = {}
        for title, cols in groups:
            box = QGroupBox(title.format(year=year))
            box_layout = QVBoxLayout(box)
            items = []
            for table, name in cols:
                field = make_field(table, name, year)
                on_change(field, changed)
                self.fields[(table, name)] = field
                items.append((column_label(table, name), field))
            box_layout.addWidget(grid(items))
            layout.addWidget(box)
        layout.addStretch(1)
        self.setWidget(inner)
        labels = inner.findChildren(QLabel)
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:  # one label width for every group, so the fields line up down the page
            label.setMinimumWidth(width)
        QApplication.instance().focusChanged.connect(self._follow_focus)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self.widget() is not None and self.widget().isAncestorOf(new):
            self.ensureWidgetVisible(new, 40, 60)

    def first_field(self) -> QWidget:
        return next(iter(self.fields.values()))

    def values(self, table: str) -> dict[str, str]:
        return {name: f.value() for (t, name), f in self.fields.items() if t == table}

    def set_values(self, table: str, values: dict[str, str]) -> None:
        for (t, name), field in self.fields.items():
            if t == table and name in values:
                field.set_value(values[name])
