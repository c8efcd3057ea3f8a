-- monitoring.metric_function_calls_today(rule, now): edge-function calls since midnight UTC of p_now's day, counted
-- as public.performance_metrics rows with metric_type 'edge_function' (one per call). Plan quotas reset daily, so
-- the window is the calendar day, not a sliding 24 hours. An empty table is no data. Metric interface.
create or replace function monitoring.metric_function_calls_today(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.calls::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'calls', c.calls,
            'day', c.day_start::date,
            'rule', p_rule.key,
            'summary', pg_catalog.format('%s edge-function call(s) so far on %s (UTC)', c.calls, c.day_start::date)
        ),
        not exists (select from public.performance_metrics)
      from (
          select d.day_start,
                 (select pg_catalog.count(*)
                    from public.performance_metrics as m
                   where m.metric_type = 'edge_function'
                     and m.recorded_at >= d.day_start and m.recorded_at <= p_now) as calls
            from (select pg_catalog.date_trunc('day', p_now, 'UTC') as day_start) as d
      ) as c
$$;

comment on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz) is
'Metric: edge_function rows of performance_metrics since midnight UTC; an empty table is no data.';

revoke execute on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz)
from public, anon, authenticated;
