"""Read-side queries: loading households, search, statistics, history. They never write."""
