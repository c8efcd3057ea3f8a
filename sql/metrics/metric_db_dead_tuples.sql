-- monitoring.metric_db_dead_tuples(rule, now): one series per table of this database with at least
-- params.min_dead_tuples dead rows (default 10000; labels {table}): dead rows as a percentage of all its rows,
-- from the statistics collector. A table autovacuum keeps up with stays under the line. 0 with no labels when no
-- table has that many dead rows. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_dead_tuples(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_min bigint := coalesce((p_rule.params ->> 'min_dead_tuples')::bigint, 10000);
begin
    return query
    with tables as (
        select t.schemaname, t.relname, t.n_dead_tup, t.n_live_tup, t.last_autovacuum, t.last_vacuum,
               100.0 * t.n_dead_tup / greatest(t.n_dead_tup + t.n_live_tup, 1) as percent
          from pg_catalog.pg_stat_user_tables as t
         where t.n_dead_tup >= v_min
    )
    select
        pg_catalog.round(t.percent, 1),
        pg_catalog.jsonb_build_object('table', pg_catalog.format('%I.%I', t.schemaname, t.relname)),
        pg_catalog.jsonb_build_object(
            'dead_rows', t.n_dead_tup,
            'live_rows', t.n_live_tup,
            'last_autovacuum', t.last_autovacuum,
            'last_vacuum', t.last_vacuum,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('table %I.%I: %s dead rows, %s%% of its rows (last autovacuum %s)',
                t.schemaname, t.relname, t.n_dead_tup, pg_catalog.round(t.percent, 1),
                coalesce(t.last_autovacuum::text, 'never'))
        ),
        false
      from tables as t
    union all
    select 0, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', pg_catalog.format('no table has %s or more dead rows', v_min)),
           false
     where not exists (select from tables);
end;
$$;

comment on function monitoring.metric_db_dead_tuples(monitoring.rules, timestamptz) is
'Metric: per table with many dead rows, dead rows as % of its rows (autovacuum falling behind).';

revoke execute on function monitoring.metric_db_dead_tuples(monitoring.rules, timestamptz)
from public, anon, authenticated;
