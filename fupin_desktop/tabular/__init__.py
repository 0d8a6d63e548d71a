"""Spreadsheets in and out: import the rosters villages already keep (.xlsx, .csv), export the
roster, measures and income in the national column layout.

Reading streams rows (openpyxl read-only), so a 40,000-row file never sits in memory as cells;
every write goes through the services in one unit of work.
"""
