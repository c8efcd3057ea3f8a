-- monitoring.metric_db_invalid_indexes(rule, now): one series per invalid index of this database (labels {index},
-- value 1), left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY; an index still being built is
-- not counted. 0 with no labels when every index is valid. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_invalid_indexes(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with invalid as (
        select n.nspname, c.relname as index_name, t.relname as table_name,
               pg_catalog.pg_get_indexdef(i.indexrelid) as definition
          from pg_catalog.pg_index as i
          join pg_catalog.pg_class as c on c.oid = i.indexrelid
          join pg_catalog.pg_class as t on t.oid = i.indrelid
          join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
         where not i.indisvalid
           and not exists (select from pg_catalog.pg_stat_progress_create_index as p
                            where p.index_relid = i.indexrelid)
    )
    select
        1::numeric,
        pg_catalog.jsonb_build_object('index', pg_catalog.format('%I.%I', v.nspname, v.index_name)),
        pg_catalog.jsonb_build_object(
            'table', pg_catalog.format('%I.%I', v.nspname, v.table_name),
            'definition', v.definition,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('index %I.%I on %I is invalid: queries do not use it, writes still pay for it',
                v.nspname, v.index_name, v.table_name)
        ),
        false
      from invalid as v
    union all
    select 0, '{}'::jsonb, '{"summary": "every index is valid"}'::jsonb, false
     where not exists (select from invalid);
end;
$$;

comment on function monitoring.metric_db_invalid_indexes(monitoring.rules, timestamptz) is
'Metric: per invalid index (failed concurrent build), 1.';

revoke execute on function monitoring.metric_db_invalid_indexes(monitoring.rules, timestamptz)
from public, anon, authenticated;
