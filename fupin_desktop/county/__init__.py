"""The county side: keys, enrollment, importing sealed packages into the county database
(PostgreSQL, or SQLite for a one-machine county), conflicts, acknowledgments and the server."""
