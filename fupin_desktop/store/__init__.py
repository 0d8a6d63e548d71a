"""The encrypted store: key slots, the SQLCipher engine, migrations and backups."""
