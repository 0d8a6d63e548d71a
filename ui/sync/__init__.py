"""The device side of sync in the main window: the 同步 menu, status dialog, automatic packaging."""
