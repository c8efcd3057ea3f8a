"""supalert's severities, most urgent first: the CLI's copy of the table monitoring.severities (the source), for
checking input before a connection is made. tests/test_severities.py proves this copy and the functions' copy
(supabase/functions/_shared/types.ts) equal the table."""

SEVERITIES = ("critical", "high", "warning", "info")
