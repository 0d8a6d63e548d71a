"""Services: every write a user can make, each one unit of work with its change-log entries."""
