-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or params.severities). Requests: public.performance_metrics rows with
-- metric_type 'edge_function' in the window, since every edge function logs one timing per call (the seed's
-- "Edge Function Performance" snippet). No requests in the window is no data. Metric interface; evaluate only.
create or replace function monitoring.metric_error_rate_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- One generic plan per session, pruned to the window's partitions at run time; a custom plan would plan every
-- partition again on each call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    with wanted as (
        select (select pg_catalog.array_agg(x.severity)
                  from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as x (severity))
               as severities
    ),
    -- Materialized: its two counts are used several times below and must run once each.
    counted as materialized (
        select
            (select pg_catalog.count(*)
               from public.error_logs as e, wanted as w
              where e.occurred_at > p_now - p_rule.time_window and e.occurred_at <= p_now
                and (w.severities is null or e.severity = any (w.severities))) as errors,
            (select pg_catalog.count(*)
               from public.performance_metrics as m
              where m.metric_type = 'edge_function'
                and m.recorded_at > p_now - p_rule.time_window and m.recorded_at <= p_now) as requests
    )
    select
        case when c.requests > 0 then pg_catalog.round(c.errors * 100.0 / c.requests, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'errors', c.errors,
            'requests', c.requests,
            'summary', case when c.requests = 0
                then pg_catalog.format('no requests in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s error(s) in %s request(s) (%s%%) in the last %s', c.errors, c.requests,
                    pg_catalog.round(c.errors * 100.0 / c.requests, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        c.requests = 0
      from counted as c;
end;
$$;

comment on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz) is
'Metric: error_logs rows per 100 edge_function requests (performance_metrics) in the window; no requests, no data.';

revoke execute on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
