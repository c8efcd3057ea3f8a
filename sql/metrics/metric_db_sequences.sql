-- monitoring.metric_db_sequences(rule, now): one series per sequence outside the system schemas (labels
-- {sequence}): the percentage of its range used. The range ends at the sequence's own limit or at the limit of
-- the integer column it feeds (a serial or identity column of type integer runs out at 2^31 - 1 whatever the
-- sequence allows), whichever comes first. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_db_sequences(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with sequences as (
        select s.schemaname, s.sequencename, s.increment_by, s.min_value, s.max_value,
               coalesce(s.last_value, s.start_value) as last_value,
               col.column_name, col.type_max
          from pg_catalog.pg_sequences as s
          join pg_catalog.pg_namespace as n on n.nspname = s.schemaname
          join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = s.sequencename
          left join lateral (
              select pg_catalog.format('%I.%I.%I', tn.nspname, t.relname, a.attname) as column_name,
                     case a.atttypid when 'int2'::regtype then 32767 when 'int4'::regtype then 2147483647 end
                         as type_max
                from pg_catalog.pg_depend as d
                join pg_catalog.pg_class as t on t.oid = d.refobjid
                join pg_catalog.pg_namespace as tn on tn.oid = t.relnamespace
                join pg_catalog.pg_attribute as a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
               where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')
               limit 1
          ) as col on true
         where s.schemaname not in ('pg_catalog', 'information_schema')
    ),
    used as (
        select q.*,
               case when q.increment_by > 0
                   then 100.0 * (q.last_value - q.min_value)
                        / greatest(least(q.max_value, coalesce(q.type_max, q.max_value)) - q.min_value, 1)
                   else 100.0 * (q.max_value - q.last_value)
                        / greatest(q.max_value - greatest(q.min_value, -coalesce(q.type_max, -q.min_value) - 1), 1)
               end as percent
          from sequences as q
    )
    select
        pg_catalog.round(u.percent, 2),
        pg_catalog.jsonb_build_object('sequence', pg_catalog.format('%I.%I', u.schemaname, u.sequencename)),
        pg_catalog.jsonb_build_object(
            'last_value', u.last_value,
            'max_value', u.max_value,
            'column', u.column_name,
            'column_max', u.type_max,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('sequence %I.%I has used %s%% of its range (last value %s%s)',
                u.schemaname, u.sequencename, pg_catalog.round(u.percent, 1), u.last_value,
                case when u.type_max is not null then pg_catalog.format(', column %s ends at %s', u.column_name, u.type_max)
                     else '' end)
        ),
        false
      from used as u
    union all
    select 0, '{}'::jsonb, '{"summary": "no sequences"}'::jsonb, false
     where not exists (select from sequences);
end;
$$;

comment on function monitoring.metric_db_sequences(monitoring.rules, timestamptz) is
'Metric: per sequence, % of its range used (capped by the integer column it feeds).';

revoke execute on function monitoring.metric_db_sequences(monitoring.rules, timestamptz)
from public, anon, authenticated;
