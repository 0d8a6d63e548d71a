"""The household editor window (issue 3, items 3–4)."""

from .window import HouseholdEditor

__all__ = ["HouseholdEditor"]
