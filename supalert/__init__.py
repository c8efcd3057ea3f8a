"""supalert: production alerting inside a Supabase project's own Postgres."""

__version__ = "0.1.0"
