-- monitoring.metric_custom_sql(rule, now): one series per row of a custom rule's own query (params.sql): its
-- column value is the value, every other column a label (as text; a null label is left out). No rows: no data.
-- The query runs read-only in a subtransaction that is always rolled back, so a write, DDL or a function that
-- writes fails and changes nothing; its time limit is the statement timeout its pg_cron job sets
-- (monitoring.rules_schedule_custom). It runs with the empty search_path of every supalert function, so it names
-- tables with their schema. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_custom_sql(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_rows jsonb;
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_query_ms numeric;
    v_duplicate jsonb;
begin
    begin
        -- Reverted with the subtransaction: the rest of the evaluation writes as usual.
        perform pg_catalog.set_config('transaction_read_only', 'on', true);
        -- The newlines keep a trailing -- comment of the query from swallowing the closing parenthesis.
        execute pg_catalog.format(
            e'select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(q)), ''[]'') from (\n%s\n) as q',
            p_rule.params ->> 'sql'
        ) into v_rows;
        raise exception using errcode = 'SU001';
    exception when sqlstate 'SU001' then
        null;  -- the query's subtransaction rolled back on purpose: nothing it did survives
    end;
    v_query_ms := pg_catalog.round(
        (extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000)::numeric, 1);

    if pg_catalog.jsonb_array_length(v_rows) > 0 and not (v_rows -> 0 ? 'value') then
        raise exception 'custom rule %: its query returns no column named value (it returns %)',
            p_rule.key, (select pg_catalog.string_agg(k, ', ') from pg_catalog.jsonb_object_keys(v_rows -> 0) as k)
            using errcode = 'invalid_column_reference',
                  hint = 'Name the measured column value: select count(*) as value from ...';
    end if;

    -- Two rows with the same labels would be one series measured twice: name them rather than pick one.
    select d.labels into v_duplicate
      from (select r.row - 'value' as labels from pg_catalog.jsonb_array_elements(v_rows) as r (row)) as d
     group by d.labels having count(*) > 1 limit 1;
    if v_duplicate is not null then
        raise exception 'custom rule %: its query returns more than one row with the labels %', p_rule.key, v_duplicate
            using errcode = 'cardinality_violation',
                  hint = 'Each row is one series: group by the label columns, or add a column that tells the rows apart.';
    end if;

    return query
    with measured as (
        select
            (r.row ->> 'value')::numeric as value,
            coalesce((select pg_catalog.jsonb_object_agg(l.key, l.value #>> '{}')
                        from pg_catalog.jsonb_each(r.row - 'value') as l
                       where pg_catalog.jsonb_typeof(l.value) <> 'null'), '{}'::jsonb) as labels
          from pg_catalog.jsonb_array_elements(v_rows) as r (row)
    )
    select
        m.value,
        m.labels,
        pg_catalog.jsonb_build_object(
            'rule', p_rule.key,
            'measured_at', p_now,
            'query_ms', v_query_ms,
            'summary', pg_catalog.format('%s = %s%s', p_rule.key, coalesce(m.value::text, 'null'),
                case when m.labels = '{}'::jsonb then ''
                     else ' for ' || (select pg_catalog.string_agg(l.key || '=' || l.value, ', ' order by l.key)
                                        from pg_catalog.jsonb_each_text(m.labels) as l) end)
        ),
        m.value is null
      from measured as m
    union all
    select null::numeric, '{}'::jsonb,
           pg_catalog.jsonb_build_object('rule', p_rule.key, 'measured_at', p_now, 'query_ms', v_query_ms,
                                         'summary', 'the query returned no rows'),
           true
     where pg_catalog.jsonb_array_length(v_rows) = 0;

end;
$$;

comment on function monitoring.metric_custom_sql(monitoring.rules, timestamptz) is
'Metric: a custom rule''s own read-only query (params.sql); column value, the other columns labels.';

revoke execute on function monitoring.metric_custom_sql(monitoring.rules, timestamptz)
from public, anon, authenticated;
