"""What the benchmarks share."""

# Settings a benchmark's cluster runs with instead of the test suite's fast ones: durable commits, as in production.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "max_wal_size": "8GB"}
