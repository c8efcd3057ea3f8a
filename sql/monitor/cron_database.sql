-- monitoring.cron_database(): returns the database whose jobs pg_cron runs: where its scheduler (the launcher
-- process) is connected, else cron.database_name as far as the caller may read it; null when pg_cron is not
-- loaded. Called by monitoring.liveness and monitoring.dispatcher_evaluates; owner only.
create or replace function monitoring.cron_database()
returns text
language sql
stable
set search_path = ''
as $$
    select coalesce(
        (select a.datname::text from pg_catalog.pg_stat_activity as a
          where a.backend_type = 'pg_cron launcher' order by a.backend_start limit 1),
        pg_catalog.current_setting('cron.database_name', true)
    )
$$;

comment on function monitoring.cron_database() is
'The database pg_cron runs jobs in (its scheduler''s, else cron.database_name); null when pg_cron is not loaded.';

revoke execute on function monitoring.cron_database() from public, anon, authenticated;
