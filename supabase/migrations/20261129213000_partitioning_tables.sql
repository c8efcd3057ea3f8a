-- Bookkeeping for time-partitioned telemetry and the daily call-count rollup (performance work).
-- The partitions themselves live in schema supalert_partitions, which no API role can use: every read and write
-- goes through the parent table in public, whose RLS policies and grants are the only ones that apply.

create schema if not exists supalert_partitions;
comment on schema supalert_partitions is
'supalert: one partition per UTC day of each telemetry table (and a default partition). Reached only through the '
'parent tables in public; not exposed.';
revoke all on schema supalert_partitions from public;

-- Tables partitioned by day, kept by monitoring.maintain_partitions(): partitions are made `premake` ahead, and,
-- when the table has an enabled retention policy, partitions wholly older than its `keep` are dropped.
create table if not exists monitoring.partitioned_tables (
    table_name text primary key,
    premake interval not null default '7 days',
    constraint partitioned_tables_premake_range check (premake between interval '1 day' and interval '60 days'),
    constraint partitioned_tables_table_format check (table_name ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$')
);
comment on table monitoring.partitioned_tables is
'Telemetry tables partitioned by UTC day; monitoring.maintain_partitions() makes partitions ahead and drops expired.';

-- Edge-function calls per closed UTC hour, so the daily quota rule counts one open hour of rows, not the whole day.
create table if not exists monitoring.function_call_hours (
    hour_start timestamptz primary key,
    calls bigint not null,
    rolled_at timestamptz not null default now(),
    constraint function_call_hours_on_the_hour check (hour_start = date_trunc('hour', hour_start, 'UTC')),
    constraint function_call_hours_calls_not_negative check (calls >= 0)
);
comment on table monitoring.function_call_hours is
'Rollup: edge_function rows of public.performance_metrics per closed UTC hour (monitoring.rollup_function_calls).';

alter table monitoring.retention_runs add column if not exists partitions_dropped integer not null default 0;

revoke all on table monitoring.partitioned_tables, monitoring.function_call_hours from public, anon, authenticated;

insert into monitoring.retention_policies (table_name, time_column, keep) values
('monitoring.function_call_hours', 'hour_start', '7 days')
on conflict (table_name) do nothing;

-- pg_database_size() stats every file of the database (several ms with the day partitions, more as the database
-- grows), and the size moves slowly: the rule that reads it runs every 5 minutes, unless its interval was changed.
update monitoring.rules set evaluation_interval = '5 minutes'
where key = 'database_size_gb' and evaluation_interval = '1 minute';
