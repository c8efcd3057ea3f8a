-- monitoring.dispatcher_evaluates(): returns true when check-alert-triggers must evaluate the rules itself because
-- pg_cron never will here (not installed, or its scheduler serves another database). Where pg_cron serves this
-- database it alone evaluates, running or not: a dead scheduler then leaves the heartbeat stale for the watchdog
-- instead of the dispatcher covering it up. Callers: check-alert-triggers (as a database login), service_role.
create or replace function monitoring.dispatcher_evaluates()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select not exists (select from pg_catalog.pg_extension where extname = 'pg_cron')
        or monitoring.cron_database() is distinct from pg_catalog.current_database()
$$;

comment on function monitoring.dispatcher_evaluates() is
'True when pg_cron will not evaluate the rules in this database, so check-alert-triggers must.';

revoke execute on function monitoring.dispatcher_evaluates() from public, anon, authenticated;
grant execute on function monitoring.dispatcher_evaluates() to service_role;
