-- monitoring.metric_database_size_gb(rule, now): the size of the current database in GiB (pg_database_size), the
-- figure Supabase's plan limits count. The window is not used: the size is a reading, not a sum. Metric
-- interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_database_size_gb(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    select
        pg_catalog.round(s.bytes / 1073741824.0, 3),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'bytes', s.bytes,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('database size %s', pg_catalog.pg_size_pretty(s.bytes))
        ),
        false
      from (select pg_catalog.pg_database_size(pg_catalog.current_database()) as bytes) as s;
end;
$$;

comment on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz) is
'Metric: pg_database_size of the current database in GiB.';

revoke execute on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz)
from public, anon, authenticated;
