"""Sync: sealed change packages (``package``), enrollment, the device's outbox and acknowledgments.

The county side that receives packages lives in ``fupin_desktop.county``; both share this format.
"""
