"""The validation engine and the data-quality rules of SPEC §7–§8. Validation never blocks a save:
it returns findings, and the household is marked with its error and warning counts."""

from .engine import Context, Finding, check_household, check_store

__all__ = ["Context", "Finding", "check_household", "check_store"]
