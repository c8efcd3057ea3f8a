-- supalert's private schema and settings, and pg_cron created the way Supabase documents it.

-- Supabase: "create extension pg_cron with schema pg_catalog" (guides/cron). The cron schema is the extension's.
create extension if not exists pg_cron with schema pg_catalog;

-- Everything supalert keeps for itself. Never exposed through the Data API (not in pgrst.db_schemas).
create schema if not exists monitoring;
comment on schema monitoring is
'supalert: alert rules, state, notification outbox, routes, silences, run log and heartbeat. Not exposed.';
revoke all on schema monitoring from public;
-- RLS policies on public tables call monitoring.is_admin() as the requesting role.
grant usage on schema monitoring to authenticated, service_role;
-- Functions created here later are not executable by PUBLIC unless granted one by one.
alter default privileges in schema monitoring revoke execute on functions from public;

create table if not exists monitoring.settings (
    id boolean primary key default true,
    admin_roles text[] not null default '{admin}',
    -- The plan's limits, for the system-health view (the rules' thresholds are 80 % of these by default).
    plan_database_gb numeric not null default 10,
    plan_function_calls_per_day bigint not null default 500000,
    plan_bandwidth_gb_per_month numeric not null default 50,
    updated_at timestamptz not null default now(),
    constraint settings_single_row check (id),
    constraint settings_admin_roles_not_empty check (cardinality(admin_roles) > 0)
);
comment on table monitoring.settings is
'One row of installation-wide settings. admin_roles: values of JWT app_metadata.role that count as admin.';
revoke all on table monitoring.settings from public;
insert into monitoring.settings default values on conflict (id) do nothing;
