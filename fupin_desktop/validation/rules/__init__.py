"""The rule catalogue (SPEC §7–§8). Importing this package registers every rule."""

from . import identity  # noqa: F401
