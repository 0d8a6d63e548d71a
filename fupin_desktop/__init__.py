"""Fupin Desktop core: the encrypted household store, the national data model, change capture,
validation and the headless commands. Nothing in this package imports Qt."""

__version__ = "0.1.0"
