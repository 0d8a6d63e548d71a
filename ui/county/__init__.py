"""The county workspace: the desktop app in the county role (import, backlog, conflicts, devices, figures)."""
