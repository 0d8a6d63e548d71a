"""The desktop interface (PySide6). Thin: it calls the core through small operations."""
