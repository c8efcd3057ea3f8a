-- monitoring.metric_function_calls_today(rule, now): edge-function calls since midnight UTC of p_now's day, counted
-- as public.performance_metrics rows with metric_type 'edge_function' (one per call). Plan quotas reset daily, so
-- the window is the calendar day, not a sliding 24 hours. Counted by monitoring.function_calls_today (an hourly
-- rollup plus the open hours' rows), so the cost does not grow through the day. An empty table is no data. Metric
-- interface.
create or replace function monitoring.metric_function_calls_today(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    v_calls bigint := monitoring.function_calls_today(p_now);
    v_no_data boolean := false;
begin
    -- Calls today settle it; only a day without calls plans a look at the whole table.
    if v_calls = 0 then
        v_no_data := not exists (select from public.performance_metrics);
    end if;
    return query select
        v_calls::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'calls', v_calls,
            'day', v_day_start::date,
            'rule', p_rule.key,
            'summary', pg_catalog.format('%s edge-function call(s) so far on %s (UTC)', v_calls, v_day_start::date)
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz) is
'Metric: edge_function rows of performance_metrics since midnight UTC; an empty table is no data.';

revoke execute on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz)
from public, anon, authenticated;
